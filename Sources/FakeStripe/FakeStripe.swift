import Foundation
import Payments

/// How the fake provider behaves.
public struct FakeStripeConfiguration: Sendable {
    /// Where the fake is reached from outside (hosted checkout links are built on it), without a trailing slash:
    /// `http://127.0.0.1:12111`, or `http://127.0.0.1:8080/fake-stripe` when mounted inside the service.
    public var publicBaseURL: String
    /// Where events are POSTed; nil keeps them only for `GET /v1/events`.
    public var webhookURL: String?
    /// The `whsec_...` secret webhooks are signed with.
    public var webhookSecret: String
    /// How long a failing delivery is retried before the fake gives up on it.
    public var webhookRetryDeadline: Duration
    public var webhookInitialRetryDelay: Duration
    public var webhookMaxRetryDelay: Duration
    /// How long a request hit by the no-answer fault hangs before answering.
    public var hangDuration: Duration

    public init(
        publicBaseURL: String, webhookURL: String? = nil, webhookSecret: String,
        webhookRetryDeadline: Duration = .seconds(3 * 86_400),
        webhookInitialRetryDelay: Duration = .seconds(1), webhookMaxRetryDelay: Duration = .seconds(3600),
        hangDuration: Duration = .seconds(120)
    ) {
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.webhookURL = webhookURL
        self.webhookSecret = webhookSecret
        self.webhookRetryDeadline = webhookRetryDeadline
        self.webhookInitialRetryDelay = webhookInitialRetryDelay
        self.webhookMaxRetryDelay = webhookMaxRetryDelay
        self.hangDuration = hangDuration
    }
}

/// An API request as the fake sees it, independent of the HTTP server.
public struct FakeRequest: Sendable {
    public var method: String
    /// The path from `/v1/...` on.
    public var path: String
    /// The raw query string (without `?`).
    public var query: String
    public var body: [UInt8]
    public var authorization: String?
    public var idempotencyKey: String?

    public init(
        method: String, path: String, query: String = "", body: [UInt8] = [], authorization: String?,
        idempotencyKey: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.authorization = authorization
        self.idempotencyKey = idempotencyKey
    }
}

/// What the fake answers.
public struct FakeResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var contentType: String
    public var headers: [(String, String)]
    /// For the no-answer fault: the server waits this long before answering.
    public var hang: Duration?

    public init(
        status: Int, body: [UInt8], contentType: String = "application/json", headers: [(String, String)] = [],
        hang: Duration? = nil
    ) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.headers = headers
        self.hang = hang
    }

    /// A `303 See Other` to `location`.
    static func redirect(_ location: String) -> FakeResponse {
        FakeResponse(status: 303, body: [], contentType: "text/plain", headers: [("Location", location)])
    }
}

/// A fault the next API calls suffer.
public enum APIFault: Hashable, Sendable {
    /// Answer with this status and a Stripe error envelope, without doing anything.
    case status(Int)
    /// Do the work, then do not answer (the client times out; its retry must replay by idempotency key).
    case noAnswer
}

/// A fault the next emitted event's delivery suffers.
public enum DeliveryFault: Hashable, Sendable {
    /// Deliver it twice.
    case duplicate
    /// Deliver it after the event that follows it.
    case outOfOrder
    /// Deliver it this much later.
    case delay(Duration)
}

/// A webhook delivery due now.
public struct DueDelivery: Sendable {
    public var deliveryID: Int
    public var eventID: String
    public var payload: [UInt8]
    public var attempt: Int
}

/// A record of one delivery attempt, for tests and the console.
public struct DeliveryAttempt: Hashable, Sendable {
    public var eventID: String
    public var attempt: Int
    public var succeeded: Bool
}
