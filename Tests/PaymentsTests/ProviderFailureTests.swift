import Payments
import Testing

/// Stripe's errors, mapped onto the provider port's own error: what the workflow matches on.
@Suite struct ProviderFailureTests {
    static func api(_ status: Int, _ type: String, code: String? = nil) -> StripeError {
        .api(StripeAPIError(status: status, type: type, code: code, message: "m", requestID: "req_1"))
    }

    @Test func kindsAndReasons() {
        let cases: [(StripeError, ProviderFailure.Kind, ProviderFailure.Reason?)] = [
            (.connection(detail: "refused"), .retryable, nil),
            (Self.api(500, "api_error"), .retryable, nil),
            (Self.api(429, "rate_limit_error"), .retryable, nil),
            (Self.api(409, "idempotency_error"), .retryable, .idempotencyConflict),
            (Self.api(400, "idempotency_error"), .permanent, .idempotencyConflict),
            (Self.api(400, "invalid_request_error", code: "charge_already_refunded"), .permanent, .alreadyRefunded),
            (Self.api(400, "invalid_request_error"), .permanent, .invalidRequest),
            (Self.api(404, "invalid_request_error"), .notFound, nil),
            (Self.api(401, "invalid_request_error"), .permanent, nil),
            (.unreadableResponse(status: 502, requestID: nil, detail: "html"), .retryable, nil),
        ]
        for (error, kind, reason) in cases {
            #expect(error.failure.kind == kind, "\(error)")
            #expect(error.failure.reason == reason, "\(error)")
            #expect(error.failure.message == error.description)
        }
    }
}
