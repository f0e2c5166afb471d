import FakeStripe
import Foundation
import Payments
import TestSupport
import Testing

/// `StripeClient` against FakeStripe over real HTTP.
@Suite struct StripeClientTests {
    static func client(
        _ baseURL: String, key: String = "sk_test_rendezvous", timeout: Duration = .seconds(5), retries: Int = 2
    ) -> StripeClient {
        StripeClient(
            configuration: StripeConfiguration(
                secretKey: key, apiBase: baseURL, timeout: timeout, maxRetries: retries,
                initialRetryDelay: .milliseconds(10),
                maxRetryDelay: .milliseconds(50)))
    }

    /// One instant for every request of a test run: parameters under one idempotency key must not change.
    static let expiresAt = Date().addingTimeInterval(3600)

    static func checkout(_ booking: String = "bk_1", key: String? = nil) -> CheckoutRequest {
        CheckoutRequest(
            bookingReference: booking,
            lines: [
                CheckoutLine(name: "First chat session", unitAmountMinorUnits: 4500),
                CheckoutLine(name: "Additional chat time", unitAmountMinorUnits: 2500),
            ],
            currency: "EUR", customerEmail: "zoe@example.com",
            successURL: "http://127.0.0.1:8080/bookings/\(booking)/paid?session_id={CHECKOUT_SESSION_ID}",
            cancelURL: "http://127.0.0.1:8080/bookings/\(booking)/cancelled",
            expiresAt: Self.expiresAt,
            idempotencyKey: key ?? "rdv-checkout-\(booking)-1")
    }

