import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// How to reach Stripe (or a Stripe-compatible API).
public struct StripeConfiguration: Sendable {
    /// `sk_test_...` or `sk_live_...`.
    public var secretKey: String
    /// `https://api.stripe.com` by default; any http(s) base for a fake.
    public var apiBase: String
    /// The pinned API version, sent as `Stripe-Version`.
    public var apiVersion: String
    /// The time allowed for one attempt.
    public var timeout: Duration
    /// Attempts after the first one, for retryable failures.
    public var maxRetries: Int
    /// The first backoff; each later one doubles, up to `maxRetryDelay`, with 50–100 % jitter.
    public var initialRetryDelay: Duration
    public var maxRetryDelay: Duration

    /// The API version this code is written against.
    public static let pinnedAPIVersion = "2026-10-28.endive"

    public init(
        secretKey: String, apiBase: String = "https://api.stripe.com", apiVersion: String = pinnedAPIVersion,
        timeout: Duration = .seconds(30), maxRetries: Int = 2, initialRetryDelay: Duration = .milliseconds(500),
        maxRetryDelay: Duration = .seconds(5)
    ) {
        self.secretKey = secretKey
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.apiVersion = apiVersion
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.initialRetryDelay = initialRetryDelay
        self.maxRetryDelay = maxRetryDelay
    }
}

/// Stripe's error envelope (`{"error": {...}}`) with the HTTP status and the request id.
public struct StripeAPIError: Hashable, Sendable {
    public var status: Int
    /// `invalid_request_error`, `idempotency_error`, `api_error`, ...
    public var type: String
    /// `resource_missing`, `charge_already_refunded`, ...
    public var code: String?
    public var message: String
    /// The parameter at fault.
    public var param: String?
    public var requestID: String?

    public init(
        status: Int, type: String, code: String? = nil, message: String, param: String? = nil, requestID: String? = nil
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.requestID = requestID
    }
}

/// A failure talking to Stripe; `failure` says what it means to the port.
public enum StripeError: PaymentProviderError, Hashable, Sendable, CustomStringConvertible {
    /// Stripe answered with its error envelope.
    case api(StripeAPIError)
    /// Stripe answered something that is not the JSON we expect.
    case unreadableResponse(status: Int, requestID: String?, detail: String)
    /// No answer: connection refused or reset, or the attempt timed out.
    case connection(detail: String)

    /// The HTTP status, when there was an answer.
    public var status: Int? {
        switch self {
        case .api(let error): error.status
        case .unreadableResponse(let status, _, _): status
        case .connection: nil
        }
    }

    /// Whether trying again later (with the same idempotency key) may succeed.
    public var isRetryable: Bool {
        guard let status = self.status else { return true }
        return status == 409 || status == 429 || status >= 500
    }

    /// Stripe's error, mapped onto the provider port's.
    public var failure: ProviderFailure {
        var reason: ProviderFailure.Reason?
        if case .api(let error) = self {
            if error.type == "idempotency_error" {
                reason = .idempotencyConflict
            } else if error.code == "charge_already_refunded" {
                reason = .alreadyRefunded
            } else if error.status == 400, error.type == "invalid_request_error" {
                reason = .invalidRequest
            }
        }
        let kind: ProviderFailure.Kind =
            self.isRetryable ? .retryable : self.status == 404 ? .notFound : .permanent
        return ProviderFailure(kind, reason: reason, message: self.description)
    }

    public var description: String {
        switch self {
        case .api(let error):
            "Stripe \(error.status) \(error.type)\(error.code.map { "/\($0)" } ?? ""): \(error.message)"
                + (error.param.map { " (param \($0))" } ?? "") + (error.requestID.map { " [\($0)]" } ?? "")
        case .unreadableResponse(let status, let requestID, let detail):
            "Stripe \(status): unreadable response\(requestID.map { " [\($0)]" } ?? ""): \(detail)"
        case .connection(let detail): "Stripe unreachable: \(detail)"
        }
    }
}

