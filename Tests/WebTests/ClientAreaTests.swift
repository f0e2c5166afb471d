import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Notifications
import TestSupport
import Testing
import Workflow

@testable import Web

/// The client area through the router: a sign-in link by email (the same answer for unknown emails), used once,
/// a session in a cookie that sign-out ends, a password, and the client's own changes: cancel (after seeing the
/// refund) and move to another free time.
@Suite struct ClientAreaTests {
    struct Harness {
        let practice: TestPractice
        let app: Application<RouterResponder<AppContext>>
        let mailbox: DevelopmentMailbox
    }

    static func harness() async throws -> Harness {
        let practice = try await TestPractice(now: Date())
        let branding = EmailBranding(
            businessName: "Cabinet", signature: "", from: Mailbox(address: "hello@cabinet.example"),
            links: TestPractice.links)
        let mail = try MailSetup.developmentMailbox(
            directory: try TemporaryDirectory.make(), branding: branding,
            links: SignedLink(secret: try await practice.workflow.accounts.linkSigningKey()))
        let router = try buildRouter(
            workflow: practice.workflow, configuration: WebConfiguration(webhookSecrets: ["whsec_unit"], bcryptCost: 4),
            loginThrottle: LoginThrottle(), mail: mail)
        return Harness(practice: practice, app: Application(router: router), mailbox: mail.mailbox!)
    }

    /// A client who booked at 10:00 on a working day a few days ahead, and their booking.
    static func booked(_ practice: TestPractice, email: String = "zoe.area@example.com") async throws -> Booking {
        try await practice.workflow.clients.book(
            practice.request(at: Instants.utc(APIContractTests.workingDay()), email: email)
        ).booking
    }

