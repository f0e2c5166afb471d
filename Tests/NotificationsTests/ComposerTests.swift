import Booking
import Foundation
import Notifications
import TestSupport
import Testing
import Workflow

let branding = EmailBranding(
    businessName: "Cabinet <Martin>", signature: "Kind regards,\nCamille Martin",
    from: Mailbox(name: "Cabinet Martin", address: "hello@cabinet.example"),
    links: PublicLinks(base: "https://book.example/"))

func sampleBooking(_ service: Service = .chatFirst, state: (inout Booking) -> Void = { _ in }) -> Booking {
    var booking = Booking.sample(client: ClientID(rawValue: "cl_zoe"), service: service)
    state(&booking)
    return booking
}

@Suite("Email composition")
struct ComposerTests {
    let composer = try! EmailComposer(branding: branding, links: SignedLink(secret: "test-link-secret"))
    let client = Client(
        id: ClientID(rawValue: "cl_zoe"), name: "Zoë <b>Dupré</b>", email: try! EmailAddress("zoe@example.com"),
        phone: "+33 6 12 34 56 78", createdAt: Instants.mondayMorning)

    func compose(_ matter: EmailSubjectMatter, _ booking: Booking = sampleBooking(), zone: String = "Europe/Paris")
        throws -> EmailMessage
    {
        try self.composer.compose(
            matter, id: "msg_test", booking: booking, client: self.client, timeZone: zone,
            recipients: matter.isAdmin ? [Mailbox(address: "admin@cabinet.example")] : nil, now: Instants.mondayMorning
        )
    }

    @Test(arguments: ClientNotice.allCases)
    func everyClientEmailRenders(_ notice: ClientNotice) throws {
        let email = try self.compose(.client(notice))
        #expect(!email.subject.isEmpty)
        #expect(!email.subject.contains("{{"))
        #expect(email.to == [Mailbox(name: "Zoë <b>Dupré</b>", address: "zoe@example.com")])
        #expect(email.messageID == "<msg_test@cabinet.example>")
        // Both parts: the details, in the client's time zone (10:00 in Paris is 09:00 UTC), and the signature.
        for part in [email.text, email.html] {
            #expect(part.contains("Tuesday 1 December 2026"))
            #expect(part.contains("10:00–10:45"))
            #expect(part.contains("Europe/Paris"))
            #expect(part.contains("Camille Martin"))
            #expect(!part.contains("{{"))
        }
        // Names are escaped in HTML, kept as typed in text.
        #expect(email.html.contains("Zoë &lt;b&gt;Dupré&lt;/b&gt;"))
        #expect(!email.html.contains("<b>Dupré"))
        #expect(email.text.contains("Zoë <b>Dupré</b>"))
        #expect(email.html.contains("Cabinet &lt;Martin&gt;"))
        let payment = "https://book.example/pay/tok_bk_sample"
        let pays = [
            ClientNotice.bookingReceived, .bookingCreatedByAdmin, .paymentRequested, .paymentFailed, .paymentReminder,
        ]
        #expect(email.text.contains(payment) == pays.contains(notice))
        #expect(email.html.contains("href=\"\(payment)\"") == pays.contains(notice))
        let hasCalendar = [ClientNotice.bookingCreatedByAdmin, .approved, .rescheduled, .canceled, .rejected]
            .contains(notice)
        #expect(email.attachments.contains { $0.filename == "booking.ics" } == hasCalendar)
    }

    @Test(arguments: AdminNotice.allCases)
    func everyAdminEmailRenders(_ notice: AdminNotice) throws {
        let email = try self.compose(.admins(notice))
        #expect(!email.subject.isEmpty)
        #expect(email.to == [Mailbox(address: "admin@cabinet.example")])
        #expect(email.text.contains("zoe@example.com"))
        #expect(email.text.contains("https://book.example/admin/bookings/bk_sample"))
        #expect(email.attachments.isEmpty)
    }