/// `PaymentProvider` over Stripe's REST API with AsyncHTTPClient: form bodies with indexed brackets, a Bearer key, a
/// pinned `Stripe-Version`, an `Idempotency-Key` on every POST, and the official SDKs' retry policy.
public struct StripeClient: PaymentProvider {
    public let configuration: StripeConfiguration
    private let httpClient: HTTPClient
    private let logger: Logger

    public init(
        configuration: StripeConfiguration, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "rendezvous.stripe")
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    public func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession {
        var form = StripeForm()
        form.append("mode", "payment")
        form.append("success_url", request.successURL)
        form.append("cancel_url", request.cancelURL)
        for (index, line) in request.lines.enumerated() {
            form.append("line_items[\(index)][price_data][currency]", request.currency.lowercased())
            form.append("line_items[\(index)][price_data][unit_amount]", line.unitAmountMinorUnits)
            form.append("line_items[\(index)][price_data][product_data][name]", line.name)
            form.append("line_items[\(index)][quantity]", Int64(line.quantity))
        }
        form.append("metadata[booking_id]", request.bookingReference)
        form.append("payment_intent_data[metadata][booking_id]", request.bookingReference)
        form.append("client_reference_id", request.bookingReference)
        form.append("customer_email", request.customerEmail)
        form.append("expires_at", request.expiresAt.map { Int64($0.timeIntervalSince1970.rounded(.down)) })
        let object: StripeCheckoutSessionObject = try await self.send(
            .POST, "/v1/checkout/sessions", form: form, idempotencyKey: request.idempotencyKey)
        return object.session
    }

    public func checkout(id: String) async throws -> CheckoutSession {
        let object: StripeCheckoutSessionObject = try await self.send(
            .GET, "/v1/checkout/sessions/\(Self.pathComponent(id))")
        return object.session
    }

    public func expireCheckout(id: String, idempotencyKey: String) async throws -> CheckoutSession {
        let object: StripeCheckoutSessionObject = try await self.send(
            .POST, "/v1/checkout/sessions/\(Self.pathComponent(id))/expire", form: StripeForm(),
            idempotencyKey: idempotencyKey)
        return object.session
    }

    public func refund(_ request: RefundRequest) async throws -> ProviderRefund {
        var form = StripeForm()
        form.append("payment_intent", request.paymentIntentID)
        form.append("amount", request.amountMinorUnits)
        form.append("metadata[booking_id]", request.bookingReference)
        let object: StripeRefundObject = try await self.send(
            .POST, "/v1/refunds", form: form, idempotencyKey: request.idempotencyKey)
        return object.refund
    }

    public func events(_ query: EventQuery) async throws -> EventPage {
        var form = StripeForm()
        for (index, type) in query.types.enumerated() { form.append("types[\(index)]", type) }
        form.append("created[gte]", query.createdSince.map { Int64($0.timeIntervalSince1970.rounded(.down)) })
        form.append("starting_after", query.startingAfter)
        form.append("limit", Int64(query.limit))
        let list = try await self.send(.GET, "/v1/events?\(form.encoded)") { body in
            try StripeEventObject.readList(body.readableBytesView)
        }
        var events: [ProviderEvent] = []
        for event in list.events {
            do {
                events.append(try event.providerEvent())
            } catch {
                self.logger.warning(
                    "skipping an event that cannot be read", metadata: ["event": "\(event.id)", "error": "\(error)"])
            }
        }
        return EventPage(events: events, hasMore: list.hasMore)
    }

    // MARK: - Transport