    /// Waits for the sign-in email sent in the background and returns its link's path and query.
    static func signInLink(_ mailbox: DevelopmentMailbox) async throws -> String {
        for _ in 0..<100 {
            if let message = try await mailbox.messages().first(where: { $0.subject.hasPrefix("Your sign-in link") }) {
                let match = try #require(
                    message.text.firstMatch(of: #/http://rendezvous\.test(/account/sign-in\?token=\S+)/#))
                return String(match.output.1)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no sign-in email arrived")
        throw CancellationError()
    }

    @Test func aClientSignsInByEmailedLinkOnceAndSignsOut() async throws {
        let harness = try await Self.harness()
        let booking = try await Self.booked(harness.practice)
        try await harness.app.test(.router) { client in
            // Asking for a link answers the same whether the email is known or not; only a known one gets mail.
            let unknown = try await client.postForm(
                "/account/link", from: "/account", fields: ["email": "nobody@example.com"])
            let known = try await client.postForm(
                "/account/link", from: "/account", fields: ["email": "Zoe.Area@example.com"])
            #expect(unknown.status == .ok && known.status == .ok)
            #expect(String(buffer: unknown.body).contains("a sign-in link is on its way"))
            let link = try await Self.signInLink(harness.mailbox)
            #expect(try await harness.mailbox.messages().count == 1)
            // Opening the link only shows a button (mail scanners do not use it up); the button signs in.
            let opened = try await client.execute(uri: link, method: .get)
            #expect(String(buffer: opened.body).contains("Signing in as Zoë Dupré"))
            let signedIn = try await client.postForm(link, from: link)
            #expect(signedIn.status == .seeOther)
            let cookie = try #require(
                signedIn.headers[values: .setCookie].first { $0.hasPrefix("rendezvous_client=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
            let session = String(cookie.split(separator: ";")[0])
            let area = try await client.execute(uri: "/account", method: .get, headers: [.cookie: session])
            let html = String(buffer: area.body)
            #expect(html.contains("Signed in as Zoë Dupré (zoe.area@example.com)."))
            #expect(html.contains("/bookings/\(booking.accessToken)/cancel"))
            #expect(html.contains("Waiting for payment"))
            // The link works once.
            let again = try await client.postForm(link, from: link)
            #expect(again.status == .gone)
            // Signing out ends the session at once.
            let form = try await Self.formCookie(client)
            let out = try await client.execute(
                uri: "/account/sign-out", method: .post,
                headers: [.cookie: session + "; " + form, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "form=" + form.dropFirst("rendezvous_form=".count)))
            #expect(out.status == .seeOther)
            let after = try await client.execute(uri: "/account", method: .get, headers: [.cookie: session])
            #expect(String(buffer: after.body).contains("Email me a sign-in link"))
        }
    }

    /// A fresh form-token cookie (`rendezvous_form=…`).
    static func formCookie(_ client: some TestClientProtocol) async throws -> String {
        let page = try await client.execute(uri: "/account", method: .get)
        return try #require(
            page.headers[values: .setCookie].first { $0.hasPrefix("rendezvous_form=") }?.split(separator: ";").first
                .map(String.init))
    }

    @Test func aClientSetsAPasswordAndSignsInWithIt() async throws {
        let harness = try await Self.harness()
        let booking = try await Self.booked(harness.practice)
        let session = "zoe-session-token-" + String(repeating: "x", count: 34)
        _ = try await harness.practice.workflow.clientAccounts.startSession(
            clientID: booking.clientID, tokenHash: AdminPasswords.tokenHash(session))
        try await harness.app.test(.router) { client in
            let form = try await Self.formCookie(client)
            let token = String(form.dropFirst("rendezvous_form=".count))
            let set = try await client.execute(
                uri: "/account/password", method: .post,
                headers: [
                    .cookie: "rendezvous_client=\(session); \(form)", .contentType: "application/x-www-form-urlencoded",
                ],
                body: ByteBuffer(string: "form=\(token)&password=correct+horse+battery"))
            #expect(String(buffer: set.body).contains("Your password is saved."))
            let wrong = try await client.postForm(
                "/account/password-sign-in", from: "/account",
                fields: ["email": "zoe.area@example.com", "password": "not the one"])
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("The email or the password is not right."))
            let right = try await client.postForm(
                "/account/password-sign-in", from: "/account",
                fields: ["email": "zoe.area@example.com", "password": "correct horse battery"])
            #expect(right.status == .seeOther)
            #expect(right.headers[values: .setCookie].contains { $0.hasPrefix("rendezvous_client=") })
        }
    }

    @Test func aClientMovesTheirBookingToAnotherFreeTimeOfTheSameStaffMember() async throws {
        let harness = try await Self.harness()
        let booking = try await Self.booked(harness.practice)
        try await harness.app.test(.router) { client in
            let page = try await client.execute(uri: "/bookings/\(booking.accessToken)/reschedule", method: .get)
            let html = String(buffer: page.body)
            let starts = html.matches(of: #/name="start" value="([^"]+)"/#).map { String($0.output.1) }
            #expect(!starts.isEmpty)
            let target = try #require(starts.last)
            let moved = try await client.postForm(
                "/bookings/\(booking.accessToken)/reschedule", from: "/bookings/\(booking.accessToken)",
                fields: ["start": target])
            #expect(moved.status == .seeOther)
            let now = try await harness.practice.workflow.booking(booking.id)
            #expect(now.start == Instants.utc(target))
            #expect(now.staffID == booking.staffID)
            #expect(now.sequence == 1)
            #expect(
                try await harness.practice.workflow.history(of: booking.id).last?.actor == .client(booking.clientID))
        }
    }

    @Test func theCancelPageSaysWhatWillBeRefunded() async throws {
        let harness = try await Self.harness()
        let booking = try await Self.booked(harness.practice)
        _ = try await harness.practice.workflow.payments.applyPaymentEvent(harness.practice.paidEvent(for: booking))
        try await harness.app.test(.router) { client in
            let page = try await client.execute(uri: "/bookings/\(booking.accessToken)/cancel", method: .get)
            #expect(String(buffer: page.body).contains("€45.00 will be refunded to your card."))
            let done = try await client.postForm(
                "/bookings/\(booking.accessToken)/cancel", from: "/bookings/\(booking.accessToken)/cancel",
                fields: ["back": "account"])
            #expect(done.headers[.location] == "/account?done=1")
            #expect(try await harness.practice.workflow.booking(booking.id).state == .canceled)
        }
    }
}
