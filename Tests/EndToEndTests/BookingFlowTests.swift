import Foundation
import Payments
import TestSupport
import Testing
import Workflow

/// The flows of the product over a real socket, on SQLite, with the fake provider.
@Suite(.serialized) struct BookingFlowTests {
    @Test func aClientBooksPaysAndIsApproved() async throws {
        try await withRunningService { service in
            // Given a slot on a working day
            let start = service.workingDay()
            // When a client books it
            let booked = try await service.book(at: start)
            #expect(booked.status == 201)
            let token = try #require(booked.json["token"] as? String)
            let id = try #require(booked.json["id"] as? String)
            #expect(booked.json["status"] as? String == "awaitingPayment")
            #expect(booked.json["paymentStatus"] as? String == "unpaid")
            // And pays on the hosted page reached through the payment link
            let paid = try await service.pay(paymentURL: try #require(booked.json["paymentUrl"] as? String))
            #expect(paid.status == 303)
            #expect(paid.location?.hasPrefix("\(service.baseURL)/pay/\(token)/done?session_id=cs_test_") == true)
            // Then the signed webhook makes it paid and waiting for approval
            let waiting = try await service.eventually(token: token) { $0["status"] as? String == "awaitingApproval" }
            #expect(waiting["status"] as? String == "awaitingApproval")
            #expect(waiting["paymentStatus"] as? String == "paid")
            #expect(waiting["paymentUrl"] == nil)
            // And the admin approves it
            let approved = try await service.post(
                "/api/admin/bookings/\(id)/approve", json: ["note": "Welcome"], headers: try await service.adminHeader()
            )
            #expect(approved.status == 200)
            #expect(approved.json["status"] as? String == "approved")
            let events = (approved.json["history"] as? [[String: Any]])?.compactMap { $0["event"] as? String }
            #expect(events == ["created", "checkoutOpened", "paymentSucceeded", "approved"])
            // The link now says there is nothing to pay.
            let link = try await service.get(try #require(booked.json["paymentUrl"] as? String))
            #expect(link.status == 200)
            #expect(link.text.contains("This booking is already paid."))
        }
    }

    @Test func anAdminsNoteReachesTheClientOnlyWhenTheAdminSaysSo() async throws {
        try await withRunningService { service in
            let admin = try await service.adminHeader()
            func paid(hour: Int, email: String) async throws -> (id: String, token: String) {
                let booked = try await service.book(at: service.workingDay(hour: hour), email: email)
                let token = try #require(booked.json["token"] as? String)
                _ = try await service.pay(paymentURL: try #require(booked.json["paymentUrl"] as? String))
                _ = try await service.eventually(token: token) { $0["status"] as? String == "awaitingApproval" }
                return (try #require(booked.json["id"] as? String), token)
            }
            func notes(_ history: Any?) -> [String] {
                ((history as? [[String: Any]]) ?? []).compactMap { $0["reason"] as? String }
            }
            let shown = try await paid(hour: 10, email: "zoe@example.com")
            let approved = try await service.post(
                "/api/admin/bookings/\(shown.id)/approve",
                json: ["note": "Bring your notes", "noteShownToClient": true],
                headers: admin)
            #expect(approved.status == 200)
            let adminLine = (approved.json["history"] as? [[String: Any]])?.last
            #expect(adminLine?["reasonShownToClient"] as? Bool == true)
            #expect(
                notes(try await service.get("/api/bookings/\(shown.token)").json["history"]) == ["Bring your notes"])

            let kept = try await paid(hour: 14, email: "max@example.com")
            let privately = try await service.post(
                "/api/admin/bookings/\(kept.id)/approve", json: ["note": "Paid late, watch"], headers: admin)
            #expect((privately.json["history"] as? [[String: Any]])?.last?["reasonShownToClient"] as? Bool == false)
            #expect(notes(try await service.get("/api/bookings/\(kept.token)").json["history"]).isEmpty)
        }
    }

    @Test func anAdminMadeBookingIsPaidByLinkAndApproved() async throws {
        try await withRunningService { service in
            let admin = try await service.adminHeader()
            let created = try await service.post(
                "/api/admin/bookings",
                json: [
                    "client": ["name": "Léa Moreau", "email": "lea@example.com"], "serviceId": "svc_call_first",
                    "start": service.workingDay(hour: 14).formatted(.iso8601),
                ], headers: admin)
            #expect(created.status == 201)
            #expect(created.json["status"] as? String == "awaitingPayment")
            #expect(created.json["origin"] as? String == "admin")
            let token = try #require(created.json["token"] as? String)
            _ = try await service.pay(paymentURL: try #require(created.json["paymentUrl"] as? String))
            let waiting = try await service.eventually(token: token) { $0["status"] as? String == "awaitingApproval" }
            #expect(waiting["paymentStatus"] as? String == "paid")
            let approved = try await service.post(
                "/api/admin/bookings/\(created.json["id"] as! String)/approve", headers: admin)
            #expect(approved.json["status"] as? String == "approved")
        }
    }

    @Test func rejectingAPaidBookingRefundsIt() async throws {
        try await withRunningService { service in
            let booked = try await service.book(at: service.workingDay())
            let token = booked.json["token"] as! String
            _ = try await service.pay(paymentURL: booked.json["paymentUrl"] as! String)
            _ = try await service.eventually(token: token) { $0["paymentStatus"] as? String == "paid" }
            let rejected = try await service.post(
                "/api/admin/bookings/\(booked.json["id"] as! String)/reject", json: ["note": "Away that week"],
                headers: try await service.adminHeader())
            #expect(rejected.json["status"] as? String == "rejected")
            #expect(rejected.json["paymentStatus"] as? String == "refundPending")
            // The outbox worker asks the provider; the provider's charge.refunded webhook settles it.
            let refunded = try await service.eventually(token: token) { $0["paymentStatus"] as? String == "refunded" }
            #expect(refunded["paymentStatus"] as? String == "refunded")
            let refunds = await service.fake.allRefunds()
            #expect(refunds.count == 1)
            #expect(refunds.first?["amount"]?.intValue == 4500)
        }
    }

    @Test func aLapsedHoldFreesItsSlot() async throws {
        try await withRunningService { service in
            let start = service.workingDay()
            let booked = try await service.book(at: start)
            #expect(try await service.book(at: start, email: "max@example.com").errorCode == "slot_taken")
            service.clock.advance(by: 31 * 60)
            let expired = try await service.eventually(token: booked.json["token"] as! String) {
                $0["status"] as? String == "expired"
            }
            #expect(expired["status"] as? String == "expired")
            #expect(try await service.book(at: start, email: "max@example.com").status == 201)
            #expect(try await service.get(booked.json["paymentUrl"] as! String).status == 410)
        }
    }

    @Test func aLostWebhookIsRecoveredByReconciliation() async throws {
        try await withRunningService(deliverWebhooks: false) { service in
            let booked = try await service.book(at: service.workingDay())
            let token = booked.json["token"] as! String
            _ = try await service.pay(paymentURL: booked.json["paymentUrl"] as! String)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await service.get("/api/bookings/\(token)").json["status"] as? String == "awaitingPayment")
            let reconciliation = service.workflow.payments
            #expect(try await reconciliation.reconcile() == 1)
            let recovered = try await service.get("/api/bookings/\(token)").json
            #expect(recovered["status"] as? String == "awaitingApproval")
            #expect(recovered["paymentStatus"] as? String == "paid")
            // The provider's own event, caught up later, changes nothing more.
            #expect(try await reconciliation.catchUpFromEvents() == 0)
        }
    }

    @Test func concurrentClicksOnAPaymentLinkOpenOneCheckout() async throws {
        try await withRunningService { service in
            let booked = try await service.book(at: service.workingDay())
            let link = booked.json["paymentUrl"] as! String
            let locations = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<8 { group.addTask { try await service.get(link).location } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(locations).count == 1)
            #expect(locations.allSatisfy { $0?.contains("/fake-stripe/checkout/cs_test_") == true })
            #expect(await service.fake.allCheckoutSessions().count == 1)
        }
    }

    @Test func thirtyClientsRacingForOneSlotMakeOneBooking() async throws {
        try await withRunningService { service in
            let start = service.workingDay()
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<30 {
                    group.addTask {
                        let answer = try await service.book(at: start, email: "racer\(index)@example.com")
                        return (answer.status, answer.errorCode)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == (409, "slot_taken") }.count == 29)
        }
    }
}
