import Foundation

/// The payment provider, in provider-neutral terms: hosted checkouts, refunds, and the event list that
/// reconciliation reads. `StripeClient` speaks it to Stripe (or any Stripe-compatible API, such as FakeStripe).
public protocol PaymentProvider: Sendable {
    /// Opens a hosted checkout for one booking. The idempotency key makes a retry return the same checkout.
    func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession
    /// Reads a checkout back.
    func checkout(id: String) async throws -> CheckoutSession
    /// Closes an open checkout so it can no longer be paid.
    func expireCheckout(id: String, idempotencyKey: String) async throws -> CheckoutSession
    /// Refunds a payment, whole (`amountMinorUnits` nil) or in part.
    func refund(_ request: RefundRequest) async throws -> ProviderRefund
    /// Recent events, newest first, for reconciliation after downtime.
    func events(_ query: EventQuery) async throws -> EventPage
}

/// One line of a checkout: a name, a unit price, a quantity.
public struct CheckoutLine: Hashable, Sendable {
    public var name: String
    public var unitAmountMinorUnits: Int64
    public var quantity: Int

    public init(name: String, unitAmountMinorUnits: Int64, quantity: Int = 1) {
        self.name = name
        self.unitAmountMinorUnits = unitAmountMinorUnits
        self.quantity = quantity
    }
}

/// What a checkout for one booking needs.
public struct CheckoutRequest: Hashable, Sendable {
    /// Our booking id: sent as `client_reference_id` and `metadata[booking_id]`.
    public var bookingReference: String
    public var lines: [CheckoutLine]
    /// ISO 4217, any case (sent lower-case).
    public var currency: String
    public var customerEmail: String?
    /// Where the provider sends the client after paying; `{CHECKOUT_SESSION_ID}` is filled in by the provider.
    public var successURL: String
    public var cancelURL: String
    /// When the checkout stops accepting payment (30 minutes to 24 hours after creation at Stripe).
    public var expiresAt: Date?
    /// Derived from the booking and the purpose, so no retry can create a second checkout.
    public var idempotencyKey: String

    public init(
        bookingReference: String, lines: [CheckoutLine], currency: String, customerEmail: String?, successURL: String,
        cancelURL: String, expiresAt: Date?, idempotencyKey: String
    ) {
        self.bookingReference = bookingReference
        self.lines = lines
        self.currency = currency
        self.customerEmail = customerEmail
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.expiresAt = expiresAt
        self.idempotencyKey = idempotencyKey
    }
}

/// A hosted checkout as the provider reports it.
public struct CheckoutSession: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable { case open, complete, expired }

    public var id: String
    /// The hosted page to send the client to (nil once the checkout is closed).
    public var url: String?
    public var status: Status
    /// `paid`, `unpaid` or `no_payment_required`.
    public var paymentStatus: String
    public var amountTotalMinorUnits: Int64?
    /// Upper-case ISO 4217.
    public var currency: String?
    public var bookingReference: String?
    public var paymentIntentID: String?
    public var expiresAt: Date?

    public init(
        id: String, url: String?, status: Status, paymentStatus: String, amountTotalMinorUnits: Int64?,
        currency: String?,
        bookingReference: String?, paymentIntentID: String?, expiresAt: Date?
    ) {
        self.id = id
        self.url = url
        self.status = status
        self.paymentStatus = paymentStatus
        self.amountTotalMinorUnits = amountTotalMinorUnits
        self.currency = currency
        self.bookingReference = bookingReference
        self.paymentIntentID = paymentIntentID
        self.expiresAt = expiresAt
    }

    /// Whether the money is in.
    public var isPaid: Bool { self.status == .complete && self.paymentStatus == "paid" }
}

/// A refund to ask for.
public struct RefundRequest: Hashable, Sendable {
    public var paymentIntentID: String
    /// Nil refunds whatever remains.
    public var amountMinorUnits: Int64?
    public var idempotencyKey: String
    public var bookingReference: String?

    public init(
        paymentIntentID: String, amountMinorUnits: Int64?, idempotencyKey: String, bookingReference: String? = nil
    ) {
        self.paymentIntentID = paymentIntentID
        self.amountMinorUnits = amountMinorUnits
        self.idempotencyKey = idempotencyKey
        self.bookingReference = bookingReference
    }
}

/// A refund as the provider reports it.
public struct ProviderRefund: Hashable, Sendable {
    public var id: String
    public var amountMinorUnits: Int64
    public var currency: String
    public var paymentIntentID: String?
    /// `pending`, `succeeded`, `failed`, `canceled` or `requires_action`.
    public var status: String

    public init(id: String, amountMinorUnits: Int64, currency: String, paymentIntentID: String?, status: String) {
        self.id = id
        self.amountMinorUnits = amountMinorUnits
        self.currency = currency
        self.paymentIntentID = paymentIntentID
        self.status = status
    }
}

