import Foundation

// Stripe's JSON shapes, as far as we read them. Field names are Stripe's (snake_case); unknown fields are ignored.

/// A Stripe id that may come as a string or, when expanded, as an object with an `id`.
public struct StripeExpandable: Codable, Hashable, Sendable {
    public var id: String

    public init(id: String) { self.id = id }

    public init(from decoder: any Decoder) throws {
        if let id = try? decoder.singleValueContainer().decode(String.self) {
            self.id = id
        } else {
            struct Object: Decodable { var id: String }
            self.id = try Object(from: decoder).id
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.id)
    }
}

/// `checkout.session`.
public struct StripeCheckoutSessionObject: Codable, Hashable, Sendable {
    public var id: String
    public var object: String?
    public var url: String?
    public var status: String?
    public var paymentStatus: String?
    public var amountTotal: Int64?
    public var currency: String?
    public var clientReferenceId: String?
    public var metadata: [String: String]?
    public var paymentIntent: StripeExpandable?
    public var expiresAt: Int64?

    enum CodingKeys: String, CodingKey {
        case id, object, url, status, currency, metadata
        case paymentStatus = "payment_status"
        case amountTotal = "amount_total"
        case clientReferenceId = "client_reference_id"
        case paymentIntent = "payment_intent"
        case expiresAt = "expires_at"
    }

    /// The neutral view.
    public var session: CheckoutSession {
        CheckoutSession(
            id: self.id, url: self.url, status: CheckoutSession.Status(rawValue: self.status ?? "") ?? .open,
            paymentStatus: self.paymentStatus ?? "unpaid", amountTotalMinorUnits: self.amountTotal,
            currency: self.currency?.uppercased(),
            bookingReference: self.clientReferenceId ?? self.metadata?["booking_id"],
            paymentIntentID: self.paymentIntent?.id,
            expiresAt: self.expiresAt.map { Date(timeIntervalSince1970: TimeInterval($0)) })
    }
}

/// `refund`.
public struct StripeRefundObject: Codable, Hashable, Sendable {
    public var id: String
    public var amount: Int64
    public var currency: String
    public var paymentIntent: StripeExpandable?
    public var status: String?

    enum CodingKeys: String, CodingKey {
        case id, amount, currency, status
        case paymentIntent = "payment_intent"
    }

    /// The neutral view.
    public var refund: ProviderRefund {
        ProviderRefund(
            id: self.id, amountMinorUnits: self.amount, currency: self.currency.uppercased(),
            paymentIntentID: self.paymentIntent?.id,
            status: self.status ?? "pending")
    }
}

/// `charge`, as far as `charge.refunded` needs it.
public struct StripeChargeObject: Codable, Hashable, Sendable {
    public var id: String
    public var amount: Int64?
    public var amountRefunded: Int64?
    public var currency: String?
    public var paymentIntent: StripeExpandable?
    public var metadata: [String: String]?

    enum CodingKeys: String, CodingKey {
        case id, amount, currency, metadata
        case amountRefunded = "amount_refunded"
        case paymentIntent = "payment_intent"
    }
}

/// `list`.
public struct StripeList<Item: Decodable & Sendable>: Decodable, Sendable {
    public var data: [Item]
    public var hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case data
        case hasMore = "has_more"
    }
}

/// The error envelope: `{"error":{"type","code","message","param"}}`.
public struct StripeErrorEnvelope: Codable, Hashable, Sendable {
    public struct Body: Codable, Hashable, Sendable {
        public var type: String
        public var code: String?
        public var message: String?
        public var param: String?
        public var declineCode: String?

        enum CodingKeys: String, CodingKey {
            case type, code, message, param
            case declineCode = "decline_code"
        }

        public init(type: String, code: String? = nil, message: String? = nil, param: String? = nil) {
            self.type = type
            self.code = code
            self.message = message
            self.param = param
        }
    }

    public var error: Body

    public init(error: Body) { self.error = error }
}

/// An `event`, with its object decoded for the types we handle.
public struct StripeEventObject: Decodable, Sendable {
    public var id: String
    public var type: String
    public var created: Int64
    public var data: DataField

    public struct DataField: Decodable, Sendable {
        /// Decoded only as far as the fields of the handled types.
        public var object: EventPayload
    }

