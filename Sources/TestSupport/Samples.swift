import Booking
import Foundation
import Payments
import PostgresStore
import Storage
import Synchronization
import Workflow

/// A clock tests move by hand.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date) { self.current = Mutex(start) }

    public func now() -> Date { self.current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by interval: TimeInterval) { self.current.withLock { $0 = $0.addingTimeInterval(interval) } }

    /// Sets the clock.
    public func set(_ date: Date) { self.current.withLock { $0 = date } }
}

/// Canned catalog values.
extension Service {
    public static let chatFirst = Service(
        id: ServiceID(rawValue: "svc_chat_first"), name: "First chat session", category: .chat, kind: .initial,
        durationMinutes: 45, price: Money(minorUnits: 4500, currency: .eur))
    public static let chatMore = Service(
        id: ServiceID(rawValue: "svc_chat_more"), name: "Additional chat time", category: .chat, kind: .additionalTime,
        durationMinutes: 30, price: Money(minorUnits: 2500, currency: .eur))
    public static let callFirst = Service(
        id: ServiceID(rawValue: "svc_call_first"), name: "First call", category: .call, kind: .initial,
        durationMinutes: 60, price: Money(minorUnits: 6000, currency: .eur))
    public static let callMore = Service(
        id: ServiceID(rawValue: "svc_call_more"), name: "Additional call time", category: .call, kind: .additionalTime,
        durationMinutes: 30, price: Money(minorUnits: 3000, currency: .eur))
    public static let freeIntro = Service(
        id: ServiceID(rawValue: "svc_free_intro"), name: "Free introduction", category: .call, kind: .initial,
        durationMinutes: 15, price: Money(minorUnits: 0, currency: .eur))

    /// The sample catalog.
    public static let samples: [Service] = [.chatFirst, .chatMore, .callFirst, .callMore, .freeIntro]
}

extension StaffMember {
    public static let camille = StaffMember(id: StaffID(rawValue: "stf_camille"), name: "Camille Martin")
    public static let noor = StaffMember(id: StaffID(rawValue: "stf_noor"), name: "Noor Haddad")
}

extension StaffSchedule {
    /// The default schedule in Paris, offering every sample service.
    public static func paris(_ staff: StaffMember = .camille) -> StaffSchedule {
        .standard(staffID: staff.id, timeZone: "Europe/Paris", serviceIDs: Set(Service.samples.map(\.id)))
    }
}

extension PracticeSetup {
    /// One staff member in Paris with the default schedule, the sample catalog, the given rules.
    public static func sample(rules: BookingRules = .standard, staff: [StaffMember] = [.camille]) -> PracticeSetup {
        PracticeSetup(
            services: Service.samples,
            staff: staff.map { PracticeSetup.StaffEntry(member: $0, schedule: .paris($0)) },
            rules: rules)
    }
}

/// Instants the scenarios stand on.
public enum Instants {
    /// Parses `2026-12-01T10:00:00Z`-style text; crashes on a typo in a test.
    public static func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    /// Monday 2026-11-30 08:00 in Paris, a working Monday morning before opening.
    public static let mondayMorning = utc("2026-11-30T07:00:00Z")
    /// Tuesday 2026-12-01 10:00 in Paris (09:00 UTC).
    public static let tuesdayTen = utc("2026-12-01T09:00:00Z")
}

/// The repository's data folders.
public enum Fixtures {
    /// The repository's root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A file under `Fixtures/` (`stripe/signature-vectors.json`).
    public static func url(_ name: String) -> URL {
        self.root.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// A provider event payload under `Webhooks/`, as raw bytes.
    public static func webhook(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: self.root.appendingPathComponent("Webhooks").appendingPathComponent(name)))
    }
}

/// Every `BookingStore` implementation the contract suite runs against.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { self.rawValue }

    /// The PostgreSQL server the tests use: `Scripts/test` starts a throwaway one and sets this variable.
    public static let postgresServerVariable = "RENDEZVOUS_TEST_DATABASE_URL"

    /// A new, empty, migrated store of this kind, on a real database (for PostgreSQL, a new database on the test
    /// server; without one the test fails, loudly, saying how to get one).
    public func makeStore() async throws -> any BookingStore {
        switch self {
        case .sqlite:
            return try SQLiteBookingStore(
                path: TemporaryDirectory.make().appendingPathComponent("rendezvous.sqlite").path)
        case .postgres:
            return try await PostgresBookingStore(settings: Self.freshPostgresDatabase())
        }
    }

    /// A new, empty database on the test server (not migrated), and the settings that reach it.
    public static func freshPostgresDatabase() async throws -> PostgresSettings {
        let server = try Self.postgresServer()
        let name = "rendezvous_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await server.createDatabase(name)
        return server.database(name)
    }

    /// The test server's settings, or an error that says how to start one.
    public static func postgresServer() throws -> PostgresSettings {
        guard let url = ProcessInfo.processInfo.environment[Self.postgresServerVariable], !url.isEmpty else {
            throw MissingTestServer()
        }
        var settings = try PostgresSettings(url: url)
        settings.poolSize = 4
        // A call's bound is the product's answer to a database gone silent; here one server carries a hundred test
        // databases created and migrated at once, and a slow moment is not what these tests are about. Tests of
        // the timeouts set their own.
        settings.operationTimeout = .seconds(30)
        return settings
    }

    public struct MissingTestServer: Error, CustomStringConvertible {
        public var description: String {
            "These tests need a PostgreSQL server: run Scripts/test (it starts a throwaway one), or set "
                + "\(StoreKind.postgresServerVariable)=postgres://user@host:port/postgres to a server where the user "
                + "may create databases."
        }
    }
}

