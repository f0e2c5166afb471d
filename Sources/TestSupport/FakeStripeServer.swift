import FakeStripe
import Foundation
import Hummingbird
import HummingbirdTesting
import Payments

/// Runs a FakeStripe on a real socket (a free loopback port) for the duration of `body`.
public func withFakeStripe<Value: Sendable>(
    webhookURL: String? = nil, webhookSecret: String = "whsec_test_fake_secret", hangDuration: Duration = .seconds(2),
    now: @escaping @Sendable () -> Date = { Date() },
    _ body: @escaping @Sendable (_ fake: FakeStripe, _ baseURL: String) async throws -> Value
) async throws -> Value {
    let fake = FakeStripe(
        configuration: FakeStripeConfiguration(
            publicBaseURL: "http://127.0.0.1", webhookURL: webhookURL, webhookSecret: webhookSecret,
            webhookInitialRetryDelay: .milliseconds(50), webhookMaxRetryDelay: .milliseconds(400),
            hangDuration: hangDuration),
        now: now)
    let router = Router()
    fake.addRoutes(to: router, faultControls: true)
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await app.test(.live) { client in
        let baseURL = "http://127.0.0.1:\(client.port!)"
        await fake.reconfigure { $0.publicBaseURL = baseURL }
        return try await body(fake, baseURL)
    }
}

/// A webhook endpoint that records what it receives and answers with the statuses it is told to.
public actor WebhookInbox {
    /// A request as received.
    public struct Delivery: Sendable {
        public var body: [UInt8]
        public var signature: String?
    }

    public private(set) var deliveries: [Delivery] = []
    private var statuses: [Int]

    /// `statuses` answer the first deliveries in turn; later ones get 200.
    public init(statuses: [Int] = []) { self.statuses = statuses }

    func receive(_ delivery: Delivery) -> Int {
        self.deliveries.append(delivery)
        return self.statuses.isEmpty ? 200 : self.statuses.removeFirst()
    }

    /// Event ids in arrival order (failed attempts included).
    public func eventIDs() -> [String] {
        self.deliveries.compactMap { delivery in
            (try? JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any])?["id"] as? String
        }
    }

    /// Waits until `condition` holds of the deliveries, or the timeout passes.
    public func wait(timeout: Duration = .seconds(10), until condition: @Sendable ([Delivery]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self.deliveries) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(self.deliveries)
    }

    /// Runs the inbox on a real socket for the duration of `body`, at `http://127.0.0.1:PORT/webhooks/stripe`.
    public func serve<Value: Sendable>(_ body: @escaping @Sendable (_ url: String) async throws -> Value) async throws
        -> Value
    {
        let router = Router()
        router.post("webhooks/stripe") { request, _ in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let status = await self.receive(
                Delivery(body: Array(buffer: bytes), signature: request.headers[.init("Stripe-Signature")!]))
            return Response(status: .init(code: status))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)/webhooks/stripe")
        }
    }
}