    @Test func theAdminMadeBookingIsTitledPendingWithItsKindAndAwaitsValidation() throws {
        let email = try self.compose(.client(.bookingCreatedByAdmin), sampleBooking(.callFirst))
        #expect(email.subject.hasPrefix("Pending: your Call session"))
        #expect(email.text.contains("awaits the validation of Cabinet <Martin>"))
        #expect(email.text.contains("Zoë <b>Dupré</b>"))
        let ics = String(decoding: try #require(email.attachments.first).content, as: UTF8.self)
        #expect(property("STATUS", in: ics) == "TENTATIVE")
    }

    @Test func anAdminMadeBookingWithNothingToPayAsksForNoPayment() throws {
        let free = sampleBooking(.freeIntro) { booking in
            booking.lifecycle =
                BookingLifecycle.open(confirmation: .none, payment: .free, approval: .manual, price: booking.price)
                .lifecycle
        }
        let email = try self.compose(.client(.bookingCreatedByAdmin), free)
        #expect(!email.text.contains("Please pay"))
        #expect(!email.text.contains("/pay/"))
        #expect(email.text.contains("See your booking: https://book.example/bookings/tok_bk_sample"))
        let due = try self.compose(.client(.bookingCreatedByAdmin), sampleBooking(.callFirst))
        #expect(due.text.contains("Please pay with the link below"))
    }

    @Test func theApprovedEmailDiffersForAChatAndACall() throws {
        let approve: (inout Booking) -> Void = { booking in
            _ = try? booking.lifecycle.apply(
                .paymentSucceeded(PaymentReceipt(amount: booking.price), slotStillFree: true))
            _ = try? booking.lifecycle.apply(.approved)
        }
        let chat = try self.compose(.client(.approved), sampleBooking(.chatFirst, state: approve))
        let call = try self.compose(.client(.approved), sampleBooking(.callFirst, state: approve))
        #expect(chat.text.contains("join the chat"))
        #expect(!chat.text.contains("join the call"))
        #expect(call.text.contains("join the call"))
        #expect(call.text.contains("+33 6 12 34 56 78"))
        let ics = String(decoding: try #require(call.attachments.first).content, as: UTF8.self)
        #expect(property("STATUS", in: ics) == "CONFIRMED")
        #expect(call.text.contains("calendar.google.com"))
    }

    @Test func aRescheduleSendsTheSameUIDWithAHigherSequence() throws {
        let before = sampleBooking()
        var after = before
        after.sequence += 1
        after.start = after.start.addingTimeInterval(86_400)
        after.end = after.end.addingTimeInterval(86_400)
        let first = self.composer.calendarFile(for: before, now: Instants.mondayMorning, language: .en)
        let email = try self.compose(.client(.rescheduled), after)
        let second = String(decoding: try #require(email.attachments.first).content, as: UTF8.self)
        #expect(property("UID", in: first) == property("UID", in: second))
        #expect(
            Int(try #require(property("SEQUENCE", in: second)))! > Int(try #require(property("SEQUENCE", in: first)))!)
        #expect(property("DTSTART", in: second) == "20261202T090000Z")
        #expect(email.text.contains("Wednesday 2 December 2026"))
    }

    @Test func theCancellationSaysHowMuchIsRefunded() throws {
        let paidAndCanceled: (inout Booking) -> Void = { booking in
            _ = try? booking.lifecycle.apply(
                .paymentSucceeded(PaymentReceipt(amount: booking.price, paymentIntentID: "pi_1"), slotStillFree: true))
            _ = try? booking.lifecycle.apply(.canceled)
        }
        let refunded = try self.compose(.client(.canceled), sampleBooking(state: paidAndCanceled))
        #expect(refunded.text.contains("€45.00 is refunded"))
        let ics = String(decoding: try #require(refunded.attachments.first).content, as: UTF8.self)
        #expect(property("STATUS", in: ics) == "CANCELLED")
        let unpaid = try self.compose(
            .client(.canceled), sampleBooking(state: { _ = try? $0.lifecycle.apply(.canceled) }))
        #expect(unpaid.text.contains("Nothing was charged"))
    }
}

@Suite("Signed links")
struct SignedLinkTests {
    let links = SignedLink(secret: "test-link-secret")
    let claims = SignedLink.Claims(
        purpose: .signIn, subject: "cl_zoe", expiresAt: Instants.tuesdayTen, nonce: "msg_1")

    @Test func aTokenWeSignedVerifiesUntilItExpires() throws {
        let token = self.links.token(for: self.claims)
        #expect(try self.links.verify(token, purpose: .signIn, now: Instants.mondayMorning) == self.claims)
        #expect(throws: SignedLink.Failure.expired) {
            try self.links.verify(token, purpose: .signIn, now: Instants.tuesdayTen)
        }
    }

    @Test func anyChangeOrAnotherKeyIsRefused() throws {
        let token = self.links.token(for: self.claims)
        #expect(throws: SignedLink.Failure.badSignature) {
            try SignedLink(secret: "another").verify(token, purpose: .signIn, now: Instants.mondayMorning)
        }
        // Another client id in the payload, the signature kept.
        let parts = token.split(separator: ".")
        let forged = SignedLink(secret: "x").token(
            for: .init(
                purpose: .signIn, subject: "cl_mallory", expiresAt: Instants.tuesdayTen, nonce: "msg_1"))
        let spliced = "\(forged.split(separator: ".")[0]).\(parts[1])"
        #expect(throws: SignedLink.Failure.badSignature) {
            try self.links.verify(spliced, purpose: .signIn, now: Instants.mondayMorning)
        }
        for garbage in ["", "abc", "a.b.c", "!!!.???"] {
            #expect(throws: SignedLink.Failure.self) {
                try self.links.verify(garbage, purpose: .signIn, now: Instants.mondayMorning)
            }
        }
    }

    @Test func theAccountEmailCarriesASignInLinkForItsClient() throws {
        let composer = try EmailComposer(branding: branding, links: self.links)
        let client = Client.sample()
        let email = try composer.compose(
            .client(.accountInvitation), id: "msg_invite", booking: sampleBooking(), client: client,
            timeZone: "Europe/Paris", now: Instants.mondayMorning)
        #expect(email.subject == "Your client area at Cabinet <Martin>")
        let prefix = "https://book.example/account/sign-in?token="
        let line = try #require(email.text.split(separator: "\n").first { $0.contains(prefix) })
        let token = String(line[line.range(of: prefix)!.upperBound...])
        let claims = try self.links.verify(token, purpose: .signIn, now: Instants.mondayMorning)
        #expect(claims.subject == client.id.rawValue)
        #expect(claims.nonce == "msg_invite")
        #expect(claims.expiresAt == Instants.mondayMorning.addingTimeInterval(7 * 86_400))
        // Without a key the email cannot be written (rather than sent with a dead link).
        #expect(throws: (any Error).self) {
            try EmailComposer(branding: branding).compose(
                .client(.accountInvitation), id: "msg_invite", booking: sampleBooking(), client: client,
                timeZone: "UTC", now: Instants.mondayMorning)
        }
    }
}

extension EmailSubjectMatter {
    var isAdmin: Bool { if case .admins = self { true } else { false } }
}
