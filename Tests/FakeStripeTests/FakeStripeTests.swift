import FakeStripe
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Payments
import Synchronization
import TestSupport
import Testing

/// The fake provider's own behaviour: hosted checkout, expiry, refunds, webhooks with retries and faults.
@Suite struct FakeStripeTests {
    static func client(_ baseURL: String) -> StripeClient {
        StripeClient(
            configuration: StripeConfiguration(
                secretKey: "sk_test_fake", apiBase: baseURL, initialRetryDelay: .milliseconds(10)))
    }

    static func request(_ booking: String = "bk_1", expiresAt: Date? = nil) -> CheckoutRequest {
        CheckoutRequest(
            bookingReference: booking, lines: [CheckoutLine(name: "First call", unitAmountMinorUnits: 6000)],
            currency: "eur",
            customerEmail: "zoe@example.com",
            successURL: "https://practice.example/paid?session_id={CHECKOUT_SESSION_ID}",
            cancelURL: "https://practice.example/cancelled", expiresAt: expiresAt, idempotencyKey: "key-\(booking)")
    }

    func api(
        _ fake: FakeStripe, _ method: String, _ path: String, query: String = "", body: String = "",
        key: String? = "Bearer sk_test_1"
    ) async throws -> (Int, [String: Any]) {
        let router = Router()
        fake.addRoutes(to: router)
        return try await Application(router: router).test(.router) { client in
            var headers = HTTPFields()
            if let key { headers[.authorization] = key }
            headers[.contentType] = "application/x-www-form-urlencoded"
            let response = try await client.execute(
                uri: query.isEmpty ? path : "\(path)?\(query)", method: HTTPRequest.Method(method)!, headers: headers,
                body: ByteBuffer(string: body))
            return (
                Int(response.status.code),
                (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
            )
        }
    }

    @Test func theHostedPagePaysAndRedirectsWithTheSessionID() async throws {
        try await withFakeStripe { fake, baseURL in
            let session = try await Self.client(baseURL).createCheckout(Self.request())
            let page = await fake.checkoutPage(session.id)
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(page.status == 200)
            #expect(html.contains("60.00 EUR"))
            #expect(html.contains("action=\"\(baseURL)/checkout/\(session.id)/pay\""))
            #expect(html.contains("First call"))
            let paid = await fake.pay(session.id)
            #expect(paid.status == 303)
            #expect(
                paid.headers.first { $0.0 == "Location" }?.1 == "https://practice.example/paid?session_id=\(session.id)"
            )
            let after = try await Self.client(baseURL).checkout(id: session.id)
            #expect(after.isPaid)
            #expect(await fake.allEvents().map(\.type) == ["checkout.session.completed"])
            // Paying twice is not possible: the page says it is closed.
            #expect(await fake.pay(session.id).status == 410)
            let cancel = await fake.cancel(session.id)
            #expect(cancel.headers.first { $0.0 == "Location" }?.1 == "https://practice.example/cancelled")
        }
    }

