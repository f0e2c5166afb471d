import Foundation
import Payments
import TestSupport
import Testing

/// Webhooks that are not exactly what the provider signed change nothing.
@Suite(.serialized) struct WebhookSecurityTests {
    /// A booking paid at the provider whose webhook was not delivered, and that event's exact bytes.
    func paidWithoutWebhook(_ service: RunningService) async throws -> (token: String, payload: [UInt8]) {
        let booked = try await service.book(at: service.workingDay())
        _ = try await service.pay(paymentURL: booked.json["paymentUrl"] as! String)
        let event = try #require(await service.fake.allEvents().last { $0.type == "checkout.session.completed" })
        return (booked.json["token"] as! String, try #require(await service.fake.eventPayload(event.id)))
    }

    func deliver(_ service: RunningService, _ payload: [UInt8], signature: String?) async throws
        -> RunningService.Answer
    {
        try await service.request(
            .POST, "/webhooks/stripe", body: payload, headers: signature.map { [("Stripe-Signature", $0)] } ?? [])
    }

    @Test func forgedStaleAndUnsignedWebhooksAreRefusedWithNothingChanged() async throws {
        try await withRunningService(deliverWebhooks: false) { service in
            let (token, payload) = try await self.paidWithoutWebhook(service)
            let now = service.clock.now()
            let sign = { (bytes: [UInt8], secret: String, at: Date) in
                StripeWebhookSignature.header(payload: bytes, secret: secret, timestamp: at)
            }
            var tampered = payload
            tampered[tampered.count / 2] ^= 0x01
            let reserialized = Array(
                try JSONSerialization.data(
                    withJSONObject: JSONSerialization.jsonObject(with: Data(payload)), options: [.prettyPrinted]))
            let cases: [(String, [UInt8], String?, String)] = [
                ("tampered", tampered, sign(payload, service.webhookSecret, now), "signature_mismatch"),
                (
                    "stale", payload, sign(payload, service.webhookSecret, now.addingTimeInterval(-301)),
                    "timestamp_too_old"
                ),
                ("wrong secret", payload, sign(payload, "whsec_not_ours", now), "signature_mismatch"),
                ("re-serialized", reserialized, sign(payload, service.webhookSecret, now), "signature_mismatch"),
                ("unsigned", payload, nil, "missing_signature"),
                ("garbage header", payload, "v1=nothing", "malformed_signature"),
            ]
            for (name, body, signature, code) in cases {
                let answer = try await self.deliver(service, body, signature: signature)
                #expect(answer.status == 400, "\(name)")
                #expect(answer.errorCode == code, "\(name)")
            }
            let unchanged = try await service.get("/api/bookings/\(token)").json
            #expect(unchanged["status"] as? String == "awaitingPayment")
            #expect(unchanged["paymentStatus"] as? String == "unpaid")
            // The genuine event is applied.
            let genuine = try await self.deliver(service, payload, signature: sign(payload, service.webhookSecret, now))
            #expect(genuine.status == 200)
            #expect(try await service.get("/api/bookings/\(token)").json["status"] as? String == "awaitingApproval")
        }
    }

    @Test func oneEventReplayedTenTimesConcurrentlyChangesTheBookingOnce() async throws {
        try await withRunningService(deliverWebhooks: false) { service in
            let (token, payload) = try await self.paidWithoutWebhook(service)
            let header = StripeWebhookSignature.header(
                payload: payload, secret: service.webhookSecret, timestamp: service.clock.now())
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await self.deliver(service, payload, signature: header).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 10))
            let booking = try await service.get("/api/bookings/\(token)").json
            let events = (booking["history"] as? [[String: Any]])?.compactMap { $0["event"] as? String } ?? []
            #expect(events.filter { $0 == "paymentSucceeded" }.count == 1)
        }
    }

    @Test func anOversizedWebhookIsRefusedBeforeHashing() async throws {
        try await withRunningService(deliverWebhooks: false) { service in
            let answer = try await self.deliver(
                service, Array(repeating: UInt8(ascii: " "), count: 70_000), signature: "t=1,v1=00")
            #expect(answer.status == 413)
            #expect(answer.errorCode == "payload_too_large")
        }
    }
}
