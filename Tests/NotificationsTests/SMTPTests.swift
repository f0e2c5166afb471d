import Booking
import Foundation
import NIOCore
import NIOPosix
import Notifications
import Storage
import TestSupport
import Testing
import Workflow

/// Against a real SMTP server (aiosmtpd, started by each test): plain, STARTTLS with AUTH, refusals, and the outbox
/// worker riding out an outage.
@Suite("SMTP delivery", .serialized)
struct SMTPTests {
    let composer = try! EmailComposer(branding: branding)

    func sampleEmail(id: String = "msg_smtp1", notice: ClientNotice = .approved) throws -> EmailMessage {
        var booking = sampleBooking(.callFirst)
        _ = try booking.lifecycle.apply(.paymentSucceeded(PaymentReceipt(amount: booking.price), slotStillFree: true))
        _ = try booking.lifecycle.apply(.approved)
        return try self.composer.compose(
            .client(notice), id: id, booking: booking, client: .sample(), timeZone: "Europe/Paris",
            now: Instants.mondayMorning)
    }

    @Test func aMessageArrivesWithItsHeadersPartsAndCalendar() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let transport = try SMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)"))
        let email = try self.sampleEmail()
        try await transport.send(email)
        let messages = try await sink.waitForMessages(1)
        try #require(messages.count == 1)
        let parsed = try ParsedMessage(messages[0])
        #expect(parsed.header("X-Envelope-From") == "hello@cabinet.example")
        #expect(parsed.header("X-Envelope-To") == "zoe@example.com")
        #expect(parsed.header("Message-ID") == "<msg_smtp1@cabinet.example>")
        #expect(decodeEncodedWords(try #require(parsed.header("Subject"))) == email.subject)
        #expect(parsed.text("text/plain") == email.text)
        #expect(parsed.text("text/html") == email.html)
        let calendar = try #require(parsed.parts.first { $0.contentType.hasPrefix("text/calendar") })
        #expect(property("UID", in: String(decoding: calendar.body, as: UTF8.self)) == "bk_sample@rendezvous")
    }

    @Test func startTLSAndAuthenticationAreUsedWhenOffered() async throws {
        let folder = try TemporaryDirectory.make()
        let pem = try SMTPSink.makeCertificate(in: folder)
        let sink = try await SMTPSink.start(tls: pem, auth: "mailer:s3cret pass")
        defer { sink.stop() }
        // The server refuses AUTH before STARTTLS, so arriving proves the upgrade; the password is percent-encoded.
        let transport = try SMTPTransport(
            configuration: SMTPConfiguration(
                url: "smtp://mailer:s3cret%20pass@localhost:\(sink.port)?starttls=required",
                trustRootsFile: pem.certificate.path))
        try await transport.send(try self.sampleEmail())
        #expect(try await sink.waitForMessages(1).count == 1)

        // The same server with the wrong password: a permanent refusal.
        let wrong = try SMTPTransport(
            configuration: SMTPConfiguration(
                url: "smtp://mailer:wrong@localhost:\(sink.port)", trustRootsFile: pem.certificate.path))
        await #expect(throws: MailDeliveryError.self) { try await wrong.send(try self.sampleEmail(id: "msg_smtp2")) }
        do {
            try await wrong.send(try self.sampleEmail(id: "msg_smtp2"))
        } catch let error as MailDeliveryError {
            #expect(error.isPermanent)
        }

        // A certificate nobody vouches for is not accepted.
        let untrusting = try SMTPTransport(configuration: SMTPConfiguration(url: "smtp://localhost:\(sink.port)"))
        await #expect(throws: MailDeliveryError.self) { try await untrusting.send(try self.sampleEmail(id: "msg_3")) }
        #expect(try sink.messages().count == 1)
    }

    @Test func implicitTLSAndAuthLoginWork() async throws {
        let folder = try TemporaryDirectory.make()
        let pem = try SMTPSink.makeCertificate(in: folder)
        let sink = try await SMTPSink.start(tls: pem, implicitTLS: true, auth: "mailer:secret", loginOnly: true)
        defer { sink.stop() }
        let transport = try SMTPTransport(
            configuration: SMTPConfiguration(
                url: "smtps://mailer:secret@localhost:\(sink.port)", trustRootsFile: pem.certificate.path))
        try await transport.send(try self.sampleEmail())
        #expect(try await sink.waitForMessages(1).count == 1)
    }

    @Test func aServerThatNeverAnswersTimesOutAsATemporaryFailure() async throws {
        // A listener that accepts and then says nothing.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let transport = try SMTPTransport(
            configuration: SMTPConfiguration(
                host: "127.0.0.1", port: silent.localAddress?.port ?? 0, conversationTimeout: .milliseconds(500)))
        let started = ContinuousClock.now
        do {
            try await transport.send(try self.sampleEmail())
            Issue.record("a silent server accepted a message")
        } catch let error as MailDeliveryError {
            #expect(!error.isPermanent)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aServerThatRequiresAuthenticationRefusesAnAnonymousSenderPermanently() async throws {
        let sink = try await SMTPSink.start(auth: "mailer:secret")
        defer { sink.stop() }
        let transport = try SMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)"))
        do {
            try await transport.send(try self.sampleEmail())
            Issue.record("an anonymous sender was accepted")
        } catch let error as MailDeliveryError {
            #expect(error.isPermanent)
            #expect(error.message.contains("530"))
        }
        // With the credentials (plain text is allowed to a loopback server): delivered.
        let authenticated = try SMTPTransport(
            configuration: SMTPConfiguration(url: "smtp://mailer:secret@127.0.0.1:\(sink.port)"))
        try await authenticated.send(try self.sampleEmail())
        #expect(try await sink.waitForMessages(1).count == 1)
    }

    @Test func everyEmailCausedWhileTheServerIsDownArrivesOnceWhenItIsBack() async throws {
        let practice = try await TestPractice()
        let port = try await SMTPSink.freePort()
        let transport = try SMTPTransport(
            configuration: SMTPConfiguration(
                host: "127.0.0.1", port: port, connectTimeout: .seconds(2), conversationTimeout: .seconds(10)))
        let worker = EmailOutboxWorker(workflow: practice.workflow, composer: self.composer, transport: transport)
        // Three bookings, each with its "booking received" email, while nothing listens.
        for (index, hour) in [9, 11, 13].enumerated() {
            _ = try await practice.workflow.clients.book(
                practice.request(
                    at: Instants.utc("2026-12-01T\(hour < 10 ? "0" : "")\(hour):00:00Z"),
                    email: "client\(index)@example.com"))
        }
        #expect(try await worker.deliverDue() == 0)
        let waiting = try await practice.store.read {
            try await $0.pendingOutbox(topic: .email, at: .distantFuture, limit: 100)
        }
        #expect(waiting.count == 3)
        for row in waiting {
            #expect(row.attempts == 1)
            #expect(row.lastError?.contains("cannot connect") == true)
            #expect(row.availableAt > practice.clock.now())
        }
        // Not due yet: nothing is tried.
        #expect(try await worker.deliverDue() == 0)

        let sink = try await SMTPSink.start(port: port)
        defer { sink.stop() }
        practice.clock.advance(by: OutboxDelivery.backoff(afterAttempt: 1) + 1)
        #expect(try await worker.deliverDue() == 3)
        practice.clock.advance(by: 3600)
        #expect(try await worker.deliverDue() == 0)
        let messages = try await sink.waitForMessages(3)
        let ids = try messages.map { try #require(ParsedMessage($0).header("Message-ID")) }
        #expect(ids.count == 3, "each email arrives once, not again after the server came back")
        #expect(Set(ids).count == 3)
        #expect(Set(ids) == Set(waiting.map { "<\($0.id)@cabinet.example>" }))
        for message in messages {
            let text = try #require(try ParsedMessage(message).text("text/plain"))
            #expect(text.contains("https://book.example/pay/"))
        }
        let pending = try await practice.store.read {
            try await $0.pendingOutbox(topic: .email, at: .distantFuture, limit: 100)
        }
        #expect(pending.isEmpty)
    }
}

