import Booking
import Foundation
import Logging
import Payments
import ServiceLifecycle

/// Background work that runs `pass` every `interval` until cancelled or asked to shut down; a failing pass is
/// logged and retried.
public struct PeriodicService: ServiceLifecycle.Service {
    public let name: String
    public let interval: Duration
    let logger: Logger
    let pass: @Sendable () async throws -> Void
    /// Waits between passes: the interval, or less when something wakes the service (a `WorkBell`).
    let pause: @Sendable (Duration) async -> Void

    public init(
        name: String, every interval: Duration, logger: Logger,
        pause: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        _ pass: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.pause = pause
        self.pass = pass
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.pass()
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.warning("\(self.name) pass failed; retrying", metadata: ["error": "\(error)"])
                }
                await self.pause(self.interval)
            }
        }
    }
}

/// How often the background services run.
public struct BackgroundIntervals: Sendable {
    public var holdExpiry: Duration
    public var providerOutbox: Duration
    public var reconciliation: Duration
    public var emailOutbox: Duration

    public init(
        holdExpiry: Duration = .seconds(5), providerOutbox: Duration = .seconds(1),
        reconciliation: Duration = .seconds(60), emailOutbox: Duration = .seconds(1)
    ) {
        self.emailOutbox = emailOutbox
        self.holdExpiry = holdExpiry
        self.providerOutbox = providerOutbox
        self.reconciliation = reconciliation
    }
}

extension BookingWorkflow {
    /// The workflow's own background services: hold expiry, the provider outbox worker and reconciliation (the
    /// email outbox worker comes with the mail setup).
    public func backgroundServices(intervals: BackgroundIntervals) -> [any ServiceLifecycle.Service] {
        let holdsLogger = Logger(label: "rendezvous.holds")
        let reconciliationLogger = Logger(label: "rendezvous.reconciliation")
        return [
            // Expires bookings whose payment window lapsed, freeing their slots and closing their checkouts.
            PeriodicService(name: "hold expiry", every: intervals.holdExpiry, logger: holdsLogger) {
                let expired = try await self.holds.expireLapsedHolds()
                if !expired.isEmpty { holdsLogger.info("expired lapsed holds", metadata: ["bookings": "\(expired)"]) }
            },
            ProviderOutboxWorker(workflow: self, interval: intervals.providerOutbox),
            // Old login failures leave the table (they stopped counting long before).
            PeriodicService(name: "login failures cleanup", every: .seconds(600), logger: holdsLogger) {
                _ = try await self.logins.forgetOld()
            },
            // The defence against lost webhooks (see `PaymentIntake.reconcile`).
            PeriodicService(name: "reconciliation", every: intervals.reconciliation, logger: reconciliationLogger) {
                let applied = try await self.payments.reconcile()
                if applied > 0 {
                    reconciliationLogger.info("reconciliation applied payment facts", metadata: ["count": "\(applied)"])
                }
            },
        ]
    }
}

/// Delivers the provider calls of the outbox (refunds, checkout expiry) through the outbox loop; what was
/// committed is delivered at least once, under a stable idempotency key, so the provider acts on it exactly once.
public struct ProviderOutboxWorker: ServiceLifecycle.Service {
    public let workflow: BookingWorkflow
    public var interval: Duration
    private let logger: Logger

    public init(
        workflow: BookingWorkflow, interval: Duration = .seconds(1),
        logger: Logger = Logger(label: "rendezvous.outbox.provider")
    ) {
        self.workflow = workflow
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await PeriodicService(
            name: "provider outbox", every: self.interval, logger: self.logger,
            pause: { await self.workflow.outbox.waitForWork(.provider, upTo: $0) }
        ) {
            _ = try await self.deliverDue()
        }.run()
    }

    /// One pass over the due provider rows; returns how many were delivered.
    public func deliverDue(limit: Int = 50) async throws -> Int {
        let payments = self.workflow.payments
        return try await self.workflow.outbox.deliverDue(
            topic: .provider, limit: limit, logger: self.logger,
            with: .init(
                deliver: { row in
                    try await payments.carryOut(row)
                    return true
                },
                isPermanent: { error in
                    // A refusal that will not change by waiting: an admin must look.
                    (error as? any PaymentProviderError).map { $0.failure.kind != .retryable } ?? false
                },
                noticeOnRefusal: .paymentNeedsAttention))
    }
}
