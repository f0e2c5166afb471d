import Booking
import Foundation

/// A side effect to carry out after the transaction that caused it committed.
public enum OutboxEffect: Hashable, Sendable, Codable {
    /// Email the booking's client.
    case emailClient(ClientNotice)
    /// Email the practice's admins about the booking.
    case emailAdmins(AdminNotice)
    /// Ask the payment provider for a refund; `idempotencyKey` is the same on every attempt.
    case refund(RefundOrder, idempotencyKey: String)
    /// Close an open provider checkout session.
    case expireCheckout(checkoutSessionID: String)

    /// Which worker delivers it.
    public var topic: OutboxTopic {
        switch self {
        case .emailClient, .emailAdmins: .email
        case .refund, .expireCheckout: .provider
        }
    }
}

/// The worker that delivers an outbox row.
public enum OutboxTopic: String, Hashable, Sendable, Codable, CaseIterable {
    case email
    case provider
}

/// One side effect waiting in the outbox, written in the same transaction as its cause.
public struct OutboxMessage: Hashable, Sendable, Identifiable {
    public var id: String
    public var bookingID: BookingID
    public var effect: OutboxEffect
    public var createdAt: Date
    /// Not before this instant (backoff after a failure).
    public var availableAt: Date
    public var attempts: Int
    public var lastError: String?
    public var deliveredAt: Date?

    public init(
        id: String, bookingID: BookingID, effect: OutboxEffect, createdAt: Date, availableAt: Date? = nil,
        attempts: Int = 0, lastError: String? = nil, deliveredAt: Date? = nil
    ) {
        self.id = id
        self.bookingID = bookingID
        self.effect = effect
        self.createdAt = createdAt
        self.availableAt = availableAt ?? createdAt
        self.attempts = attempts
        self.lastError = lastError
        self.deliveredAt = deliveredAt
    }
}

/// A payment fact reported by the provider, in provider-neutral terms.
public struct PaymentEvent: Hashable, Sendable {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        case succeeded(PaymentReceipt)
        case failed(reason: String)
        /// The provider's cumulative refunded amount on a payment (Stripe's `amount_refunded`).
        case refunded(totalMinorUnits: Int64, paymentIntentID: String?)
        /// The checkout completed but the money is still on its way (a delayed payment method): nothing to do yet.
        case pending
        /// The provider's checkout session expired (our own hold decides the booking's fate).
        case checkoutExpired(checkoutSessionID: String)
        /// A type we do not act on.
        case ignored
    }

    /// The provider's event id: the deduplication key.
    public var id: String
    /// The provider's type name (`checkout.session.completed`).
    public var type: String
    public var bookingID: BookingID?
    public var kind: Kind

    public init(id: String, type: String, bookingID: BookingID?, kind: Kind) {
        self.id = id
        self.type = type
        self.bookingID = bookingID
        self.kind = kind
    }
}

/// What applying a payment event did.
public enum PaymentEventOutcome: Hashable, Sendable {
    /// The booking moved (or its payment changed).
    case applied(BookingID, from: BookingState, to: BookingState)
    /// Applied, and it raised a flag an admin must look at (an amount other than the price, a late payment whose
    /// slot was taken, a refund to make by hand).
    case flagged(BookingID, from: BookingState, to: BookingState, flags: Set<AttentionFlag>)
    /// The event id was seen before: nothing done.
    case duplicate
    /// No booking of ours carries that id: recorded and acknowledged.
    case unknownBooking
    /// Recorded, and nothing to do (an ignored type, the same payment again, or an event the booking's state
    /// does not take).
    case ignored(reason: String)

    /// Whether the event changed a booking (applied, flagged or not).
    public var changedABooking: Bool {
        switch self {
        case .applied, .flagged: true
        case .duplicate, .unknownBooking, .ignored: false
        }
    }
}
