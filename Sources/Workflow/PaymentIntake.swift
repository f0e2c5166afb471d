import Booking
import Foundation

/// The provider's side: payment events applied once, checkouts attached, reconciliation with the provider.
public struct PaymentIntake: UseCase {
    let context: WorkflowContext

    /// Applies a payment fact from the provider, once per event id, in one transaction with recording that id.
    public func applyPaymentEvent(_ event: PaymentEvent) async throws -> PaymentEventOutcome {
        let now = self.clock.now()
        // NB: optimistic: a payment reads its event and its booking by id and writes a transition, so a store may
        // skip the locks and commit in one step (PostgreSQL: two round trips instead of four).
        return try await self.store.writeOptimistically { tx in
            let recorded = try await tx.recordProviderEvent(
                id: event.id, type: event.type, receivedAt: now, naming: event.bookingID)
            guard case .recorded(var found) = recorded else { return .duplicate }
            if event.bookingID == nil, case .refunded(_, let intent?) = event.kind {
                found = try await tx.booking(paymentIntentID: intent)
            }
            guard var booking = found else { return .unknownBooking }
            let bookingID = booking.id
            let domainEvent: BookingEvent
            switch event.kind {
            case .ignored:
                return .ignored(reason: "event type \(event.type) is not acted on")
            case .checkoutExpired(let sessionID):
                // Our own hold decides; forget the dead session so the payment link opens a new one.
                if booking.payment.checkoutSessionID == sessionID, !booking.payment.isSettled {
                    booking.lifecycle.attachCheckout(sessionID: nil)
                    booking.updatedAt = now
                    try await tx.update(booking)
                }
                return .ignored(reason: "checkout session expired")
            case .failed(let reason):
                domainEvent = .paymentFailed(reason: reason)
            case .pending:
                return .ignored(reason: "payment pending at the provider")
            case .refunded(let total, let paymentIntentID):
                // Deliveries are unordered and repeated: only the part not yet counted is new.
                let surplus = paymentIntentID != nil && paymentIntentID != booking.payment.paymentIntentID
                let counted = surplus ? booking.lifecycle.surplusRefundedMinorUnits : booking.payment.refundedMinorUnits
                guard total > counted else { return .ignored(reason: "refund already counted") }
                domainEvent = .refunded(minorUnits: total - counted, paymentIntentID: paymentIntentID)
            case .succeeded(let receipt):
                if booking.holdLapsed(at: now) {
                    // The hold ran out before the expiry job saw it: expire first, then treat the money as late.
                    booking = try await self.transition(booking, .paymentWindowLapsed, actor: .system, now: now, in: tx)
                        .booking
                }
                var slotStillFree = true
                if booking.state == .expired {
                    // Taking its slot back is placing it again: with the staff member's buffer of now.
                    var placed = booking
                    placed.takeBuffer(from: try await tx.schedules())
                    let busy = try await tx.busyTimes(
                        staffIDs: [booking.staffID], overlapping: placed.blockedInterval, at: now,
                        excluding: booking.id)
                    slotStillFree = busy.isEmpty && booking.start > now
                    if slotStillFree { booking = placed }
                }
                domainEvent = .paymentSucceeded(receipt, slotStillFree: slotStillFree)
            }
            let from = booking.state
            do {
                let result = try await self.transition(
                    booking, domainEvent, actor: .provider, providerEventID: event.id, now: now, in: tx)
                guard result.transition.changedAnything else { return .ignored(reason: "already applied") }
                let raised = result.booking.lifecycle.attention.subtracting(booking.lifecycle.attention)
                guard raised.isEmpty else {
                    return .flagged(bookingID, from: from, to: result.booking.state, flags: raised)
                }
                return .applied(bookingID, from: from, to: result.booking.state)
            } catch let error as BookingError {
                guard case .illegalTransition = error else { throw error }
                // NB: the provider's facts are not ours to refuse; a webhook that cannot apply is acknowledged
                // (and kept in the history) rather than retried for days.
                try await tx.append(
                    HistoryEntry(
                        bookingID: bookingID, at: now, actor: .provider, from: from, to: from,
                        event: domainEvent.kind.rawValue,
                        reason: "not applied: \(error.message)", providerEventID: event.id))
                return .ignored(reason: error.message)
            }
        }
    }

    /// Remembers the provider checkout session opened for a booking's payment link.
    public func attachCheckout(bookingID: BookingID, checkoutSessionID: String) async throws -> Booking {
        let now = self.clock.now()
        return try await self.store.write { tx in
            var booking = try Self.require(await tx.booking(bookingID))
            guard booking.lifecycle.payment.checkoutSessionID != checkoutSessionID else { return booking }
            booking.lifecycle.attachCheckout(sessionID: checkoutSessionID)
            booking.updatedAt = now
            try await tx.update(booking)
            try await tx.append(
                HistoryEntry(
                    bookingID: booking.id, at: now, actor: .system, from: booking.state, to: booking.state,
                    event: HistoryEntry.Step.checkoutOpened.rawValue,
                    reason: checkoutSessionID))
            return booking
        }
    }
}