    /// The union of the fields the handled event types carry.
    public struct EventPayload: Decodable, Sendable {
        public var id: String?
        public var object: String?
        public var status: String?
        public var paymentStatus: String?
        public var amountTotal: Int64?
        public var amountRefunded: Int64?
        public var currency: String?
        public var clientReferenceId: String?
        public var metadata: [String: String]?
        public var paymentIntent: StripeExpandable?

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.id = try? c.decodeIfPresent(String.self, forKey: .id)
            self.object = try? c.decodeIfPresent(String.self, forKey: .object)
            self.status = try? c.decodeIfPresent(String.self, forKey: .status)
            self.paymentStatus = try? c.decodeIfPresent(String.self, forKey: .paymentStatus)
            self.amountTotal = try? c.decodeIfPresent(Int64.self, forKey: .amountTotal)
            self.amountRefunded = try? c.decodeIfPresent(Int64.self, forKey: .amountRefunded)
            self.currency = try? c.decodeIfPresent(String.self, forKey: .currency)
            self.clientReferenceId = try? c.decodeIfPresent(String.self, forKey: .clientReferenceId)
            // NB: metadata values are strings at Stripe, but an unrelated event type may carry anything there.
            self.metadata = try? c.decodeIfPresent([String: String].self, forKey: .metadata)
            self.paymentIntent = try? c.decodeIfPresent(StripeExpandable.self, forKey: .paymentIntent)
        }

        enum CodingKeys: String, CodingKey {
            case id, object, status, currency, metadata
            case paymentStatus = "payment_status"
            case amountTotal = "amount_total"
            case amountRefunded = "amount_refunded"
            case clientReferenceId = "client_reference_id"
            case paymentIntent = "payment_intent"
        }
    }

    /// The neutral event. Handled types whose object lacks a needed field are a decoding error.
    public func providerEvent() throws(StripeEventDecodingError) -> ProviderEvent {
        let object = self.data.object
        let reference = object.clientReferenceId ?? object.metadata?["booking_id"]
        let created = Date(timeIntervalSince1970: TimeInterval(self.created))
        func field<T>(_ value: T?, _ name: String) throws(StripeEventDecodingError) -> T {
            guard let value else { throw StripeEventDecodingError.missingField(eventType: self.type, field: name) }
            return value
        }
        let kind: ProviderEvent.Kind
        switch self.type {
        case "checkout.session.completed", "checkout.session.async_payment_succeeded":
            let session = try field(object.id, "data.object.id")
            if self.type == "checkout.session.async_payment_succeeded" || object.paymentStatus == "paid" {
                kind = .paymentSucceeded(
                    ProviderPayment(
                        amountMinorUnits: try field(object.amountTotal, "amount_total"),
                        currency: try field(object.currency, "currency").uppercased(), checkoutSessionID: session,
                        paymentIntentID: object.paymentIntent?.id))
            } else {
                kind = .paymentPending(checkoutSessionID: session)
            }
        case "checkout.session.async_payment_failed":
            kind = .paymentFailed(checkoutSessionID: try field(object.id, "data.object.id"))
        case "checkout.session.expired":
            kind = .checkoutExpired(checkoutSessionID: try field(object.id, "data.object.id"))
        case "charge.refunded":
            kind = .refunded(
                paymentIntentID: object.paymentIntent?.id,
                totalRefundedMinorUnits: try field(object.amountRefunded, "amount_refunded"),
                currency: try field(object.currency, "currency").uppercased())
        default:
            kind = .ignored
        }
        return ProviderEvent(id: self.id, type: self.type, created: created, bookingReference: reference, kind: kind)
    }
}

/// Why an event body could not be read.
public enum StripeEventDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not an event envelope at all.
    case notAnEvent(String)
    /// A handled type without a field it needs.
    case missingField(eventType: String, field: String)

    public var description: String {
        switch self {
        case .notAnEvent(let detail): "the body is not a Stripe event: \(detail)"
        case .missingField(let type, let field): "a \(type) event without \(field)"
        }
    }
}

extension ProviderEvent {
    /// Decodes a Stripe event body (webhook payload or list item) into the neutral event.
    public static func decodeStripe(_ body: some Collection<UInt8>) throws(StripeEventDecodingError) -> ProviderEvent {
        let event: StripeEventObject
        do {
            // NB: copied through the body's contiguous storage when it has one, element by element otherwise.
            let data = body.withContiguousStorageIfAvailable { Data($0) } ?? Data(Array(body))
            event = try JSONDecoder().decode(StripeEventObject.self, from: data)
        } catch {
            throw .notAnEvent("\(error)")
        }
        return try event.providerEvent()
    }
}
