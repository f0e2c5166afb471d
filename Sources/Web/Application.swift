import FakeStripe
import Foundation
import Hummingbird
import Logging
import Payments
import ServiceLifecycle
import Workflow

/// How often the background services run.
public struct BackgroundIntervals: Sendable {
    public var holdExpiry: Duration
    public var providerOutbox: Duration
    public var reconciliation: Duration
    public var webhookDispatch: Duration

    public init(
        holdExpiry: Duration = .seconds(5), providerOutbox: Duration = .seconds(1),
        reconciliation: Duration = .seconds(60),
        webhookDispatch: Duration = .milliseconds(100)
    ) {
        self.holdExpiry = holdExpiry
        self.providerOutbox = providerOutbox
        self.reconciliation = reconciliation
        self.webhookDispatch = webhookDispatch
    }
}

/// Builds the whole service: the HTTP server with its router, and the background services (hold expiry, the
/// provider outbox worker, reconciliation, and the fake provider's webhook dispatcher when the fake is built in).
/// `runService()` on the result runs them together and shuts them down gracefully on SIGTERM or SIGINT.
public func buildApplication(
    workflow: BookingWorkflow, provider: any PaymentProvider, fakeStripe: FakeStripe?, configuration: WebConfiguration,
    host: String, port: Int, intervals: BackgroundIntervals = BackgroundIntervals(),
    logger: Logger = Logger(label: "rendezvous"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(
        workflow: workflow, provider: provider, configuration: configuration, fakeStripe: fakeStripe)
    var services: [any Service] = [
        HoldExpiryService(workflow: workflow, interval: intervals.holdExpiry),
        ProviderOutboxWorker(workflow: workflow, provider: provider, interval: intervals.providerOutbox),
        ReconciliationService(workflow: workflow, provider: provider, interval: intervals.reconciliation),
    ]
    if let fakeStripe {
        services.append(FakeStripeWebhookDispatcher(fake: fakeStripe, pollInterval: intervals.webhookDispatch))
    }
    return Application(
        router: router, configuration: .init(address: .hostname(host, port: port), serverName: "rendezvous"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
}