/// Which events to list.
public struct EventQuery: Hashable, Sendable {
    public var types: [String]
    public var createdSince: Date?
    /// Continue after this event id (pagination).
    public var startingAfter: String?
    public var limit: Int

    public init(
        types: [String] = ProviderEvent.handledTypes, createdSince: Date? = nil, startingAfter: String? = nil,
        limit: Int = 100
    ) {
        self.types = types
        self.createdSince = createdSince
        self.startingAfter = startingAfter
        self.limit = limit
    }
}

/// One page of events.
public struct EventPage: Hashable, Sendable {
    public var events: [ProviderEvent]
    public var hasMore: Bool

    public init(events: [ProviderEvent], hasMore: Bool) {
        self.events = events
        self.hasMore = hasMore
    }
}

/// A payment fact from the provider, in neutral terms.
public struct ProviderEvent: Hashable, Sendable {
    /// The event types we act on; other types decode to `.ignored`.
    public static let handledTypes = [
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired", "charge.refunded",
    ]

    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// Money received for a checkout.
        case paymentSucceeded(ProviderPayment)
        /// The checkout completed but the money is still on its way (a delayed payment method).
        case paymentPending(checkoutSessionID: String)
        /// A delayed payment failed.
        case paymentFailed(checkoutSessionID: String)
        /// The checkout expired unpaid.
        case checkoutExpired(checkoutSessionID: String)
        /// A payment was refunded; `totalRefundedMinorUnits` is the cumulative amount refunded on it.
        case refunded(paymentIntentID: String?, totalRefundedMinorUnits: Int64, currency: String)
        /// A type we do not act on.
        case ignored
    }

    /// The provider's event id: the deduplication key.
    public var id: String
    public var type: String
    public var created: Date
    /// Our booking id, from `client_reference_id` or `metadata[booking_id]`, when the object carries it.
    public var bookingReference: String?
    public var kind: Kind

    public init(id: String, type: String, created: Date, bookingReference: String?, kind: Kind) {
        self.id = id
        self.type = type
        self.created = created
        self.bookingReference = bookingReference
        self.kind = kind
    }
}

/// Money received, as the provider reports it.
public struct ProviderPayment: Hashable, Sendable {
    public var amountMinorUnits: Int64
    /// Upper-case ISO 4217.
    public var currency: String
    public var checkoutSessionID: String?
    public var paymentIntentID: String?

    public init(amountMinorUnits: Int64, currency: String, checkoutSessionID: String?, paymentIntentID: String?) {
        self.amountMinorUnits = amountMinorUnits
        self.currency = currency
        self.checkoutSessionID = checkoutSessionID
        self.paymentIntentID = paymentIntentID
    }
}

/// What a payment provider's failure means to us, whatever the provider: the port's own error. Providers map their
/// errors onto it (`StripeError.failure`); the workflow matches on it, never on a provider's type.
public struct ProviderFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Try again later (with the same idempotency key): no answer, rate limited, the provider's own trouble.
        case retryable
        /// Refused: waiting will not change it.
        case permanent
        /// The object does not exist at the provider.
        case notFound
    }

    /// Situations the workflow handles on their own.
    public enum Reason: String, Hashable, Sendable {
        /// The idempotency key was used with other parameters, or is in use by a concurrent request.
        case idempotencyConflict
        /// The payment is refunded already.
        case alreadyRefunded
        /// The request is invalid for the object as it is now (a checkout no longer open, say).
        case invalidRequest
    }

    public var kind: Kind
    public var reason: Reason?
    /// The provider's own words, for logs and for an admin.
    public var message: String

    public init(_ kind: Kind, reason: Reason? = nil, message: String) {
        self.kind = kind
        self.reason = reason
        self.message = message
    }

    public var description: String { self.message }
}

/// An error a payment provider throws that says what it means as a `ProviderFailure`.
public protocol PaymentProviderError: Error {
    var failure: ProviderFailure { get }
}

extension ProviderFailure: PaymentProviderError {
    public var failure: ProviderFailure { self }
}

/// The provider of a process that takes no payments (`rendezvous migrate`, a benchmark of the booking path, a test
/// of another use case): every call is refused with a permanent `ProviderFailure` that says so.
public struct NoPaymentProvider: PaymentProvider {
    public init() {}

    private var refusal: ProviderFailure {
        ProviderFailure(.permanent, message: "no payment provider is configured in this process")
    }

    public func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession { throw self.refusal }
    public func checkout(id: String) async throws -> CheckoutSession { throw self.refusal }
    public func expireCheckout(id: String, idempotencyKey: String) async throws -> CheckoutSession {
        throw self.refusal
    }
    public func refund(_ request: RefundRequest) async throws -> ProviderRefund { throw self.refusal }
    public func events(_ query: EventQuery) async throws -> EventPage { throw self.refusal }
}
