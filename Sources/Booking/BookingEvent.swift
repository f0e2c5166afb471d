import Foundation

/// Something that happens to a booking. Fed to `BookingLifecycle.apply(_:)`.
public enum BookingEvent: Hashable, Sendable {
    /// The provider (or reconciliation) reports money received. `slotStillFree` matters only to a booking whose
    /// hold lapsed: the workflow checks, in the same transaction, whether its time is still free.
    case paymentSucceeded(PaymentReceipt, slotStillFree: Bool)
    /// A payment attempt failed; the client may try again while the hold lasts.
    case paymentFailed(reason: String)
    /// The hold's deadline passed without payment (or confirmation).
    case paymentWindowLapsed
    /// The client confirmed a booking an admin made for them.
    case clientConfirmed
    /// An admin approved.
    case approved
    /// An admin rejected.
    case rejected
    /// The client or an admin canceled.
    case canceled
    /// The booking moved to another time (same staff member).
    case rescheduled
    /// An admin marked the session as having taken place.
    case completed
    /// An admin marked that the client did not come.
    case markedNoShow
    /// The provider confirms a refund of this many minor units of the given payment.
    case refunded(minorUnits: Int64, paymentIntentID: String?)
    /// An admin records that the client paid by other means.
    case markedPaidOffline
    /// An admin puts an approved booking back to waiting for their approval (pending again).
    case putBackOnHold

    /// The event's name, without its data.
    public var kind: BookingEventKind {
        switch self {
        case .paymentSucceeded: .paymentSucceeded
        case .paymentFailed: .paymentFailed
        case .paymentWindowLapsed: .paymentWindowLapsed
        case .clientConfirmed: .clientConfirmed
        case .approved: .approved
        case .rejected: .rejected
        case .canceled: .canceled
        case .rescheduled: .rescheduled
        case .completed: .completed
        case .markedNoShow: .markedNoShow
        case .refunded: .refunded
        case .markedPaidOffline: .markedPaidOffline
        case .putBackOnHold: .putBackOnHold
        }
    }
}

/// The name of a `BookingEvent`, as written to history and error messages.
public enum BookingEventKind: String, Hashable, Sendable, Codable, CaseIterable {
    case paymentSucceeded, paymentFailed, paymentWindowLapsed, clientConfirmed, approved, rejected, canceled
    case rescheduled, completed, markedNoShow, refunded, markedPaidOffline, putBackOnHold
}

/// An email the client must receive because of a transition.
public enum ClientNotice: String, Hashable, Sendable, Codable, CaseIterable {
    /// A client booking was made and waits for payment (carries the payment link).
    case bookingReceived
    /// An admin made a booking for the client (pending; carries the payment link when one is needed).
    case bookingCreatedByAdmin
    /// An admin-made booking waits for the client's confirmation.
    case confirmationRequested
    /// The client confirmed; payment is now due by the link.
    case paymentRequested
    /// Paid; waiting for approval.
    case paymentReceived
    /// A payment attempt failed; the link still works while the hold lasts.
    case paymentFailed
    case approved
    case rejected
    case canceled
    case rescheduled
    /// An admin reminds the client that the booking still waits for payment (the payment link again).
    case paymentReminder
    /// An approved booking is pending again: the practice will confirm it.
    case pendingAgain
    /// The hold lapsed before payment.
    case paymentLapsed
    /// A payment arrived after the slot was given to someone else; it is refunded.
    case latePaymentRefunded
    /// An admin created the client's record: a signed, single-use link into their client area.
    case accountInvitation
}

/// An email the admins must receive because of a transition.
public enum AdminNotice: String, Hashable, Sendable, Codable, CaseIterable {
    /// A paid booking waits for approval.
    case awaitingApproval
    /// Money needs a person: mismatch, late or duplicate payment, external or offline refund.
    case paymentNeedsAttention
    /// A client canceled.
    case clientCanceled
}

/// A refund to ask of the payment provider.
public struct RefundOrder: Hashable, Sendable, Codable {
    public var minorUnits: Int64
    public var currency: Currency
    /// The provider payment to refund.
    public var paymentIntentID: String?

    public init(minorUnits: Int64, currency: Currency, paymentIntentID: String?) {
        self.minorUnits = minorUnits
        self.currency = currency
        self.paymentIntentID = paymentIntentID
    }
}

/// What must happen because of a transition. The workflow turns each into stored changes and outbox rows.
public enum BookingAction: Hashable, Sendable {
    case notifyClient(ClientNotice)
    case notifyAdmins(AdminNotice)
    /// Ask the provider for a refund.
    case refund(RefundOrder)
    /// The slot is free again.
    case releaseHold
    /// A booking whose hold had lapsed takes its (still free) slot back.
    case retakeSlot
    /// Close the provider's open checkout session so it cannot be paid any more.
    case expireCheckout
}

/// The result of applying one event: the state before and after and what must happen.
public struct Transition: Hashable, Sendable {
    public var from: BookingState
    public var to: BookingState
    public var event: BookingEventKind
    public var actions: [BookingAction]
    /// False when the event had been applied before (the same payment reported again): nothing changed.
    public var changedAnything: Bool

    public init(
        from: BookingState, to: BookingState, event: BookingEventKind, actions: [BookingAction],
        changedAnything: Bool = true
    ) {
        self.from = from
        self.to = to
        self.event = event
        self.actions = actions
        self.changedAnything = changedAnything
    }
}