/// Fresh folders under the system's temporary directory.
public enum TemporaryDirectory {
    public static func make() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rendezvous-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A workflow on a fresh store with the sample setup installed, and its clock.
public struct TestPractice: Sendable {
    public let workflow: BookingWorkflow
    public let clock: ManualClock
    /// The store under the workflow, for checking what was written.
    public let store: any BookingStore

    /// The links of a practice at `http://rendezvous.test`.
    public static let links = PublicLinks(base: "http://rendezvous.test")

    public init(
        kind: StoreKind = .sqlite, now: Date = Instants.mondayMorning, setup: PracticeSetup = .sample(),
        provider: any PaymentProvider = NoPaymentProvider()
    ) async throws {
        self.clock = ManualClock(now)
        self.store = try await kind.makeStore()
        self.workflow = BookingWorkflow(store: self.store, provider: provider, links: Self.links, clock: self.clock)
        try await self.workflow.practice.installIfEmpty(setup)
    }

    /// Sets the minutes Camille keeps between bookings, as an admin does.
    public func setCamillesBuffer(_ minutes: Int) async throws {
        var schedule = StaffSchedule.paris(.camille)
        schedule.bufferMinutes = minutes
        try await self.workflow.practice.saveSchedule(schedule, name: StaffMember.camille.name)
    }

    /// Zoë's booking and Max's, 15 minutes after hers, both made while Camille kept no buffer; her buffer is an
    /// hour afterwards, so the two stand closer than the buffer of now.
    public func twoBookingsCloserThanTheBufferOfNow() async throws -> (zoe: Booking, max: Booking) {
        try await self.setCamillesBuffer(0)
        let zoe = try await self.workflow.clients.book(self.request()).booking
        let max = try await self.workflow.clients.book(
            self.request(at: zoe.end.addingTimeInterval(15 * 60), email: "max@example.com")
        ).booking
        try await self.setCamillesBuffer(60)
        return (zoe, max)
    }

    /// A client request for the sample services.
    public func request(
        _ services: [Service] = [.chatFirst], at start: Date = Instants.tuesdayTen, email: String = "zoe@example.com",
        name: String = "Zoë Dupré"
    ) -> ClientBookingRequest {
        ClientBookingRequest(serviceIDs: services.map(\.id), start: start, name: name, email: email)
    }

    /// The payment event the provider would send for a booking paid in full.
    public func paidEvent(
        for booking: Booking, eventID: String = "evt_\(UUID().uuidString)", amount: Money? = nil, intent: String? = nil
    ) -> PaymentEvent {
        PaymentEvent(
            id: eventID, type: "checkout.session.completed", bookingID: booking.id,
            kind: .succeeded(
                PaymentReceipt(
                    amount: amount ?? booking.price, checkoutSessionID: "cs_test_\(booking.id)",
                    paymentIntentID: intent ?? "pi_test_\(booking.id)")))
    }
}

extension Booking {
    /// A client booking of `service` at `start`, straight from `open`, for storing directly.
    public static func sample(
        id: String = "bk_sample", client: ClientID, staff: StaffID = StaffMember.camille.id,
        service: Service = .chatFirst,
        start: Date = Instants.tuesdayTen, holdUntil: Date? = nil, now: Date = Instants.mondayMorning
    ) -> Booking {
        let opened = BookingLifecycle.open(confirmation: .none, payment: .link, approval: .manual, price: service.price)
        return Booking(
            id: BookingID(rawValue: id), accessToken: AccessToken(rawValue: "tok_\(id)"), clientID: client,
            staffID: staff,
            lines: [BookingLine(service)], start: start,
            end: start.addingTimeInterval(TimeInterval(service.durationMinutes * 60)),
            rules: .standard, bufferMinutes: 60, origin: .client, lifecycle: opened.lifecycle,
            holdUntil: holdUntil ?? now.addingTimeInterval(1800), createdAt: now, updatedAt: now)
    }
}

extension Client {
    /// A client for storing directly.
    public static func sample(
        id: String = "cl_zoe", email: String = "zoe@example.com", now: Date = Instants.mondayMorning
    ) -> Client {
        Client(id: ClientID(rawValue: id), name: "Zoë Dupré", email: try! EmailAddress(email), createdAt: now)
    }
}

extension BookingWorkflow {
    /// A workflow on `store` that takes no payments, with the test practice's links.
    public static func testing(
        store: any BookingStore, clock: any WallClock = ManualClock(Instants.mondayMorning),
        ids: any IdentifierGenerator = RandomIdentifierGenerator()
    ) -> BookingWorkflow {
        BookingWorkflow(store: store, provider: NoPaymentProvider(), links: TestPractice.links, clock: clock, ids: ids)
    }
}
