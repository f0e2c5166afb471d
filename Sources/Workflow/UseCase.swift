import Booking
import Foundation
import Payments

/// What every use case works with, injected once by the composition root: the store, the clock, the id port, the
/// payment provider, the public links and the staff assignment policy.
public struct WorkflowContext: Sendable {
    let store: any BookingStore
    public let clock: any WallClock
    public let ids: any IdentifierGenerator
    let provider: any PaymentProvider
    public let links: PublicLinks
    public let assignment: StaffAssignment
    /// How long a claimed outbox row stays hidden from other workers (see `OutboxDelivery`).
    public let outboxLease: TimeInterval
    /// Rung when outbox work is queued (by any instance), if the store can tell.
    public let workBell: WorkBell?
}

/// A use case: one role's operations over the shared context, each one transaction through the store (the checks,
/// the transition, its history line and its outbox rows commit together or not at all).
protocol UseCase: Sendable {
    var context: WorkflowContext { get }
}

extension UseCase {
    var store: any BookingStore { self.context.store }
    var clock: any WallClock { self.context.clock }
    var ids: any IdentifierGenerator { self.context.ids }

    /// Applies an event to a booking and writes what follows: the booking, its history line, its outbox rows.
    func transition(
        _ booking: Booking, _ event: BookingEvent, actor: Actor, reason: String? = nil, providerEventID: String? = nil,
        notifyClient: Bool = true, reasonShownToClient: Bool = false, now: Date, in tx: any BookingStoreTransaction
    ) async throws -> (booking: Booking, transition: Transition) {
        var updated = booking
        let transition = try updated.lifecycle.apply(event)
        guard transition.changedAnything || event == .rescheduled else { return (booking, transition) }
        updated = try await self.perform(transition.actions, on: updated, notifyClient: notifyClient, now: now, in: tx)
        if !updated.state.holdsSlotUntilDeadline { updated.holdUntil = nil }
        updated.updatedAt = now
        try await tx.update(updated)
        try await tx.append(
            HistoryEntry(
                bookingID: booking.id, at: now, actor: actor, from: transition.from, to: transition.to,
                event: transition.event.rawValue, reason: reason, providerEventID: providerEventID,
                reasonShownToClient: reasonShownToClient && reason != nil))
        return (updated, transition)
    }

    /// Turns actions into changes of the booking and outbox rows (written in the caller's transaction).
    func perform(
        _ actions: [BookingAction], on booking: Booking, notifyClient: Bool, now: Date,
        in tx: any BookingStoreTransaction
    ) async throws -> Booking {
        var booking = booking
        for action in actions {
            var effect: OutboxEffect?
            let messageID = OutboxMessage.newID(self.ids)
            switch action {
            case .notifyClient(let notice):
                if notifyClient { effect = .emailClient(notice) }
            case .notifyAdmins(let notice):
                effect = .emailAdmins(notice)
            case .refund(let order):
                effect = .refund(order, idempotencyKey: "rdv-refund-\(booking.id)-\(messageID)")
            case .releaseHold, .retakeSlot:
                booking.holdUntil = nil
            case .expireCheckout:
                if let session = booking.payment.checkoutSessionID {
                    effect = .expireCheckout(checkoutSessionID: session)
                }
            }
            if let effect {
                try await tx.enqueue(
                    OutboxMessage(id: messageID, bookingID: booking.id, effect: effect, createdAt: now))
            }
        }
        return booking
    }

    func newBooking(
        client: Client, slot: ClaimedSlot, selection: ServiceSelection, rules: BookingRules, origin: BookingOrigin,
        lifecycle: BookingLifecycle, holdMinutes: Int, note: String?, now: Date
    ) -> Booking {
        let holds = lifecycle.state.holdsSlotUntilDeadline
        return Booking(
            id: self.ids.make(BookingID.self), accessToken: self.ids.make(AccessToken.self), clientID: client.id,
            staffID: slot.slot.staffID, lines: selection.lines, start: slot.slot.start, end: slot.slot.end,
            rules: rules, bufferMinutes: slot.bufferMinutes, origin: origin, lifecycle: lifecycle,
            holdUntil: holds ? Booking.holdDeadline(now: now, windowMinutes: holdMinutes, start: slot.slot.start) : nil,
            clientNote: note, createdAt: now, updatedAt: now
        )
    }

    static func selection(_ ids: [ServiceID], from reader: any BookingStoreReader) async throws -> ServiceSelection {
        guard !ids.isEmpty else {
            throw BookingError.invalidField(field: "serviceIds", reason: "at least one service is required")
        }
        let catalog = try await reader.services()
        let services = try ids.map { id in
            guard let service = catalog.first(where: { $0.id == id }) else {
                throw BookingError.invalidField(field: "serviceIds", reason: "unknown service \(id)")
            }
            return service
        }
        return try ServiceSelection(services)
    }

    static func require<T>(_ value: T?, _ what: String = "booking") throws -> T {
        guard let value else { throw BookingError.notFound(what: what) }
        return value
    }

    static func validatedNote(_ note: String?) throws(BookingError) -> String? {
        guard let note else { return nil }
        let trimmed = try TypedText.checked(
            note.trimmingCharacters(in: .whitespacesAndNewlines), field: "note", multiline: true)
        if trimmed.isEmpty { return nil }
        guard trimmed.count <= 2000 else { throw .invalidField(field: "note", reason: "at most 2000 characters") }
        return trimmed
    }
}

extension OutboxMessage {
    /// A new outbox row id (also the email's Message-ID and part of the provider idempotency key).
    static func newID(_ ids: any IdentifierGenerator) -> String { "msg_\(ids.token(length: 26))" }
}
