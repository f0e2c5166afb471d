import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import Workflow

/// The client's booking page, the booking's calendar file and the client time zone, through the in-memory client.
@Suite struct ClientPagesTests {
    func book(_ client: some TestClientProtocol, timeZone: String? = "Asia/Tokyo") async throws -> [String: Any] {
        var person: [String: Any] = ["name": "Zoë", "email": "zoe@example.com"]
        if let timeZone { person["timeZone"] = timeZone }
        let response = try await client.execute(
            uri: "/api/bookings", method: .post,
            body: APIContractTests.json([
                "serviceId": "svc_chat_first", "start": APIContractTests.workingDay(), "client": person,
            ]))
        #expect(response.status == .created)
        return try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
    }

    @Test func theBookingPageShowsTheClientsTimeAndCancelsByAForm() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let booking = try await self.book(client)
            let token = booking["token"] as! String
            let calendar = try #require(booking["calendar"] as? [String: String])
            // The API speaks the practice's language (English here); pages and emails ask for the visitor's.
            #expect(calendar["ics"] == "http://rendezvous.test/api/bookings/\(token).ics?lang=en")
            #expect(calendar["google"]?.hasPrefix("https://calendar.google.com/") == true)

            let page = try await client.execute(uri: "/bookings/\(token)", method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("(Asia/Tokyo)"))
            #expect(html.contains(#"<a class="brand" href="/">"#))
            #expect(html.contains(#"href="/account""#))
            #expect(html.contains("Secure payment."))
            let start = try Date(booking["start"] as! String, strategy: .iso8601)
            var tokyo = Calendar(identifier: .gregorian)
            tokyo.timeZone = TimeZone(identifier: "Asia/Tokyo")!
            let hour = tokyo.component(.hour, from: start)
            #expect(html.contains(", \(hour < 10 ? "0" : "")\(hour):00–"))
            #expect(html.contains("href=\"http://rendezvous.test/pay/\(token)\""))

            let cancel = try await client.postForm("/bookings/\(token)/cancel", from: "/bookings/\(token)/cancel")
            #expect(cancel.status == .seeOther)
            #expect(cancel.headers[.location] == "/bookings/\(token)?done=1")
            let state = try await harness.practice.workflow.booking(accessToken: AccessToken(rawValue: token)).state
            #expect(state == .canceled)
            // Cancelling again is refused on the page itself, with the reason.
            let again = try await client.postForm("/bookings/\(token)/cancel", from: "/bookings/\(token)")
            #expect(again.status == .conflict)
            #expect(String(buffer: again.body).contains("This booking can no longer be changed this way."))

            let ics = try await client.execute(uri: "/api/bookings/\(token).ics", method: .get)
            #expect(ics.status == .ok)
            #expect(ics.headers[.contentType] == "text/calendar; charset=utf-8")
            let text = String(buffer: ics.body)
            #expect(text.contains("STATUS:CANCELLED\r\n"))
            #expect(text.contains("UID:\(booking["id"] as! String)@rendezvous\r\n"))
            #expect(text.contains("LOCATION:Online chat\r\n"))
            let french = try await client.execute(uri: "/api/bookings/\(token).ics?lang=fr", method: .get)
            #expect(String(buffer: french.body).contains("LOCATION:Chat en ligne\r\n"))
            let unknown = try await client.execute(uri: "/api/bookings/\(token).ics?lang=de", method: .get)
            #expect(unknown.status == .badRequest)
            #expect(String(buffer: unknown.body).contains("invalid_language"))
        }
    }

    @Test func withoutAZoneThePageShowsThePractices() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let booking = try await self.book(client, timeZone: nil)
            let page = try await client.execute(uri: "/bookings/\(booking["token"] as! String)", method: .get)
            // (A word joiner after the dash keeps the range on one line.)
            #expect(String(buffer: page.body).contains("10:00–\u{2060}10:45 (Europe/Paris)"))
        }
    }

    @Test func unknownTokensAndBadTimeZonesAreClear4xx() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            #expect(try await client.execute(uri: "/bookings/tok_nope", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/bookings/tok_nope.ics", method: .get).status == .notFound)
            let response = try await client.execute(
                uri: "/api/bookings", method: .post,
                body: APIContractTests.json([
                    "serviceId": "svc_chat_first", "start": APIContractTests.workingDay(),
                    "client": ["name": "Zoë", "email": "zoe@example.com", "timeZone": "Mars/Olympus"],
                ]))
            #expect(response.status == .badRequest)
            #expect(APIContractTests.error(response).code == "invalid_field")
            #expect(APIContractTests.error(response).message?.contains("timeZone") == true)
        }
    }
}
