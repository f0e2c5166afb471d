import Booking
import Foundation
import Logging
import Payments
import ServiceLifecycle

/// Runs `pass` every `interval` until cancelled or asked to shut down; a failing pass is logged and retried.
public func runPeriodically(
    every interval: Duration, logger: Logger, name: String, _ pass: @escaping @Sendable () async throws -> Void
) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await pass()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("\(name) pass failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
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
        [
            HoldExpiryService(workflow: self, interval: intervals.holdExpiry),
            ProviderOutboxWorker(workflow: self, interval: intervals.providerOutbox),
            ReconciliationService(workflow: self, interval: intervals.reconciliation),
        ]
    }
}

/// Expires bookings whose payment window lapsed, freeing their slots and closing their checkouts.
public struct HoldExpiryService: ServiceLifecycle.Service {
    public let workflow: BookingWorkflow
    public var interval: Duration
    private let logger: Logger

    public init(
        workflow: BookingWorkflow, interval: Duration = .seconds(5), logger: Logger = Logger(label: "rendezvous.holds")
    ) {
        self.workflow = workflow
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await runPeriodically(every: self.interval, logger: self.logger, name: "hold expiry") {
            let expired = try await self.workflow.holds.expireLapsedHolds()
            if !expired.isEmpty { self.logger.info("expired lapsed holds", metadata: ["bookings": "\(expired)"]) }
        }
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
        await runPeriodically(every: self.interval, logger: self.logger, name: "provider outbox") {
            _ = try await self.deliverDue()
        }
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

/// The defence against lost webhooks: runs `PaymentIntake`'s reconciliation every `interval`.
public struct ReconciliationService: ServiceLifecycle.Service {
    public let workflow: BookingWorkflow
    public var interval: Duration
    private let logger: Logger

    public init(
        workflow: BookingWorkflow, interval: Duration = .seconds(60),
        logger: Logger = Logger(label: "rendezvous.reconciliation")
    ) {
        self.workflow = workflow
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await runPeriodically(every: self.interval, logger: self.logger, name: "reconciliation") {
            let applied = try await self.workflow.payments.reconcile()
            if applied > 0 {
                self.logger.info("reconciliation applied payment facts", metadata: ["count": "\(applied)"])
            }
        }
    }
}
