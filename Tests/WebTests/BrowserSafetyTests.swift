import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import Workflow

/// Cross-site state changes are refused, JSON must be JSON, and every answer carries the security headers.
@Suite struct BrowserSafetyTests {
    func booked(_ client: some TestClientProtocol) async throws -> String {
        try await ClientPagesTests().book(client)["token"] as! String
    }

    func state(_ harness: APIContractTests.Harness, _ token: String) async throws -> BookingState {
        try await harness.practice.workflow.booking(accessToken: AccessToken(rawValue: token)).state
    }

    @Test(arguments: [
        ("Origin", "https://evil.example"), ("Origin", "null"), ("Origin", "http://rendezvous.test.evil.example"),
        ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Site", "same-site"),
    ])
    func aCrossSiteFormCannotCancelABooking(_ header: String, _ value: String) async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let token = try await self.booked(client)
            // Given a form on another site that posts to the booking page's cancel button,
            let headers: HTTPFields = [
                HTTPField.Name(header)!: value, .contentType: "application/x-www-form-urlencoded",
            ]
            for uri in ["/bookings/\(token)/cancel", "/api/bookings/\(token)/cancel"] {
                let answer = try await client.execute(uri: uri, method: .post, headers: headers)
                // Then it is refused and the booking stands.
                #expect(answer.status == .forbidden)
                #expect(APIContractTests.error(answer).code == "cross_site_request")
            }
            #expect(try await self.state(harness, token) == .awaitingPayment)
        }
    }

    @Test func theSitesOwnPagesMayPost() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let token = try await self.booked(client)
            let opened = try await client.execute(uri: "/bookings/\(token)", method: .get)
            let cookie = try #require(opened.headers[values: .setCookie].first?.split(separator: ";").first)
            let answer = try await client.execute(
                uri: "/bookings/\(token)/cancel", method: .post,
                headers: [
                    HTTPField.Name("Origin")!: "http://rendezvous.test", .cookie: String(cookie),
                    .contentType: "application/x-www-form-urlencoded",
                ], body: ByteBuffer(string: "form=" + cookie.dropFirst("rendezvous_form=".count)))
            #expect(answer.status == .seeOther)
            #expect(try await self.state(harness, token) == .canceled)
        }
    }

    @Test func aFormPostedUnderNoReferrerIsOursBySecFetchSite() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let token = try await self.booked(client)
            // Given our own page (Referrer-Policy: no-referrer), whose form posts carry `Origin: null`,
            let opened = try await client.execute(uri: "/bookings/\(token)", method: .get)
            let cookie = try #require(opened.headers[values: .setCookie].first?.split(separator: ";").first)
            let answer = try await client.execute(
                uri: "/bookings/\(token)/cancel", method: .post,
                headers: [
                    HTTPField.Name("Origin")!: "null", HTTPField.Name("Sec-Fetch-Site")!: "same-origin",
                    .cookie: String(cookie), .contentType: "application/x-www-form-urlencoded",
                ], body: ByteBuffer(string: "form=" + cookie.dropFirst("rendezvous_form=".count)))
            // Then the browser's own word, same-origin, lets it through.
            #expect(answer.status == .seeOther)
            #expect(try await self.state(harness, token) == .canceled)
        }
    }

    @Test func aJSONEndpointRefusesAnotherContentType() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let token = try await self.booked(client)
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                let answer = try await client.execute(
                    uri: "/api/bookings/\(token)/cancel", method: .post, headers: [.contentType: type],
                    body: ByteBuffer(string: #"{"reason":"csrf"}"#))
                #expect(answer.status == .unsupportedMediaType)
                #expect(APIContractTests.error(answer).code == "unsupported_media_type")
            }
            #expect(try await self.state(harness, token) == .awaitingPayment)
            let json = try await client.execute(
                uri: "/api/bookings/\(token)/cancel", method: .post,
                headers: [.contentType: "application/json; charset=utf-8"], body: ByteBuffer(string: #"{"reason":"x"}"#)
            )
            #expect(json.status == .ok)
        }
    }

    @Test func pagesAndAnswersCarryTheSecurityHeaders() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let token = try await self.booked(client)
            let page = try await client.execute(uri: "/bookings/\(token)", method: .get)
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'"))
            #expect(policy.contains("frame-ancestors 'none'"))
            // Scripts only from our own files: never inline, never another site.
            #expect(policy.contains("script-src 'self';"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(page.headers[.cacheControl] == "no-store")
            let json = try await client.execute(uri: "/api/bookings/\(token)", method: .get)
            #expect(json.headers[.cacheControl] == "no-store")
            #expect(json.headers[.xContentTypeOptions] == "nosniff")
            let missing = try await client.execute(uri: "/nothing-here", method: .get)
            #expect(missing.headers[.xContentTypeOptions] == "nosniff")
        }
    }

    @Test func addToCalendarLinksSendNoBookingTokenToOtherSites() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let booking = try await ClientPagesTests().book(client)
            let token = booking["token"] as! String
            let calendar = try #require(booking["calendar"] as? [String: String])
            for site in ["google", "outlook", "yahoo"] {
                let link = try #require(calendar[site])
                #expect(!link.contains(token), "\(site) link carries the booking token")
                #expect(link.contains("rendezvous.test"), "\(site) link names the site instead")
            }
            #expect(calendar["ics"]?.contains(token) == true)
            let page = String(buffer: try await client.execute(uri: "/bookings/\(token)", method: .get).body)
            for host in ["calendar.google.com", "outlook.live.com", "calendar.yahoo.com"] {
                let line = try #require(page.split(separator: "\"").first { $0.contains(host) })
                #expect(!line.contains(token))
            }
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/api/services", .put, "GET, HEAD"), ("/api/bookings", .delete, "POST"),
                ("/api/bookings/tok_x/cancel", .get, "POST"), ("/api/admin/rules", .post, "GET, HEAD, PUT"),
                ("/health", .patch, "GET, HEAD"),
            ]
            for (uri, method, allow) in cases {
                let answer = try await client.execute(uri: uri, method: method)
                #expect(answer.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(answer.headers[.allow] == allow, "\(method) \(uri)")
                #expect(
                    APIContractTests.error(answer).code == "method_not_allowed",
                    "\(APIContractTests.error(answer).message ?? "")")
            }
            #expect(try await client.execute(uri: "/no/such/path", method: .put).status == .notFound)
        }
    }
}