    @Test func sessionsExpireAtTheirTime() async throws {
        let clock = ManualClock(Date())
        let now: @Sendable () -> Date = { clock.now() }
        try await withFakeStripe(now: now) { fake, baseURL in
            let client = Self.client(baseURL)
            let session = try await client.createCheckout(Self.request(expiresAt: clock.now().addingTimeInterval(1800)))
            clock.advance(by: 1799)
            #expect(try await client.checkout(id: session.id).status == .open)
            clock.advance(by: 1)
            #expect(try await client.checkout(id: session.id).status == .expired)
            #expect(await fake.allEvents().map(\.type) == ["checkout.session.expired"])
            #expect(await fake.checkoutPage(session.id).status == 410)
            // expires_at must be 30 minutes to 24 hours ahead.
            await #expect {
                try await client.createCheckout(Self.request("bk_2", expiresAt: clock.now().addingTimeInterval(60)))
            } throws: { error in
                guard case .api(let stripe) = error as? StripeError else { return false }
                return stripe.status == 400 && stripe.param == "expires_at"
            }
        }
    }

    @Test func theAPIRefusesWhatStripeRefuses() async throws {
        try await withFakeStripe { fake, _ in
            #expect(try await self.api(fake, "GET", "/v1/events", key: nil).0 == 401)
            #expect(try await self.api(fake, "GET", "/v1/events", key: "Bearer sk_live_123").0 == 401)
            #expect(
                try await self.api(
                    fake, "GET", "/v1/events", key: "Basic " + Data("sk_test_abc:".utf8).base64EncodedString()
                ).0 == 200)
            let (status, body) = try await self.api(fake, "GET", "/v1/nothing")
            #expect(status == 404)
            #expect((body["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            let (missingStatus, missing) = try await self.api(
                fake, "POST", "/v1/checkout/sessions", body: "mode=payment&success_url=x&line_items[0][quantity]=1")
            #expect(missingStatus == 400)
            #expect((missing["error"] as? [String: Any])?["param"] as? String == "line_items[0][price_data][currency]")
            #expect(try await self.api(fake, "POST", "/v1/refunds", body: "payment_intent=pi_nope").0 == 404)
            #expect(try await self.api(fake, "POST", "/v1/checkout/sessions/cs_nope/expire").0 == 404)
            #expect(try await self.api(fake, "GET", "/v1/events", query: "limit=0").0 == 400)
        }
    }

    @Test func webhooksAreSignedLikeStripeAndRetriedUntilAccepted() async throws {
        let inbox = WebhookInbox(statuses: [500, 503])
        try await inbox.serve { url in
            try await withFakeStripe(webhookURL: url, webhookSecret: "whsec_inbox") { fake, baseURL in
                let dispatcher = Task {
                    try await FakeStripeWebhookDispatcher(fake: fake, pollInterval: .milliseconds(10)).run()
                }
                defer { dispatcher.cancel() }
                let session = try await Self.client(baseURL).createCheckout(Self.request())
                _ = await fake.pay(session.id)
                #expect(await inbox.wait { $0.count == 3 })
                let deliveries = await inbox.deliveries
                // The same event, three times, until it was accepted; each signature verifies.
                #expect(Set(await inbox.eventIDs()).count == 1)
                for delivery in deliveries {
                    try StripeWebhookSignature.verify(
                        payload: delivery.body, header: delivery.signature, secrets: ["whsec_inbox"], now: Date())
                }
                #expect(try ProviderEvent.decodeStripe(deliveries[0].body).bookingReference == "bk_1")
                // The dispatcher records the outcome just after the inbox answered.
                let deadline = ContinuousClock.now + .seconds(5)
                while await fake.deliveryAttempts().count < 3, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(await fake.deliveryAttempts().map(\.succeeded) == [false, false, true])
                try await Task.sleep(for: .milliseconds(200))
                #expect(await inbox.deliveries.count == 3, "nothing more once accepted")
                #expect(await fake.pendingDeliveryCount() == 0)
            }
        }
    }

    @Test func deliveryFaultsDuplicateReorderAndDelay() async throws {
        let inbox = WebhookInbox()
        try await inbox.serve { url in
            try await withFakeStripe(webhookURL: url) { fake, baseURL in
                let dispatcher = Task {
                    try await FakeStripeWebhookDispatcher(fake: fake, pollInterval: .milliseconds(10)).run()
                }
                defer { dispatcher.cancel() }
                let client = Self.client(baseURL)
                // Out of order: the first session's event arrives after the second's.
                await fake.injectDeliveryFault(.outOfOrder)
                let first = try await client.createCheckout(Self.request("bk_1"))
                _ = await fake.pay(first.id)
                let second = try await client.createCheckout(Self.request("bk_2"))
                _ = await fake.pay(second.id)
                #expect(await inbox.wait { $0.count == 2 })
                let references = await inbox.deliveries.map {
                    try? ProviderEvent.decodeStripe($0.body).bookingReference
                }
                #expect(references == ["bk_2", "bk_1"])
                // Twice.
                await fake.injectDeliveryFault(.duplicate)
                _ = try await client.expireCheckout(
                    id: try await client.createCheckout(Self.request("bk_3")).id, idempotencyKey: "e3")
                #expect(await inbox.wait { $0.count == 4 })
                let ids = await inbox.eventIDs()
                #expect(ids[2] == ids[3])
                // Late.
                await fake.injectDeliveryFault(.delay(.milliseconds(400)))
                _ = try await client.expireCheckout(
                    id: try await client.createCheckout(Self.request("bk_4")).id, idempotencyKey: "e4")
                try await Task.sleep(for: .milliseconds(150))
                #expect(await inbox.deliveries.count == 4)
                #expect(await inbox.wait { $0.count == 5 })
            }
        }
    }

    @Test func aDeliveryIsAbandonedAfterTheDeadline() async throws {
        let inbox = WebhookInbox(statuses: Array(repeating: 500, count: 100))
        try await inbox.serve { url in
            try await withFakeStripe(webhookURL: url) { fake, baseURL in
                await fake.reconfigure { $0.webhookRetryDeadline = .milliseconds(300) }
                let dispatcher = Task {
                    try await FakeStripeWebhookDispatcher(fake: fake, pollInterval: .milliseconds(10)).run()
                }
                defer { dispatcher.cancel() }
                _ = await fake.pay(try await Self.client(baseURL).createCheckout(Self.request()).id)
                // At least one refused attempt; then (however busy the machine) the delivery is given up...
                #expect(await inbox.wait { $0.count >= 1 })
                let deadline = ContinuousClock.now + .seconds(10)
                while await fake.pendingDeliveryCount() > 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(await fake.pendingDeliveryCount() == 0)
                // ...and never tried again.
                let attempts = await inbox.deliveries.count
                try await Task.sleep(for: .milliseconds(500))
                #expect(await inbox.deliveries.count == attempts)
            }
        }
    }
}