@Suite("The email outbox worker")
struct EmailOutboxWorkerTests {
    let composer = try! EmailComposer(branding: branding)

    @Test func transitionsLeaveEmailsThatTheWorkerDeliversToTheMailbox() async throws {
        let practice = try await TestPractice()
        let mailbox = try DevelopmentMailbox(directory: try TemporaryDirectory.make())
        let worker = EmailOutboxWorker(workflow: practice.workflow, composer: self.composer, transport: mailbox)
        let receipt = try await practice.workflow.clients.book(
            ClientBookingRequest(
                serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen, name: "Ana", email: "ana@example.com",
                timeZone: "America/New_York"))
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: receipt.booking))
        _ = try await practice.workflow.accounts.createAdmin(email: "boss@cabinet.example", passwordHash: "x")
        #expect(try await worker.deliverDue() == 3)
        let messages = try await mailbox.messages()
        let subjects = Set(messages.map(\.subject))
        #expect(subjects.contains { $0.hasPrefix("Booking received") })
        #expect(subjects.contains { $0.hasPrefix("Payment received") })
        #expect(subjects.contains { $0.hasPrefix("To approve") })
        // The client reads New York time (09:00 UTC is 04:00 there); the admins the practice's (Paris, 10:00).
        let received = try #require(messages.first { $0.subject.hasPrefix("Booking received") })
        #expect(received.text.contains("04:00–04:45 (America/New_York)"))
        let admin = try #require(messages.first { $0.subject.hasPrefix("To approve") })
        #expect(admin.to.map(\.address) == ["boss@cabinet.example"])
        #expect(admin.text.contains("10:00–10:45 (Europe/Paris)"))
        // Delivered rows are not sent again.
        #expect(try await worker.deliverDue() == 0)
    }

    @Test func aRefusedEmailIsParkedWithItsErrorAndAFailingOneRetriedWithBackoff() async throws {
        struct Refusing: MailTransport {
            let permanent: Bool
            func send(_ message: EmailMessage) async throws {
                throw MailDeliveryError(permanent: self.permanent, "550 no such user")
            }
        }
        let practice = try await TestPractice()
        _ = try await practice.workflow.clients.book(practice.request())
        let temporary = EmailOutboxWorker(
            workflow: practice.workflow, composer: self.composer, transport: Refusing(permanent: false))
        #expect(try await temporary.deliverDue() == 0)
        var rows = try await practice.store.read {
            try await $0.pendingOutbox(topic: .email, at: .distantFuture, limit: 10)
        }
        #expect(rows.first?.lastError == "temporary: 550 no such user")
        #expect(rows.first?.availableAt == practice.clock.now().addingTimeInterval(2))
        practice.clock.advance(by: 2)
        #expect(try await temporary.deliverDue() == 0)
        rows = try await practice.store.read {
            try await $0.pendingOutbox(topic: .email, at: .distantFuture, limit: 10)
        }
        #expect(rows.first?.attempts == 2)
        #expect(rows.first?.availableAt == practice.clock.now().addingTimeInterval(4))

        let permanent = EmailOutboxWorker(
            workflow: practice.workflow, composer: self.composer, transport: Refusing(permanent: true))
        practice.clock.advance(by: 4)
        #expect(try await permanent.deliverDue() == 0)
        rows = try await practice.store.read {
            try await $0.pendingOutbox(topic: .email, at: .distantFuture, limit: 10)
        }
        #expect(rows.first?.lastError == "permanent: 550 no such user")
        #expect(rows.first.map { $0.availableAt > practice.clock.now().addingTimeInterval(86_400 * 300) } == true)
    }
}
