import ArgumentParser
import FakeStripe
import Foundation
import Hummingbird
import Logging

/// `rendezvous fake-stripe`: the Stripe-compatible fake provider on its own port, for the official SDKs and manual
/// testing.
struct FakeStripeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-stripe",
        abstract: "Run the Stripe-compatible fake payment provider (any sk_test_ key works)."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 12111

    @Option(name: .customLong("webhook-url"), help: "Where to POST signed events (none: events are only listed).")
    var webhookURL: String?

    @Option(
        name: .customLong("webhook-secret"),
        help: "The whsec_ secret webhooks are signed with (env STRIPE_WEBHOOK_SECRET).")
    var webhookSecret: String =
        ProcessInfo.processInfo.environment["STRIPE_WEBHOOK_SECRET"] ?? "whsec_fake_stripe_local_secret"

    @Option(
        name: .customLong("public-url"), help: "The base URL clients reach the fake at (default: http://HOST:PORT).")
    var publicURL: String?

    @Option(
        name: .customLong("webhook-deadline"),
        help: "Seconds a failing webhook delivery is retried before it is dropped.")
    var webhookDeadlineSeconds = 3 * 86_400

    func validate() throws {
        guard (1...65535).contains(self.port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard self.webhookDeadlineSeconds > 0 else { throw ValidationError("--webhook-deadline must be positive") }
        guard self.webhookSecret.hasPrefix("whsec_") else {
            throw ValidationError("--webhook-secret must start with whsec_")
        }
        if let webhookURL, URL(string: webhookURL)?.scheme?.hasPrefix("http") != true {
            throw ValidationError("--webhook-url must be an http(s) URL")
        }
    }

    func run() async throws {
        let fake = FakeStripe(
            configuration: FakeStripeConfiguration(
                publicBaseURL: self.publicURL ?? "http://\(self.host):\(self.port)", webhookURL: self.webhookURL,
                webhookSecret: self.webhookSecret, webhookRetryDeadline: .seconds(self.webhookDeadlineSeconds)))
        let router = Router()
        fake.addRoutes(to: router, faultControls: true)
        var logger = Logger(label: "fake-stripe")
        logger.logLevel = .info
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(self.host, port: self.port), serverName: "fake-stripe"),
            services: [FakeStripeWebhookDispatcher(fake: fake)],
            onServerRunning: { _ in
                print(
                    "FakeStripe listening on http://\(self.host):\(self.port) (webhooks: \(self.webhookURL ?? "none"))")
            },
            logger: logger)
        try await app.runService()
    }
}