    /// Sends one request with retries, and decodes the answer or Stripe's error envelope.
    func send<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, form: StripeForm? = nil, idempotencyKey: String? = nil
    ) async throws -> Response {
        try await self.send(method, path, form: form, idempotencyKey: idempotencyKey) { body in
            try JSONDecoder().decode(Response.self, from: Data(body.readableBytesView))
        }
    }

    /// Sends one request with retries, and reads the answer with `read` or decodes Stripe's error envelope.
    func send<Response>(
        _ method: HTTPMethod, _ path: String, form: StripeForm? = nil, idempotencyKey: String? = nil,
        reading read: (ByteBuffer) throws -> Response
    ) async throws -> Response {
        var request = HTTPClientRequest(url: self.configuration.apiBase + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(self.configuration.secretKey)")
        request.headers.add(name: "Stripe-Version", value: self.configuration.apiVersion)
        request.headers.add(name: "User-Agent", value: "Rendezvous/1 (Swift; AsyncHTTPClient)")
        request.headers.add(name: "Accept", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        let bodyBytes = form.map { Array($0.encoded.utf8) }
        if bodyBytes != nil { request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded") }

        var attempt = 0
        while true {
            attempt += 1
            if let bodyBytes { request.body = .bytes(ByteBuffer(bytes: bodyBytes)) }
            let outcome: Result<Response, StripeError>
            var shouldRetryHeader: Bool?
            do {
                let response = try await self.httpClient.execute(
                    request, timeout: TimeAmount(self.configuration.timeout))
                let body = try await response.body.collect(upTo: 4 << 20)
                shouldRetryHeader = response.headers.first(name: "Stripe-Should-Retry").map { $0 == "true" }
                outcome = Self.decode(
                    status: Int(response.status.code), requestID: response.headers.first(name: "Request-Id"),
                    body: body,
                    reading: read)
            } catch let error as StripeError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(.connection(detail: "\(error)"))
            }
            switch outcome {
            case .success(let value):
                return value
            case .failure(let error):
                guard attempt <= self.configuration.maxRetries, Self.shouldRetry(error, header: shouldRetryHeader)
                else { throw error }
                let delay = self.backoff(afterAttempt: attempt)
                self.logger.info(
                    "retrying a Stripe request",
                    metadata: ["path": "\(path)", "attempt": "\(attempt)", "error": "\(error)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// The official SDKs' rule: obey `Stripe-Should-Retry`; otherwise retry 409, 5xx and connection failures, not 429.
    public static func shouldRetry(_ error: StripeError, header: Bool?) -> Bool {
        if let header { return header }
        guard let status = error.status else { return true }
        return status == 409 || status >= 500
    }

    /// The delay before the next attempt, exposed for tests of the policy.
    public func backoffForTesting(afterAttempt attempt: Int) -> Duration { self.backoff(afterAttempt: attempt) }

    /// `min(initial * 2^(n-1), max)` scaled by a random 50–100 %.
    func backoff(afterAttempt attempt: Int) -> Duration {
        let base = self.configuration.initialRetryDelay * (1 << min(attempt - 1, 20))
        let capped = min(base, self.configuration.maxRetryDelay)
        return capped * Double.random(in: 0.5...1.0)
    }

    static func decode<Response>(
        status: Int, requestID: String?, body: ByteBuffer, reading read: (ByteBuffer) throws -> Response
    ) -> Result<Response, StripeError> {
        if (200..<300).contains(status) {
            do {
                return .success(try read(body))
            } catch {
                return .failure(.unreadableResponse(status: status, requestID: requestID, detail: "\(error)"))
            }
        }
        let data = Data(body.readableBytesView)
        if let envelope = try? JSONDecoder().decode(StripeErrorEnvelope.self, from: data) {
            return .failure(
                .api(
                    StripeAPIError(
                        status: status, type: envelope.error.type, code: envelope.error.code,
                        message: envelope.error.message ?? "no message", param: envelope.error.param,
                        requestID: requestID)))
        }
        let snippet = String(decoding: data.prefix(200), as: UTF8.self)
        return .failure(
            .unreadableResponse(status: status, requestID: requestID, detail: snippet.isEmpty ? "empty body" : snippet))
    }

    static func pathComponent(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "_-"))) ?? id
    }
}
