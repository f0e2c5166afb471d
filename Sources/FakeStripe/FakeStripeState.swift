import Foundation
import Payments

/// A stateful, Stripe-compatible payment provider: checkout sessions, payment intents, charges, refunds and events,
/// with Stripe's JSON shapes, error envelope and idempotency; a hosted checkout page; signed webhook deliveries with
/// retries; and fault injection for tests.
public actor FakeStripe {
    public private(set) var configuration: FakeStripeConfiguration
    let now: @Sendable () -> Date

    var sessions: [String: JSONValue] = [:]
    var sessionOrder: [String] = []
    var paymentIntents: [String: JSONValue] = [:]
    var charges: [String: JSONValue] = [:]
    var refunds: [String: JSONValue] = [:]
    /// Newest last.
    var events: [(id: String, type: String, created: Int64, payload: [UInt8])] = []
    var idempotency: [String: (fingerprint: String, response: FakeResponse)] = [:]

    var apiFaults: [APIFault] = []
    var nextDeliveryFaults: [DeliveryFault] = []
    var deliveries: [Int: PendingDelivery] = [:]
    var nextDeliveryID = 0
    var heldDelivery: Int?
    /// A held delivery waiting for the next event's delivery (`releaser`) to be accepted or abandoned.
    var releasing: (releaser: Int, held: Int)?
    var attemptLog: [DeliveryAttempt] = []

    struct PendingDelivery {
        var eventID: String
        var payload: [UInt8]
        var attempts: Int
        var due: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var held: Bool
    }

    public init(configuration: FakeStripeConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    /// Changes the configuration, for a fake whose address is known only once its server runs.
    public func reconfigure(_ change: @Sendable (inout FakeStripeConfiguration) -> Void) {
        change(&self.configuration)
    }

    // MARK: - Fault injection and inspection

    /// The next `count` API calls suffer `fault`.
    public func injectAPIFault(_ fault: APIFault, count: Int = 1) {
        if case .status(let status) = fault, !(400...599).contains(status) { return }
        self.apiFaults += Array(repeating: fault, count: max(0, min(count, 1000)))
    }

    /// The next emitted event's delivery suffers `fault`.
    public func injectDeliveryFault(_ fault: DeliveryFault) { self.nextDeliveryFaults.append(fault) }

    /// Every checkout session, oldest first.
    public func allCheckoutSessions() -> [JSONValue] { self.sessionOrder.compactMap { self.sessions[$0] } }

    /// Every refund.
    public func allRefunds() -> [JSONValue] { Array(self.refunds.values) }

    /// Every event id and type, oldest first.
    public func allEvents() -> [(id: String, type: String)] { self.events.map { ($0.id, $0.type) } }

    /// The exact bytes of an event (as delivered and signed).
    public func eventPayload(_ id: String) -> [UInt8]? { self.events.first { $0.id == id }?.payload }

    /// Every webhook delivery attempt so far.
    public func deliveryAttempts() -> [DeliveryAttempt] { self.attemptLog }

    /// Deliveries not yet acknowledged (or given up).
    public func pendingDeliveryCount() -> Int { self.deliveries.count }

    // MARK: - API

    /// Answers one `/v1` API request as Stripe would: the key checked, injected faults applied, a POST with an
    /// idempotency key answered once and replayed after, then `operation` carried out.
    public func handleAPI(_ request: FakeRequest, _ operation: APIOperation) -> FakeResponse {
        let requestID = "req_" + Self.randomToken(14)
        guard let key = Self.secretKey(from: request.authorization) else {
            return self.error(
                401, type: "invalid_request_error", code: nil, message: Self.authMessage(request.authorization),
                param: nil, requestID: requestID)
        }
        if !self.apiFaults.isEmpty, case .status(let status) = self.apiFaults[0] {
            self.apiFaults.removeFirst()
            let type = status == 429 ? "rate_limit_error" : status == 409 ? "idempotency_error" : "api_error"
            let code = status == 429 ? "rate_limit" : status == 409 ? "lock_timeout" : nil
            return self.error(
                status, type: type, code: code, message: "Injected fault: \(status).", param: nil, requestID: requestID)
        }
        var hang: Duration?
        if !self.apiFaults.isEmpty, self.apiFaults[0] == .noAnswer {
            self.apiFaults.removeFirst()
            hang = self.configuration.hangDuration
        }

        var response: FakeResponse
        if request.method == "POST", let idempotencyKey = request.idempotencyKey {
            let scoped = key + "\u{1F}" + idempotencyKey
            let fingerprint =
                "\(request.method) \(request.path) \(StripeForm(parsing: String(decoding: request.body, as: UTF8.self)).fingerprint)"
            if let stored = self.idempotency[scoped] {
                if stored.fingerprint == fingerprint {
                    response = stored.response
                    response.headers.append(("Idempotent-Replayed", "true"))
                } else {
                    response = self.error(
                        400, type: "idempotency_error", code: "idempotency_key_in_use",
                        message:
                            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                        param: nil, requestID: requestID)
                }
            } else {
                response = self.perform(operation, request, requestID: requestID)
                self.idempotency[scoped] = (fingerprint, response)
            }
        } else {
            response = self.perform(operation, request, requestID: requestID)
        }
        response.headers.append(("Request-Id", requestID))
        response.hang = hang
        return response
    }

    /// Carries out one API operation; the router chose it from the method and path.
    func perform(_ operation: APIOperation, _ request: FakeRequest, requestID: String) -> FakeResponse {
        let form = StripeForm(parsing: String(decoding: request.body, as: UTF8.self))
        switch operation {
        case .createCheckoutSession:
            return self.createSession(form, requestID: requestID)
        case .retrieveCheckoutSession(let id):
            return self.found(self.sessions[id], "checkout.session", id, param: "session", requestID: requestID)
        case .expireCheckoutSession(let id):
            return self.expireSession(id, requestID: requestID)
        case .createRefund:
            return self.createRefund(form, requestID: requestID)
        case .retrieveRefund(let id):
            return self.found(self.refunds[id], "refund", id, param: "id", requestID: requestID)
        case .retrievePaymentIntent(let id):
            return self.found(self.paymentIntents[id], "payment_intent", id, param: "intent", requestID: requestID)
        case .retrieveCharge(let id):
            return self.found(self.charges[id], "charge", id, param: "id", requestID: requestID)
        case .listEvents:
            return self.listEvents(StripeForm(parsing: request.query), requestID: requestID)
        case .retrieveEvent(let id):
            guard let event = self.events.first(where: { $0.id == id }) else {
                return self.missing("event", id, param: "id", requestID: requestID)
            }
            return FakeResponse(status: 200, body: event.payload)
        case .unrecognized:
            return self.error(
                404, type: "invalid_request_error", code: nil,
                message: "Unrecognized request URL (\(request.method): \(request.path)).", param: nil,
                requestID: requestID)
        }
    }

    // MARK: - Helpers

    func found(_ object: JSONValue?, _ kind: String, _ id: String, param: String, requestID: String)
        -> FakeResponse
    {
        if kind == "checkout.session" { self.expireDueSessions() }
        guard let object = kind == "checkout.session" ? self.sessions[id] : object else {
            return self.missing(kind, id, param: param, requestID: requestID)
        }
        return FakeResponse(status: 200, body: Self.publicView(object).bytes)
    }

    func missing(_ kind: String, _ id: String, param: String, requestID: String) -> FakeResponse {
        self.error(
            404, type: "invalid_request_error", code: "resource_missing", message: "No such \(kind): '\(id)'",
            param: param, requestID: requestID)
    }

    func error(_ status: Int, type: String, code: String?, message: String, param: String?, requestID: String)
        -> FakeResponse
    {
        var body: [(String, JSONValue)] = [("type", .string(type))]
        if let code { body.append(("code", .string(code))) }
        body.append(("message", .string(message)))
        if let param { body.append(("param", .string(param))) }
        body.append(("request_log_url", .string("https://dashboard.stripe.com/test/logs/\(requestID)")))
        return FakeResponse(status: status, body: JSONValue.object([("error", .object(body))]).bytes)
    }

    /// The object without the fake's private `_` members.
    static func publicView(_ object: JSONValue) -> JSONValue {
        guard case .object(let members) = object else { return object }
        return .object(members.filter { !$0.0.hasPrefix("_") })
    }

    static func secretKey(from authorization: String?) -> String? {
        guard let authorization else { return nil }
        var key: String?
        if authorization.hasPrefix("Bearer ") {
            key = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if authorization.hasPrefix("Basic "), let data = Data(base64Encoded: String(authorization.dropFirst(6)))
        {
            key = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false).first
                .map(String.init)
        }
        guard let key, key.hasPrefix("sk_test_"), key.count > 8 else { return nil }
        return key
    }

    static func authMessage(_ authorization: String?) -> String {
        guard authorization != nil else {
            return
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        }
        return "Invalid API Key provided. This fake accepts any sk_test_ key."
    }

    static func randomToken(_ length: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }

    static func formatAmount(_ minor: Int64, currency: String) -> String {
        let cents = minor % 100
        return "\(minor / 100).\(cents < 10 ? "0" : "")\(cents) \(currency.uppercased())"
    }
}
