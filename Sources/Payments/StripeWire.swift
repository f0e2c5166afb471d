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

/// An `event`, read as far as the types we handle need: its envelope, and the members of its object those types use.
struct StripeEventObject: Sendable {
    var id: String
    var type: String
    var created: Int64
    /// `data.object`.
    var object: EventPayload

    /// The union of the members the handled event types carry. A member of another shape (an unrelated event type
    /// may carry anything) is left out, as if absent.
    struct EventPayload: Sendable {
        var id: String?
        var status: String?
        var paymentStatus: String?
        var amountTotal: Int64?
        var amountRefunded: Int64?
        var currency: String?
        var clientReferenceId: String?
        var metadata: [String: String]?
        /// An id, or an expanded object's id.
        var paymentIntent: String?

        init(reading reader: inout JSONReader) throws {
            try reader.readObject { reader, name in
                switch name {
                case "id": self.id = try reader.stringIfString()
                case "status": self.status = try reader.stringIfString()
                case "payment_status": self.paymentStatus = try reader.stringIfString()
                case "amount_total": self.amountTotal = try reader.integerIfInteger()
                case "amount_refunded": self.amountRefunded = try reader.integerIfInteger()
                case "currency": self.currency = try reader.stringIfString()
                case "client_reference_id": self.clientReferenceId = try reader.stringIfString()
                case "metadata": self.metadata = try Self.readMetadata(&reader)
                case "payment_intent": self.paymentIntent = try Self.readExpandable(&reader)
                default: try reader.skipValue()
                }
            }
        }

        /// Stripe's metadata: strings by name, or `nil` when it is not an object of strings.
        private static func readMetadata(_ reader: inout JSONReader) throws -> [String: String]? {
            guard try reader.nextKind() == .object else {
                try reader.skipValue()
                return nil
            }
            var metadata: [String: String]? = [:]
            try reader.readObject { reader, name in
                let value = try reader.stringIfString()
                if let value { metadata?[name] = value } else { metadata = nil }
            }
            return metadata
        }

        /// An id that may come as a string or, expanded, as an object with an `id`.
        private static func readExpandable(_ reader: inout JSONReader) throws -> String? {
            guard try reader.nextKind() == .object else { return try reader.stringIfString() }
            var id: String?
            try reader.readObject { reader, name in
                if name == "id" { id = try reader.stringIfString() } else { try reader.skipValue() }
            }
            return id
        }
    }

    /// Reads an event: an object with a string `id` and `type`, an integer `created`, and `data.object` an object.
    /// NB: an event of the wrong shape is the result, not a throw, so that a body that is not JSON at all says so
    /// first: the reader goes on to its end before the caller looks at the shape.
    static func read(_ reader: inout JSONReader) throws -> Result<StripeEventObject, StripeEventShapeError> {
        var id: String?
        var type: String?
        var created: Int64??
        var object: EventPayload?
        try reader.readObject { reader, name in
            switch name {
            case "id": id = try reader.readString()
            case "type": type = try reader.readString()
            case "created": created = .some(try reader.integerIfInteger())
            case "data":
                try reader.readObject { reader, name in
                    if name == "object" { object = try EventPayload(reading: &reader) } else { try reader.skipValue() }
                }
            default: try reader.skipValue()
            }
        }
        guard let id else { return .failure(.missing("id")) }
        guard let type else { return .failure(.missing("type")) }
        guard let created else { return .failure(.missing("created")) }
        guard let created else { return .failure(.notAnInteger("created")) }
        guard let object else { return .failure(.missing("data.object")) }
        return .success(StripeEventObject(id: id, type: type, created: created, object: object))
    }

    /// The neutral event. Handled types whose object lacks a needed field are a decoding error.
    public func providerEvent() throws(StripeEventDecodingError) -> ProviderEvent {
        let object = self.object
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
                        paymentIntentID: object.paymentIntent))
            } else {
                kind = .paymentPending(checkoutSessionID: session)
            }
        case "checkout.session.async_payment_failed":
            kind = .paymentFailed(checkoutSessionID: try field(object.id, "data.object.id"))
        case "checkout.session.expired":
            kind = .checkoutExpired(checkoutSessionID: try field(object.id, "data.object.id"))
        case "charge.refunded":
            kind = .refunded(
                paymentIntentID: object.paymentIntent,
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

/// An event whose JSON is well formed but not an event's shape.
enum StripeEventShapeError: Error, CustomStringConvertible {
    case missing(String)
    case notAnInteger(String)

    var description: String {
        switch self {
        case .missing(let member): "no \(member)"
        case .notAnInteger(let member): "\(member) is not an integer"
        }
    }
}

extension ProviderEvent {
    /// Decodes a Stripe event body (a webhook's payload) into the neutral event.
    public static func decodeStripe(_ body: some Collection<UInt8>) throws(StripeEventDecodingError) -> ProviderEvent {
        let event: StripeEventObject
        do {
            event = try JSONReader.read(body) { reader in try StripeEventObject.read(&reader) }.get()
        } catch {
            throw .notAnEvent("\(error)")
        }
        return try event.providerEvent()
    }
}

extension StripeEventObject {
    /// A page of `GET /v1/events`: `{"object":"list","data":[event, …],"has_more":…}`.
    static func readList(_ body: some Collection<UInt8>) throws -> (events: [StripeEventObject], hasMore: Bool) {
        let (events, hasMore) = try JSONReader.read(body) { reader in
            var events: [Result<StripeEventObject, StripeEventShapeError>]?
            var hasMore: Bool?
            try reader.readObject { reader, name in
                switch name {
                case "data":
                    var page: [Result<StripeEventObject, StripeEventShapeError>] = []
                    try reader.readArray { reader in page.append(try StripeEventObject.read(&reader)) }
                    events = page
                case "has_more":
                    guard let value = try reader.readLiteral() else { throw StripeEventShapeError.missing("has_more") }
                    hasMore = value
                default: try reader.skipValue()
                }
            }
            guard let events else { throw StripeEventShapeError.missing("data") }
            guard let hasMore else { throw StripeEventShapeError.missing("has_more") }
            return (events, hasMore)
        }
        return (try events.map { try $0.get() }, hasMore)
    }
}
