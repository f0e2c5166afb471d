import Booking
import Foundation
import Payments

// The provider's side, continued: provider calls from the outbox, and reconciliation, the defence against lost
// webhooks — checking the checkouts of bookings still waiting for payment, and catching up from the provider's
// event list after downtime. Everything goes through `applyPaymentEvent`, so a fact that also arrives by webhook
// is applied once.
extension PaymentIntake {
    static let cursorKey = "reconciliation.events_since"

    /// Carries out a provider row of the outbox (a refund, closing a checkout) under its stable idempotency key.
    public func carryOut(_ row: OutboxMessage) async throws {
        let provider = self.context.provider
        let bookingID = row.bookingID
        switch row.effect {
        case .refund(let order, let key):
            guard let intent = order.paymentIntentID else {
                throw ProviderFailure(.permanent, message: "no payment to refund: the order names no payment")
            }
            do {
                _ = try await provider.refund(
                    RefundRequest(
                        paymentIntentID: intent, amountMinorUnits: order.minorUnits, idempotencyKey: key,
                        bookingReference: bookingID.rawValue))
            } catch let error as any PaymentProviderError where error.failure.reason == .alreadyRefunded {
                return  // Refunded already (by an earlier attempt whose answer was lost under another key, or by hand).
            }
        case .expireCheckout(let sessionID):
            do {
                _ = try await provider.expireCheckout(id: sessionID, idempotencyKey: "rdv-expire-\(sessionID)")
            } catch let error as any PaymentProviderError where error.failure.reason == .invalidRequest {
                return  // Not open any more: paid or expired already, which the webhooks report.
            }
        case .emailClient, .emailAdmins:
            return  // Not this worker's topic.
        }
    }

    /// One pass; returns how many facts changed a booking.
    public func reconcile() async throws -> Int {
        try await self.checkOpenCheckouts() + self.catchUpFromEvents()
    }

    /// Applies the payment of every waiting booking whose checkout is in fact paid.
    public func checkOpenCheckouts(limit: Int = 200) async throws -> Int {
        let waiting = try await self.store.read {
            try await $0.bookingsAwaitingPaymentWithCheckout(limit: limit)
        }
        var applied = 0
        for booking in waiting {
            guard let sessionID = booking.payment.checkoutSessionID else { continue }
            let session = try await self.context.provider.checkout(id: sessionID)
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
            if try await self.applyPaymentEvent(event).changedABooking { applied += 1 }
        }
        return applied
    }

    /// Applies the provider's events since the last pass (five minutes of overlap; duplicates are ignored by id).
    public func catchUpFromEvents(maxPages: Int = 10) async throws -> Int {
        let now = self.clock.now()
        let stored = try await self.store.read { try await $0.setting(Self.cursorKey) }
        let since =
            stored.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 - 300) } ?? now.addingTimeInterval(-86_400)
        var applied = 0
        var newest = since
        var startingAfter: String?
        for _ in 0..<maxPages {
            let page = try await self.context.provider.events(
                EventQuery(createdSince: since, startingAfter: startingAfter))
            for event in page.events {
                newest = max(newest, event.created)
                if try await self.applyPaymentEvent(PaymentEvent(event)).changedABooking { applied += 1 }
            }
            guard page.hasMore, let last = page.events.last else { break }
            startingAfter = last.id
        }
        let cursor = String(Int(max(newest, now.addingTimeInterval(-300)).timeIntervalSince1970))
        try await self.store.write { tx in try await tx.saveSetting(Self.cursorKey, value: cursor) }
        return applied
    }
}
