import Foundation
import Payments
import TestSupport
import Testing

/// Form bodies as the official client sends them, and Stripe's event payloads decoded into neutral events.
@Suite struct WireFormatTests {
    struct Captured: Decodable {
        struct Request: Decodable {
            var method: String
            var path: String
            var headers: [String: String]
            var body: String
        }
        var requests: [Request]
    }

    static let captured: Captured = try! JSONDecoder().decode(
        Captured.self, from: Data(contentsOf: Fixtures.url("stripe/stripe-python-requests.json")))

    @Test func ourFormEncodingIsByteForByteTheOfficialClients() {
        var form = StripeForm()
        form.append("mode", "payment")
        form.append("success_url", "http://127.0.0.1:8080/bookings/bk_1/paid?session_id={CHECKOUT_SESSION_ID}")
        form.append("cancel_url", "http://127.0.0.1:8080/bookings/bk_1/cancelled")
        form.append("line_items[0][price_data][currency]", "eur")
        form.append("line_items[0][price_data][unit_amount]", Int64(4500))
        form.append("line_items[0][price_data][product_data][name]", "Room 1, 2 nights")
        form.append("line_items[0][quantity]", Int64(1))
        form.append("metadata[booking_id]", "bk_1")
        form.append("client_reference_id", "bk_1")
        #expect(form.encoded == Self.captured.requests[0].body)
    }

    @Test func theOfficialClientsBodiesParseBack() {
        let form = StripeForm(parsing: Self.captured.requests[0].body)
        #expect(form["success_url"] == "http://127.0.0.1:8080/bookings/bk_1/paid?session_id={CHECKOUT_SESSION_ID}")
        #expect(form["line_items[0][price_data][product_data][name]"] == "Room 1, 2 nights")
        #expect(form.indices(of: "line_items") == [0])
        #expect(form.dictionary("metadata") == ["booking_id": "bk_1"])
        // Percent-encoded brackets mean the same.
        #expect(StripeForm(parsing: "metadata%5Bbooking_id%5D=bk_2").dictionary("metadata") == ["booking_id": "bk_2"])
        #expect(StripeForm(parsing: "a=%E2%82%AC+5")["a"] == "€ 5")
    }

    @Test(arguments: [
        (
            "checkout.session.completed.json",
            ProviderEvent.Kind.paymentSucceeded(
                ProviderPayment(
                    amountMinorUnits: 4500, currency: "EUR", checkoutSessionID: "cs_test_a1B2c3D4e5F6g7H8",
                    paymentIntentID: "pi_3SaMple000000000000001"))
        ),
        (
            "checkout.session.async_payment_succeeded.json",
            .paymentSucceeded(
                ProviderPayment(
                    amountMinorUnits: 4500, currency: "EUR", checkoutSessionID: "cs_test_a1B2c3D4e5F6g7H8",
                    paymentIntentID: "pi_3SaMple000000000000001"))
        ),
        ("checkout.session.completed-unpaid.json", .paymentPending(checkoutSessionID: "cs_test_a1B2c3D4e5F6g7H8")),
        ("checkout.session.async_payment_failed.json", .paymentFailed(checkoutSessionID: "cs_test_a1B2c3D4e5F6g7H8")),
        ("checkout.session.expired.json", .checkoutExpired(checkoutSessionID: "cs_test_a1B2c3D4e5F6g7H8")),
        (
            "charge.refunded.json",
            .refunded(paymentIntentID: "pi_3SaMple000000000000001", totalRefundedMinorUnits: 4500, currency: "EUR")
        ),
        ("customer.created.json", .ignored),
    ])
    func eachSamplePayloadDecodes(file: String, kind: ProviderEvent.Kind) throws {
        let event = try ProviderEvent.decodeStripe(try Fixtures.webhook(file))
        #expect(event.kind == kind)
        #expect(event.id.hasPrefix("evt_"))
        if kind != .ignored { #expect(event.bookingReference == "bk_01JDEMO") }
    }

    @Test func aBodyThatIsNotAnEventIsAClearError() {
        #expect(throws: StripeEventDecodingError.self) { try ProviderEvent.decodeStripe(Array("not json".utf8)) }
        #expect(throws: StripeEventDecodingError.self) {
            try ProviderEvent.decodeStripe(Array(#"{"id":"evt_1"}"#.utf8))
        }
        let noAmount =
            #"{"id":"evt_1","type":"checkout.session.completed","created":1,"data":{"object":{"id":"cs_1","payment_status":"paid"}}}"#
        #expect(
            throws: StripeEventDecodingError.missingField(
                eventType: "checkout.session.completed", field: "amount_total")
        ) {
            try ProviderEvent.decodeStripe(Array(noAmount.utf8))
        }
    }
}
