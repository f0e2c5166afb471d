import Foundation

/// Where a booking stands. Changed only by `BookingLifecycle.apply(_:)`.
public enum BookingState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Made by an admin who asked the client to confirm first; holds its slot.
    case awaitingClientConfirmation
    /// Holds its slot until the payment window ends.
    case awaitingPayment
    /// Paid (or free), waiting for an admin.
    case awaitingApproval
    /// Confirmed: the session will take place.
    case approved
    /// The session took place.
    case completed
    /// An admin refused the booking.
    case rejected
    /// The client or an admin called the booking off.
    case canceled
    /// The payment (or confirmation) window lapsed before payment.
    case expired
    /// The client did not come.
    case noShow

    /// States after which nothing more happens to the booking itself (payments may still be refunded).
    public var isClosed: Bool {
        switch self {
        case .completed, .rejected, .canceled, .expired, .noShow: true
        case .awaitingClientConfirmation, .awaitingPayment, .awaitingApproval, .approved: false
        }
    }

    /// States that hold their slot only until `holdUntil`.
    public var holdsSlotUntilDeadline: Bool { self == .awaitingClientConfirmation || self == .awaitingPayment }

    /// States that occupy their slot for good.
    public var occupiesSlot: Bool {
        switch self {
        case .awaitingApproval, .approved, .completed, .noShow: true
        default: false
        }
    }
}

/// What is known about the money of a booking, kept beside its state.
public enum PaymentStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Nothing received yet.
    case unpaid
    /// Received in full.
    case paid
    /// A refund is queued or under way.
    case refundPending
    /// Everything received was given back.
    case refunded
    /// The last payment attempt failed; the client may try again while the hold lasts.
    case failed
    /// Nothing is owed: a free booking.
    case notRequired
}

/// How the money of a booking was, or will be, received.
public enum PaymentMethod: String, Hashable, Sendable, Codable, CaseIterable {
    /// Through the payment provider's checkout, by our payment link.
    case link
    /// By other means, marked by an admin.
    case offline
    /// Nothing to pay.
    case free
}

/// Something about the money of a booking that an admin must look at.
public enum AttentionFlag: String, Hashable, Sendable, Codable, CaseIterable {
    /// A payment arrived with another amount or currency than the price snapshot; it was not applied.
    case amountMismatch
    /// A payment arrived after the hold lapsed and the slot had been taken since; it is refunded.
    case latePaymentSlotTaken
    /// A payment arrived for a booking already rejected or canceled; it is refunded.
    case paymentAfterClose
    /// A second payment arrived for a booking already paid; it is refunded.
    case duplicatePayment
    /// The provider reported a refund we did not ask for.
    case externalRefund
    /// Money paid offline must be given back by hand.
    case offlineRefundDue
}

/// Provider references of a payment that arrived.
public struct PaymentReceipt: Hashable, Sendable, Codable {
    /// What the provider says was paid.
    public var amount: Money
    /// The provider's checkout session (`cs_…`), if any.
    public var checkoutSessionID: String?
    /// The provider's payment (`pi_…`): what refunds refer to.
    public var paymentIntentID: String?

    public init(amount: Money, checkoutSessionID: String? = nil, paymentIntentID: String? = nil) {
        self.amount = amount
        self.checkoutSessionID = checkoutSessionID
        self.paymentIntentID = paymentIntentID
    }

    /// The reference that identifies this payment: the payment intent, else the checkout session.
    public var reference: String? { self.paymentIntentID ?? self.checkoutSessionID }
}

/// The money side of a booking.
public struct PaymentRecord: Hashable, Sendable, Codable {
    public var status: PaymentStatus
    /// How payment is expected.
    public var method: PaymentMethod
    /// The price snapshot taken when the booking was made.
    public var expected: Money
    /// Minor units actually received (and applied).
    public var receivedMinorUnits: Int64
    /// Minor units refunded or queued for refund.
    public var refundRequestedMinorUnits: Int64
    /// Minor units the provider confirmed as refunded.
    public var refundedMinorUnits: Int64
    /// The provider's checkout session, once known.
    public var checkoutSessionID: String?
    /// The provider's payment, once paid.
    public var paymentIntentID: String?

    public init(method: PaymentMethod, expected: Money) {
        self.status = method == .free ? .notRequired : .unpaid
        self.method = method
        self.expected = expected
        self.receivedMinorUnits = 0
        self.refundRequestedMinorUnits = 0
        self.refundedMinorUnits = 0
    }

    /// Whether money is held that could be refunded.
    public var refundableMinorUnits: Int64 { self.receivedMinorUnits - self.refundRequestedMinorUnits }

    /// Whether the booking's price is settled (paid in full, or free).
    public var isSettled: Bool { self.status == .paid || self.status == .notRequired }
}

/// Who caused a change: written to the booking's history.
public enum Actor: Hashable, Sendable, Codable, CustomStringConvertible {
    case client(ClientID)
    case admin(AdminID)
    /// The payment provider, through a verified webhook or reconciliation.
    case provider
    /// A background job (hold expiry).
    case system

    /// `client:cl_…`, `admin:adm_…`, `provider`, `system`.
    public var description: String {
        switch self {
        case .client(let id): "client:\(id)"
        case .admin(let id): "admin:\(id)"
        case .provider: "provider"
        case .system: "system"
        }
    }

    /// Parses `description` back.
    public init?(description text: String) {
        if text == "provider" {
            self = .provider
        } else if text == "system" {
            self = .system
        } else if text.hasPrefix("client:") {
            self = .client(ClientID(rawValue: String(text.dropFirst(7))))
        } else if text.hasPrefix("admin:") {
            self = .admin(AdminID(rawValue: String(text.dropFirst(6))))
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let actor = Actor(description: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "unknown actor \(text)"))
        }
        self = actor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}
