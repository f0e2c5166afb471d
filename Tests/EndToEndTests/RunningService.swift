import AsyncHTTPClient
import Booking
import FakeStripe
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Payments
import ServiceLifecycle
import Storage
import TestSupport
import Web
import Workflow

#if canImport(Glibc)
    import Glibc
#endif

/// The whole service on a real socket, on SQLite, with the built-in fake provider posting real signed webhooks.
struct RunningService: Sendable {
    let baseURL: String
    let workflow: BookingWorkflow
    let clock: ManualClock
    let fake: FakeStripe
    let provider: StripeClient
    let webhookSecret: String
    let http: HTTPClient

    struct Answer: Sendable {
        var status: Int
        var body: Data
        var headers: HTTPHeaders

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: self.body) as? [String: Any]) ?? [:] }
        var errorCode: String? { (self.json["error"] as? [String: Any])?["code"] as? String }
        var location: String? { self.headers.first(name: "Location") }
        var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    func request(_ method: HTTPMethod, _ pathOrURL: String, body: [UInt8]? = nil, headers: [(String, String)] = [])
        async throws -> Answer
    {
        var request = HTTPClientRequest(url: pathOrURL.hasPrefix("http") ? pathOrURL : self.baseURL + pathOrURL)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            if !headers.contains(where: { $0.0 == "Content-Type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
        }
        let response = try await self.http.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 4 << 20)
        return Answer(
            status: Int(response.status.code), body: Data(collected.readableBytesView), headers: response.headers)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Answer {
        try await self.request(.GET, path, headers: headers)
    }

    func post(_ path: String, json: Any? = nil, headers: [(String, String)] = []) async throws -> Answer {
        let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        return try await self.request(.POST, path, body: body ?? [], headers: headers)
    }

    /// Signs in the test admin and returns the bearer header.
    func adminHeader() async throws -> [(String, String)] {
        let answer = try await self.post(
            "/api/admin/login", json: ["email": Self.adminEmail, "password": Self.adminPassword])
        guard let token = answer.json["token"] as? String else { throw TestFailure("login failed: \(answer.text)") }
        return [("Authorization", "Bearer \(token)")]
    }

    /// Books the first chat at `start` as a client; returns the 201's JSON.
    func book(at start: Date, email: String = "zoe@example.com") async throws -> Answer {
        try await self.post(
            "/api/bookings",
            json: [
                "serviceId": "svc_chat_first", "start": start.formatted(.iso8601),
                "client": ["name": "Zoë Dupré", "email": email],
            ])
    }

    /// Follows a payment link to the hosted page and pays there, as a person would.
    func pay(paymentURL: String) async throws -> Answer {
        let link = try await self.get(paymentURL)
        guard link.status == 303, let checkout = link.location else {
            throw TestFailure("the payment link did not redirect: \(link.status) \(link.text)")
        }
        let page = try await self.get(checkout)
        guard page.status == 200, page.text.contains("Pay") else {
            throw TestFailure("no checkout page at \(checkout)")
        }
        return try await self.post(checkout + "/pay")
    }

    /// Polls the client's view of a booking until `condition` holds (webhooks and workers are asynchronous).
    func eventually(token: String, timeout: Duration = .seconds(10), _ condition: ([String: Any]) -> Bool) async throws
        -> [String: Any]
    {
        let deadline = ContinuousClock.now + timeout
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            last = try await self.get("/api/bookings/\(token)").json
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    /// A working day at least two days ahead, at `hour`:00 in Paris.
    func workingDay(hour: Int = 10, daysAhead: Int = 2) -> Date {
        let paris = ZonedCalendar(identifier: "Europe/Paris")!
        var day = paris.localDate(of: self.clock.now()).adding(days: daysAhead)
        while [.saturday, .sunday].contains(day.weekday) { day = day.adding(days: 1) }
        return paris.instant(on: day, at: LocalTime(hour: hour)!)!
    }

    static let adminEmail = "admin@practice.example"
    static let adminPassword = "correct horse battery staple"
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A free loopback port (bound, read, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestFailure("cannot bind a port") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Runs the service for the duration of `body`, then shuts it down gracefully.
func withRunningService(
    deliverWebhooks: Bool = true, idleTimeout: Duration? = nil,
    _ body: @escaping @Sendable (RunningService) async throws -> Void
) async throws {
    let port = try freePort()
    let baseURL = "http://127.0.0.1:\(port)"
    let secret = "whsec_e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    let clock = ManualClock(Date())
    let fake = FakeStripe(
        configuration: FakeStripeConfiguration(
            publicBaseURL: "\(baseURL)/fake-stripe", webhookURL: deliverWebhooks ? "\(baseURL)/webhooks/stripe" : nil,
            webhookSecret: secret,
            webhookInitialRetryDelay: .milliseconds(50), webhookMaxRetryDelay: .milliseconds(500)))
    let provider = StripeClient(
        configuration: StripeConfiguration(
            // NB: generous: the whole test process (every suite at once) shares two cores, and a first run after a
            // build can keep the fake's answers waiting for seconds; a timeout here would fail the flow, not test it.
            secretKey: "sk_test_e2e", apiBase: "\(baseURL)/fake-stripe", timeout: .seconds(20),
            initialRetryDelay: .milliseconds(20)))
    let workflow = BookingWorkflow(
        store: try await StoreKind.sqlite.makeStore(), provider: provider, links: PublicLinks(base: baseURL),
        clock: clock)
    try await workflow.practice.installIfEmpty(try PracticeSetup.demo())
    _ = try await workflow.accounts.createAdmin(
        email: RunningService.adminEmail,
        passwordHash: try await AdminPasswords(cost: 4).hash(RunningService.adminPassword))
    var logger = Logger(label: "e2e")
    logger.logLevel = .warning
    var configuration = WebConfiguration(webhookSecrets: [secret], bcryptCost: 4)
    if let idleTimeout { configuration.idleTimeout = idleTimeout }
    let app = try buildApplication(
        workflow: workflow, configuration: configuration, loginThrottle: LoginThrottle(),
        mounts: [
            Mount(
                addRoutes: { fake.addRoutes(to: $0.group("fake-stripe")) },
                services: [FakeStripeWebhookDispatcher(fake: fake, pollInterval: .milliseconds(20))])
        ],
        services: workflow.backgroundServices(
            intervals: BackgroundIntervals(
                holdExpiry: .milliseconds(100), providerOutbox: .milliseconds(100), reconciliation: .seconds(3600))),
        host: "127.0.0.1", port: port, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let running = Task { try await group.run() }
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    let service = RunningService(
        baseURL: baseURL, workflow: workflow, clock: clock, fake: fake, provider: provider, webhookSecret: secret,
        http: http)
    do {
        let deadline = ContinuousClock.now + .seconds(20)
        while (try? await service.get("/health"))?.status != 200 {
            guard ContinuousClock.now < deadline else { throw TestFailure("the service did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await body(service)
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        try? await http.shutdown()
        throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
    try await http.shutdown()
}
