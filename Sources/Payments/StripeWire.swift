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
    public var payment_status: String?
    public var amount_total: Int64?
    public var currency: String?
    public var client_reference_id: String?
    public var metadata: [String: String]?
    public var payment_intent: StripeExpandable?
    public var expires_at: Int64?

    /// The neutral view.
    public var session: CheckoutSession {
        CheckoutSession(
            id: self.id, url: self.url, status: CheckoutSession.Status(rawValue: self.status ?? "") ?? .open,
            paymentStatus: self.payment_status ?? "unpaid", amountTotalMinorUnits: self.amount_total,
            currency: self.currency?.uppercased(), bookingReference: self.client_reference_id ?? self.metadata?["booking_id"],
            paymentIntentID: self.payment_intent?.id, expiresAt: self.expires_at.map { Date(timeIntervalSince1970: TimeInterval($0)) })
    }
}

/// `refund`.
public struct StripeRefundObject: Codable, Hashable, Sendable {
    public var id: String
    public var amount: Int64
    public var currency: String
    public var payment_intent: StripeExpandable?
    public var status: String?

    public var refund: ProviderRefund {
        ProviderRefund(
            id: self.id, amountMinorUnits: self.amount, currency: self.currency.uppercased(), paymentIntentID: self.payment_intent?.id,
            status: self.status ?? "pending")
    }
}

/// `charge`, as far as `charge.refunded` needs it.
public struct StripeChargeObject: Codable, Hashable, Sendable {
    public var id: String
    public var amount: Int64?
    public var amount_refunded: Int64?
    public var currency: String?
    public var payment_intent: StripeExpandable?
    public var metadata: [String: String]?
}

/// `list`.
public struct StripeList<Item: Decodable & Sendable>: Decodable, Sendable {
    public var data: [Item]
    public var has_more: Bool
}

/// The error envelope: `{"error":{"type","code","message","param"}}`.
public struct StripeErrorEnvelope: Codable, Hashable, Sendable {
    public struct Body: Codable, Hashable, Sendable {
        public var type: String
        public var code: String?
        public var message: String?
        public var param: String?
        public var decline_code: String?

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
        public var payment_status: String?
        public var amount_total: Int64?
        public var amount_refunded: Int64?
        public var currency: String?
        public var client_reference_id: String?
        public var metadata: [String: String]?
        public var payment_intent: StripeExpandable?

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.id = try? c.decodeIfPresent(String.self, forKey: .id)
            self.object = try? c.decodeIfPresent(String.self, forKey: .object)
            self.status = try? c.decodeIfPresent(String.self, forKey: .status)
            self.payment_status = try? c.decodeIfPresent(String.self, forKey: .payment_status)
            self.amount_total = try? c.decodeIfPresent(Int64.self, forKey: .amount_total)
            self.amount_refunded = try? c.decodeIfPresent(Int64.self, forKey: .amount_refunded)
            self.currency = try? c.decodeIfPresent(String.self, forKey: .currency)
            self.client_reference_id = try? c.decodeIfPresent(String.self, forKey: .client_reference_id)
            // NB: metadata values are strings at Stripe, but an unrelated event type may carry anything there.
            self.metadata = try? c.decodeIfPresent([String: String].self, forKey: .metadata)
            self.payment_intent = try? c.decodeIfPresent(StripeExpandable.self, forKey: .payment_intent)
        }

        enum CodingKeys: String, CodingKey {
            case id, object, status, payment_status, amount_total, amount_refunded, currency, client_reference_id, metadata
            case payment_intent
        }
    }

    /// The neutral event. Handled types whose object lacks a needed field are a decoding error.
    public func providerEvent() throws(StripeEventDecodingError) -> ProviderEvent {
        let object = self.data.object
        let reference = object.client_reference_id ?? object.metadata?["booking_id"]
        let created = Date(timeIntervalSince1970: TimeInterval(self.created))
        func field<T>(_ value: T?, _ name: String) throws(StripeEventDecodingError) -> T {
            guard let value else { throw StripeEventDecodingError.missingField(eventType: self.type, field: name) }
            return value
        }
        let kind: ProviderEvent.Kind
        switch self.type {
        case "checkout.session.completed", "checkout.session.async_payment_succeeded":
            let session = try field(object.id, "data.object.id")
            if self.type == "checkout.session.async_payment_succeeded" || object.payment_status == "paid" {
                kind = .paymentSucceeded(ProviderPayment(
                    amountMinorUnits: try field(object.amount_total, "amount_total"),
                    currency: try field(object.currency, "currency").uppercased(), checkoutSessionID: session,
                    paymentIntentID: object.payment_intent?.id))
            } else {
                kind = .paymentPending(checkoutSessionID: session)
            }
        case "checkout.session.async_payment_failed":
            kind = .paymentFailed(checkoutSessionID: try field(object.id, "data.object.id"))
        case "checkout.session.expired":
            kind = .checkoutExpired(checkoutSessionID: try field(object.id, "data.object.id"))
        case "charge.refunded":
            kind = .refunded(
                paymentIntentID: object.payment_intent?.id, totalRefundedMinorUnits: try field(object.amount_refunded, "amount_refunded"),
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
            event = try JSONDecoder().decode(StripeEventObject.self, from: Data(body))
        } catch {
            throw .notAnEvent("\(error)")
        }
        return try event.providerEvent()
    }
}
