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
            let expired = try await self.workflow.expireLapsedHolds()
            if !expired.isEmpty { self.logger.info("expired lapsed holds", metadata: ["bookings": "\(expired)"]) }
        }
    }
}

/// Delivers the provider calls of the outbox (refunds, checkout expiry), retrying with backoff; what was committed
/// is delivered at least once, under a stable idempotency key, so the provider acts on it exactly once.
public struct ProviderOutboxWorker: ServiceLifecycle.Service {
    public let workflow: BookingWorkflow
    public let provider: any PaymentProvider
    public var interval: Duration
    private let logger: Logger

    public init(
        workflow: BookingWorkflow, provider: any PaymentProvider, interval: Duration = .seconds(1),
        logger: Logger = Logger(label: "rendezvous.outbox.provider")
    ) {
        self.workflow = workflow
        self.provider = provider
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
        let now = self.workflow.clock.now()
        let due = try await self.workflow.store.read {
            try await $0.pendingOutbox(topic: .provider, at: now, limit: limit)
        }
        var delivered = 0
        for message in due {
            var updated = message
            updated.attempts += 1
            do {
                try await self.deliver(message.effect, bookingID: message.bookingID)
                updated.deliveredAt = self.workflow.clock.now()
                updated.lastError = nil
                delivered += 1
            } catch let error as any PaymentProviderError where error.failure.kind != .retryable {
                // A refusal that will not change by waiting: an admin must look.
                updated.lastError = "refused: \(error)"
                updated.availableAt = now.addingTimeInterval(86_400 * 365)
                self.logger.error(
                    "provider refused an outbox call", metadata: ["message": "\(message.id)", "error": "\(error)"])
                let notice = OutboxMessage(
                    id: "msg_\(self.workflow.ids.token(length: 26))", bookingID: message.bookingID,
                    effect: .emailAdmins(.paymentNeedsAttention), createdAt: now)
                try await self.workflow.store.write { tx in try await tx.enqueue(notice) }
            } catch {
                let backoff = min(pow(2, Double(min(updated.attempts, 12))), 3600)
                updated.lastError = "\(error)"
                updated.availableAt = now.addingTimeInterval(backoff)
            }
            let final = updated
            try await self.workflow.store.write { tx in try await tx.updateOutbox(final) }
        }
        return delivered
    }

    private func deliver(_ effect: OutboxEffect, bookingID: BookingID) async throws {
        switch effect {
        case .refund(let order, let key):
            guard let intent = order.paymentIntentID else {
                throw ProviderFailure(.permanent, message: "no payment to refund: the order names no payment")
            }
            do {
                _ = try await self.provider.refund(
                    RefundRequest(
                        paymentIntentID: intent, amountMinorUnits: order.minorUnits, idempotencyKey: key,
                        bookingReference: bookingID.rawValue))
            } catch let error as any PaymentProviderError where error.failure.reason == .alreadyRefunded {
                return  // Refunded already (by an earlier attempt whose answer was lost under another key, or by hand).
            }
        case .expireCheckout(let sessionID):
            do {
                _ = try await self.provider.expireCheckout(id: sessionID, idempotencyKey: "rdv-expire-\(sessionID)")
            } catch let error as any PaymentProviderError where error.failure.reason == .invalidRequest {
                return  // Not open any more: paid or expired already, which the webhooks report.
            }
        case .emailClient, .emailAdmins:
            return  // Not this worker's topic.
        }
    }
}

/// The defence against lost webhooks: checks the checkouts of bookings still waiting for payment, and catches up
/// from the provider's event list after downtime. Everything goes through `applyPaymentEvent`, so an event that
/// also arrives by webhook is applied once.
public struct ReconciliationService: ServiceLifecycle.Service {
    public let workflow: BookingWorkflow
    public let provider: any PaymentProvider
    public var interval: Duration
    private let logger: Logger
    static let cursorKey = "reconciliation.events_since"

    public init(
        workflow: BookingWorkflow, provider: any PaymentProvider, interval: Duration = .seconds(60),
        logger: Logger = Logger(label: "rendezvous.reconciliation")
    ) {
        self.workflow = workflow
        self.provider = provider
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await runPeriodically(every: self.interval, logger: self.logger, name: "reconciliation") {
            let applied = try await self.reconcile()
            if applied > 0 {
                self.logger.info("reconciliation applied payment facts", metadata: ["count": "\(applied)"])
            }
        }
    }

    /// One pass; returns how many facts changed a booking.
    public func reconcile() async throws -> Int {
        try await self.checkOpenCheckouts() + self.catchUpFromEvents()
    }

    /// Applies the payment of every waiting booking whose checkout is in fact paid.
    public func checkOpenCheckouts(limit: Int = 200) async throws -> Int {
        let waiting = try await self.workflow.store.read {
            try await $0.bookingsAwaitingPaymentWithCheckout(limit: limit)
        }
        var applied = 0
        for booking in waiting {
            guard let sessionID = booking.payment.checkoutSessionID else { continue }
            let session = try await self.provider.checkout(id: sessionID)
            guard session.isPaid, let amount = session.amountTotalMinorUnits,
                let currency = session.currency.flatMap(Currency.init)
            else {
                continue
            }
            let event = PaymentEvent(
                id: "reconcile:\(session.id)", type: "reconciliation.checkout_paid", bookingID: booking.id,
                kind: .succeeded(
                    PaymentReceipt(
                        amount: Money(minorUnits: amount, currency: currency), checkoutSessionID: session.id,
                        paymentIntentID: session.paymentIntentID)))
            if case .applied = try await self.workflow.applyPaymentEvent(event) { applied += 1 }
        }
        return applied
    }

    /// Applies the provider's events since the last pass (five minutes of overlap; duplicates are ignored by id).
    public func catchUpFromEvents(maxPages: Int = 10) async throws -> Int {
        let now = self.workflow.clock.now()
        let stored = try await self.workflow.store.read { try await $0.setting(Self.cursorKey) }
        let since =
            stored.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 - 300) } ?? now.addingTimeInterval(-86_400)
        var applied = 0
        var newest = since
        var startingAfter: String?
        for _ in 0..<maxPages {
            let page = try await self.provider.events(EventQuery(createdSince: since, startingAfter: startingAfter))
            for event in page.events {
                newest = max(newest, event.created)
                if case .applied = try await self.workflow.applyPaymentEvent(PaymentEvent(event)) { applied += 1 }
            }
            guard page.hasMore, let last = page.events.last else { break }
            startingAfter = last.id
        }
        let cursor = String(Int(max(newest, now.addingTimeInterval(-300)).timeIntervalSince1970))
        try await self.workflow.store.write { tx in try await tx.saveSetting(Self.cursorKey, value: cursor) }
        return applied
    }
}