    @Test func createFetchAndExpireACheckout() async throws {
        try await withFakeStripe { fake, baseURL in
            let client = Self.client(baseURL)
            let session = try await client.createCheckout(Self.checkout())
            #expect(session.id.hasPrefix("cs_test_"))
            #expect(session.status == .open)
            #expect(session.amountTotalMinorUnits == 7000)
            #expect(session.currency == "EUR")
            #expect(session.bookingReference == "bk_1")
            #expect(session.url == "\(baseURL)/checkout/\(session.id)")
            #expect(try await client.checkout(id: session.id) == session)
            let expired = try await client.expireCheckout(id: session.id, idempotencyKey: "rdv-expire-\(session.id)")
            #expect(expired.status == .expired)
            #expect(expired.url == nil)
            // Expiring again with a new key: Stripe refuses a session that is not open.
            await #expect { try await client.expireCheckout(id: session.id, idempotencyKey: "other") } throws: {
                error in
                guard case .api(let stripe) = error as? StripeError, stripe.status == 400,
                    stripe.type == "invalid_request_error"
                else { return false }
                return stripe.requestID?.hasPrefix("req_") == true
            }
        }
    }

    @Test func theSameIdempotencyKeyNeverMakesASecondCheckout() async throws {
        try await withFakeStripe { fake, baseURL in
            let client = Self.client(baseURL)
            let first = try await client.createCheckout(Self.checkout())
            let again = try await client.createCheckout(Self.checkout())
            #expect(again.id == first.id)
            #expect(await fake.allCheckoutSessions().count == 1)
            // The same key with other parameters is refused.
            await #expect {
                try await client.createCheckout(Self.checkout("bk_2", key: "rdv-checkout-bk_1-1"))
            } throws: { error in
                guard case .api(let stripe) = error as? StripeError else { return false }
                return stripe.status == 400 && stripe.type == "idempotency_error"
            }
        }
    }

    @Test func errorsCarryStripesEnvelope() async throws {
        try await withFakeStripe { _, baseURL in
            let client = Self.client(baseURL)
            await #expect { try await client.checkout(id: "cs_test_missing") } throws: { error in
                guard case .api(let stripe) = error as? StripeError else { return false }
                return stripe
                    == StripeAPIError(
                        status: 404, type: "invalid_request_error", code: "resource_missing",
                        message: "No such checkout.session: 'cs_test_missing'", param: "session",
                        requestID: stripe.requestID) && stripe.requestID != nil
            }
            var bad = Self.checkout()
            bad.lines = []
            await #expect { try await client.createCheckout(bad) } throws: { error in
                guard case .api(let stripe) = error as? StripeError else { return false }
                return stripe.status == 400 && stripe.code == "parameter_missing" && stripe.param == "line_items"
            }
            await #expect { try await Self.client(baseURL, key: "sk_live_nope").checkout(id: "cs_1") } throws: {
                error in
                (error as? StripeError)?.status == 401
            }
            // Something that is not Stripe's JSON at all.
            await #expect { try await Self.client(baseURL + "/checkout").checkout(id: "cs_1") } throws: { error in
                if case .unreadableResponse(404, _, _) = error as? StripeError { return true }
                return false
            }
        }
    }

    @Test(arguments: [500, 409, 503])
    func retryableFailuresAreRetriedWithTheSameKey(status: Int) async throws {
        try await withFakeStripe { fake, baseURL in
            await fake.injectAPIFault(.status(status), count: 2)
            let session = try await Self.client(baseURL).createCheckout(Self.checkout())
            #expect(session.status == .open)
            #expect(await fake.allCheckoutSessions().count == 1)
        }
    }

    @Test func retriesStopAtTheLimit() async throws {
        try await withFakeStripe { fake, baseURL in
            await fake.injectAPIFault(.status(500), count: 3)
            await #expect { try await Self.client(baseURL).createCheckout(Self.checkout()) } throws: {
                ($0 as? StripeError)?.status == 500
            }
            #expect(await fake.allCheckoutSessions().isEmpty)
        }
    }

    @Test func rateLimitsAreNotRetried() async throws {
        try await withFakeStripe { fake, baseURL in
            await fake.injectAPIFault(.status(429), count: 1)
            await #expect { try await Self.client(baseURL).createCheckout(Self.checkout()) } throws: { error in
                (error as? StripeError)?.status == 429 && (error as? StripeError)?.isRetryable == true
            }
            // The next call goes through.
            _ = try await Self.client(baseURL).createCheckout(Self.checkout())
        }
    }

    @Test func aLostAnswerIsRetriedAndReplayedByKey() async throws {
        // NB: a retry is given a whole second to be answered. With 300 ms, a retry answered late on a busy machine (the
        // whole suite running at once on two cores) timed out as well, and the test failed for want of a core.
        try await withFakeStripe(hangDuration: .seconds(3)) { fake, baseURL in
            // The fake creates the session, then does not answer; the client times out and retries with the same key.
            await fake.injectAPIFault(.noAnswer, count: 1)
            let session = try await Self.client(baseURL, timeout: .seconds(1)).createCheckout(Self.checkout())
            #expect(await fake.allCheckoutSessions().count == 1)
            #expect(await fake.allCheckoutSessions().first?["id"]?.stringValue == session.id)
        }
    }

    @Test func refundsWholeOrInPartAndNeverTwice() async throws {
        try await withFakeStripe { fake, baseURL in
            let client = Self.client(baseURL)
            let session = try await client.createCheckout(Self.checkout())
            _ = await fake.pay(session.id)
            let paid = try await client.checkout(id: session.id)
            #expect(paid.isPaid)
            let intent = try #require(paid.paymentIntentID)
            let part = try await client.refund(
                RefundRequest(paymentIntentID: intent, amountMinorUnits: 2000, idempotencyKey: "rdv-refund-1"))
            #expect(part.amountMinorUnits == 2000)
            #expect(part.status == "succeeded")
            #expect(part.currency == "EUR")
            // A retry of the same refund returns it; it does not refund again.
            await fake.injectAPIFault(.status(500), count: 1)
            #expect(
                try await client.refund(
                    RefundRequest(paymentIntentID: intent, amountMinorUnits: 2000, idempotencyKey: "rdv-refund-1"))
                    == part)
            await #expect {
                try await client.refund(
                    RefundRequest(paymentIntentID: intent, amountMinorUnits: 6000, idempotencyKey: "rdv-refund-2"))
            } throws: { error in
                guard case .api(let stripe) = error as? StripeError else { return false }
                return stripe.status == 400 && stripe.code == "amount_too_large" && stripe.param == "amount"
            }
            let rest = try await client.refund(
                RefundRequest(paymentIntentID: intent, amountMinorUnits: nil, idempotencyKey: "rdv-refund-3"))
            #expect(rest.amountMinorUnits == 5000)
            #expect(await fake.allRefunds().count == 2)
        }
    }

    @Test func theEventListFeedsReconciliation() async throws {
        try await withFakeStripe { fake, baseURL in
            let client = Self.client(baseURL)
            let session = try await client.createCheckout(Self.checkout())
            _ = await fake.pay(session.id)
            let page = try await client.events(
                EventQuery(types: ["checkout.session.completed"], createdSince: Date().addingTimeInterval(-60)))
            #expect(page.hasMore == false)
            #expect(page.events.count == 1)
            guard case .paymentSucceeded(let payment) = page.events.first?.kind else {
                Issue.record("expected a payment")
                return
            }
            #expect(payment.amountMinorUnits == 7000)
            #expect(payment.checkoutSessionID == session.id)
            #expect(page.events.first?.bookingReference == "bk_1")
            // Pagination: everything after the newest event is older.
            _ = try await client.refund(
                RefundRequest(paymentIntentID: payment.paymentIntentID!, amountMinorUnits: nil, idempotencyKey: "r"))
            let all = try await client.events(EventQuery(types: [], limit: 1))
            #expect(all.events.first?.type == "charge.refunded")
            #expect(all.hasMore)
            let next = try await client.events(EventQuery(types: [], startingAfter: all.events.first?.id, limit: 100))
            #expect(!next.events.contains { $0.id == all.events.first?.id })
        }
    }

    @Test func backoffGrowsAndIsCappedWithJitter() {
        let client = StripeClient(
            configuration: StripeConfiguration(
                secretKey: "sk_test_x", initialRetryDelay: .milliseconds(500), maxRetryDelay: .seconds(5)))
        for attempt in 1...8 {
            let delay = client.backoffForTesting(afterAttempt: attempt)
            let base = min(Duration.milliseconds(500) * (1 << (attempt - 1)), .seconds(5))
            #expect(delay >= base * 0.5 && delay <= base)
        }
        #expect(
            StripeClient.shouldRetry(
                .api(StripeAPIError(status: 429, type: "rate_limit_error", message: "")),
                header: nil) == false)
        #expect(
            StripeClient.shouldRetry(
                .api(StripeAPIError(status: 429, type: "rate_limit_error", message: "")),
                header: true))
        #expect(
            StripeClient.shouldRetry(
                .api(StripeAPIError(status: 500, type: "api_error", message: "")), header: false)
                == false)
        #expect(StripeClient.shouldRetry(.connection(detail: "refused"), header: nil))
        #expect(
            StripeClient.shouldRetry(
                .api(StripeAPIError(status: 400, type: "invalid_request_error", message: "")),
                header: nil) == false)
    }
}
