import Booking
import FakeStripe
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Payments
import TestSupport
import Testing
import Web
import Workflow

/// The HTTP contract through Hummingbird's in-memory test client: statuses and the error shape.
@Suite struct APIContractTests {
    struct Harness {
        let practice: TestPractice
        let app: Application<RouterResponder<AppContext>>
    }

    static func harness() async throws -> Harness {
        let practice = try await TestPractice(now: Date())
        _ = try await practice.workflow.accounts.createAdmin(
            email: "admin@practice.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery staple"))
        let router = try buildRouter(
            workflow: practice.workflow, configuration: WebConfiguration(webhookSecrets: ["whsec_unit"], bcryptCost: 4),
            loginThrottle: LoginThrottle(limit: 3))
        return Harness(practice: practice, app: Application(router: router))
    }

    /// 10:MM in Paris on a working day three to five days ahead, as ISO 8601.
    static func workingDay(minute: Int = 0) -> String {
        let paris = ZonedCalendar(identifier: "Europe/Paris")!
        var day = paris.localDate(of: Date()).adding(days: 3)
        while [.saturday, .sunday].contains(day.weekday) { day = day.adding(days: 1) }
        return paris.instant(on: day, at: LocalTime(hour: 10, minute: minute)!)!.formatted(.iso8601)
    }

    static func json(_ object: Any) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static func error(_ response: TestResponse) -> (code: String?, message: String?) {
        let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["message"] as? String)
    }

    @Test func badClientInputGetsAClear4xxAndChangesNothing() async throws {
        let harness = try await Self.harness()
        try await harness.app.test(.router) { client in
            let cases: [(String, ByteBuffer?, HTTPResponse.Status, String)] = [
                ("not json", ByteBuffer(string: "{"), .badRequest, "invalid_json"),
                ("empty", nil, .badRequest, "invalid_json"),
                (
                    "no start",
                    Self.json(["serviceId": "svc_chat_first", "client": ["name": "Z", "email": "z@example.com"]]),
                    .badRequest, "invalid_field"
                ),
                (
                    "bad start",
                    Self.json([
                        "serviceId": "svc_chat_first", "start": "tomorrow",
                        "client": ["name": "Z", "email": "z@example.com"],
                    ]), .badRequest, "invalid_field"
                ),
                (
                    "bad email",
                    Self.json([
                        "serviceId": "svc_chat_first", "start": "2031-01-07T09:00:00Z",
                        "client": ["name": "Z", "email": "z"],
                    ]), .badRequest, "invalid_field"
                ),
                (
                    "unknown service",
                    Self.json([
                        "serviceId": "svc_x", "start": "2031-01-07T09:00:00Z",
                        "client": ["name": "Z", "email": "z@example.com"],
                    ]), .badRequest, "invalid_field"
                ),
                (
                    "too far ahead",
                    Self.json([
                        "serviceId": "svc_chat_first", "start": "2031-01-07T09:00:00Z",
                        "client": ["name": "Z", "email": "z@example.com"],
                    ]), .unprocessableContent, "outside_booking_window"
                ),
                (
                    "not eligible",
                    Self.json([
                        "serviceId": "svc_chat_more", "start": Self.workingDay(),
                        "client": ["name": "Z", "email": "z@example.com"],
                    ]), .unprocessableContent, "not_eligible"
                ),
                (
                    "off the grid",
                    Self.json([
                        "serviceId": "svc_chat_first", "start": Self.workingDay(minute: 7),
                        "client": ["name": "Z", "email": "z@example.com"],
                    ]), .unprocessableContent, "slot_unavailable"
                ),
            ]
            for (name, body, status, code) in cases {
                let response = try await client.execute(uri: "/api/bookings", method: .post, body: body)
                #expect(response.status == status, "\(name)")
                #expect(Self.error(response).code == code, "\(name)")
                #expect(Self.error(response).message?.isEmpty == false, "\(name)")
            }
        }
        #expect(try await harness.practice.workflow.admin.bookings(matching: BookingFilter()).isEmpty)
    }

    @Test func slotsNeedValidDatesAndZones() async throws {
        let harness = try await Self.harness()
        try await harness.app.test(.router) { client in
            #expect(
                try await client.execute(uri: "/api/services/svc_chat_first/slots?from=2031-01-07", method: .get).status
                    == .ok)
            for (query, field) in [
                ("", "from"), ("?from=07/01/2031", "from"), ("?from=2031-01-07&to=x", "to"),
                ("?from=2031-01-08&to=2031-01-07", "dateRange"),
                ("?from=2031-01-07&timeZone=Mars/Base", "timeZone"), ("?from=2031-01-01&to=2031-06-01", "to"),
            ] {
                let response = try await client.execute(uri: "/api/services/svc_chat_first/slots\(query)", method: .get)
                #expect(response.status == .badRequest, "\(query)")
                #expect(Self.error(response).message?.contains(field) == true, "\(query)")
            }
            #expect(
                try await client.execute(uri: "/api/services/svc_nope/slots?from=2031-01-07", method: .get).status
                    == .notFound)
            #expect(try await client.execute(uri: "/api/bookings/tok_unknown", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/nowhere", method: .get).status == .notFound)
        }
    }

    @Test func adminRoutesNeedAValidTokenAndLoginsAreThrottled() async throws {
        let harness = try await Self.harness()
        try await harness.app.test(.router) { client in
            #expect(try await client.execute(uri: "/api/admin/bookings", method: .get).status == .unauthorized)
            #expect(
                try await client.execute(
                    uri: "/api/admin/bookings", method: .get, headers: [.authorization: "Bearer nope"]
                ).status == .unauthorized)
            let wrong = Self.json(["email": "admin@practice.example", "password": "wrong password!"])
            for _ in 0..<3 {
                #expect(
                    try await client.execute(uri: "/api/admin/login", method: .post, body: wrong).status
                        == .unauthorized)
            }
            let blocked = try await client.execute(
                uri: "/api/admin/login", method: .post,
                body: Self.json(["email": "admin@practice.example", "password": "correct horse battery staple"]))
            #expect(blocked.status == .tooManyRequests)
            #expect(Self.error(blocked).code == "too_many_attempts")
        }
    }

    @Test func anAdminSignsInAndActs() async throws {
        let harness = try await Self.harness()
        try await harness.app.test(.router) { client in
            let login = try await client.execute(
                uri: "/api/admin/login", method: .post,
                body: Self.json(["email": "ADMIN@practice.example", "password": "correct horse battery staple"]))
            #expect(login.status == .ok)
            let token = try #require(
                (try JSONSerialization.jsonObject(with: Data(login.body.readableBytesView)) as? [String: Any])?["token"]
                    as? String)
            let auth: HTTPFields = [.authorization: "Bearer \(token)"]
            #expect(
                try await client.execute(uri: "/api/admin/bookings?view=active", method: .get, headers: auth).status
                    == .ok)
            #expect(
                try await client.execute(uri: "/api/admin/bookings?view=everything", method: .get, headers: auth).status
                    == .badRequest)
            #expect(
                try await client.execute(uri: "/api/admin/bookings?status=lost", method: .get, headers: auth).status
                    == .badRequest)
            #expect(
                try await client.execute(uri: "/api/admin/bookings/bk_nope/approve", method: .post, headers: auth)
                    .status == .notFound)
            // No route for a decision the service does not have.
            #expect(
                try await client.execute(uri: "/api/admin/bookings/bk_nope/frobnicate", method: .post, headers: auth)
                    .status == .notFound)
            // The list shows each booking with its client.
            _ = try await harness.practice.workflow.clients.book(
                harness.practice.request(at: Instants.utc(Self.workingDay()), email: "listed@example.com"))
            let list = try await client.execute(uri: "/api/admin/bookings", method: .get, headers: auth)
            #expect(String(buffer: list.body).contains("listed@example.com"))
            #expect(try await client.execute(uri: "/api/admin/rules", method: .get, headers: auth).status == .ok)
            let badRules = try await client.execute(
                uri: "/api/admin/rules", method: .put, headers: auth, body: Self.json(["rules": ["slotStepMinutes": 0]])
            )
            #expect(badRules.status == .badRequest)
            let schedule = try await client.execute(
                uri: "/api/admin/staff/stf_camille/schedule", method: .get, headers: auth)
            #expect(schedule.status == .ok)
        }
    }

    @Test func illegalTransitionsAre409NamingTheState() async throws {
        let harness = try await Self.harness()
        let start = Date().addingTimeInterval(3 * 86_400)
        let receipt = try await harness.practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: .new(name: "Léa", email: "lea@example.com", phone: nil), serviceIDs: [Service.chatFirst.id],
                start: start),
            by: AdminID(rawValue: "adm_x"))
        try await harness.app.test(.router) { client in
            let login = try await client.execute(
                uri: "/api/admin/login", method: .post,
                body: Self.json(["email": "admin@practice.example", "password": "correct horse battery staple"]))
            let token =
                (try JSONSerialization.jsonObject(with: Data(login.body.readableBytesView)) as? [String: Any])?["token"]
                as? String ?? ""
            let response = try await client.execute(
                uri: "/api/admin/bookings/\(receipt.booking.id)/approve", method: .post,
                headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .conflict)
            #expect(Self.error(response).code == "illegal_transition")
            #expect(Self.error(response).message?.contains("awaitingPayment") == true)
        }
    }

    @Test func healthReadinessAndTheOpenAPIDocument() async throws {
        let harness = try await Self.harness()
        try await harness.app.test(.router) { client in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/ready", method: .get).status == .ok)
            let document = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(document.status == .ok)
            let object = try JSONSerialization.jsonObject(with: Data(document.body.readableBytesView)) as? [String: Any]
            #expect(object?["openapi"] as? String == "3.1.0")
            let paths = (object?["paths"] as? [String: Any]).map { Set($0.keys) } ?? []
            for path in [
                "/api/services", "/api/services/{id}/slots", "/api/bookings", "/api/bookings/{token}", "/pay/{token}",
                "/webhooks/stripe",
                "/api/admin/login", "/api/admin/bookings", "/api/admin/bookings/{id}",
                "/api/admin/bookings/{id}/{action}",
                "/api/admin/rules", "/api/admin/staff/{id}/schedule", "/api/admin/clients/{id}/ban", "/health",
                "/ready",
            ] {
                #expect(paths.contains(path), "\(path)")
            }
        }
    }
}
