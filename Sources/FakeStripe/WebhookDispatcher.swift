import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Payments
import ServiceLifecycle

/// Posts the fake's events to the webhook URL, signed exactly as Stripe signs them, retrying failures with
/// exponential backoff until the configured deadline. A long-running service.
public struct FakeStripeWebhookDispatcher: Service {
    public let fake: FakeStripe
    private let httpClient: HTTPClient
    private let logger: Logger
    /// How often due deliveries are looked for.
    public var pollInterval: Duration

    public init(
        fake: FakeStripe, httpClient: HTTPClient = .shared, pollInterval: Duration = .milliseconds(50),
        logger: Logger = Logger(label: "fake-stripe.webhooks")
    ) {
        self.fake = fake
        self.httpClient = httpClient
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.deliverDue()
                try? await Task.sleep(for: self.pollInterval)
            }
        }
    }

    /// One pass: expires lapsed sessions (emitting their events) and attempts every delivery that is due.
    public func deliverDue() async {
        await self.fake.expireDueSessions()
        let configuration = await self.fake.configuration
        guard let url = configuration.webhookURL else { return }
        let secret = configuration.webhookSecret
        await withTaskGroup(of: Void.self) { group in
            for delivery in await self.fake.dueDeliveries() {
                group.addTask {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
                    request.headers.add(name: "User-Agent", value: "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                    request.headers.add(
                        name: "Stripe-Signature",
                        value: StripeWebhookSignature.header(
                            payload: delivery.payload, secret: secret, timestamp: Date()))
                    request.body = .bytes(ByteBuffer(bytes: delivery.payload))
                    var succeeded = false
                    do {
                        let response = try await self.httpClient.execute(request, timeout: .seconds(30))
                        _ = try? await response.body.collect(upTo: 1 << 16)
                        succeeded = (200..<300).contains(response.status.code)
                        if !succeeded {
                            self.logger.info(
                                "webhook refused",
                                metadata: ["event": "\(delivery.eventID)", "status": "\(response.status.code)"])
                        }
                    } catch {
                        self.logger.info(
                            "webhook not delivered", metadata: ["event": "\(delivery.eventID)", "error": "\(error)"])
                    }
                    await self.fake.deliveryFinished(delivery, succeeded: succeeded)
                }
            }
        }
    }
}
