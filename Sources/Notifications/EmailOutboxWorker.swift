import Booking
import Foundation
import Logging
import ServiceLifecycle
import Workflow

/// Delivers the email rows of the outbox through the workflow's outbox loop: composes each message when it is due,
/// sends it, marks it sent. A failure is retried with the loop's backoff and keeps its last error; a permanent
/// refusal (a 5xx reply) is parked for an admin. A crash between the send and the mark sends again, under the same
/// Message-ID.
public struct EmailOutboxWorker: ServiceLifecycle.Service {
    public let workflow: BookingWorkflow
    public let composer: EmailComposer
    public let transport: any MailTransport
    public var interval: Duration
    private let logger: Logger

    public init(
        workflow: BookingWorkflow, composer: EmailComposer, transport: any MailTransport,
        interval: Duration = .seconds(1), logger: Logger = Logger(label: "rendezvous.outbox.email")
    ) {
        self.workflow = workflow
        self.composer = composer
        self.transport = transport
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await PeriodicService(
            name: "email outbox", every: self.interval, logger: self.logger,
            pause: { await self.workflow.outbox.waitForWork(.email, upTo: $0) }
        ) {
            _ = try await self.deliverDue()
        }.run()
    }

    /// One pass over the due email rows (through the workflow's one outbox loop); returns how many were sent.
    public func deliverDue(limit: Int = 50) async throws -> Int {
        try await self.workflow.outbox.deliverDue(
            topic: .email, limit: limit, logger: self.logger,
            with: .init(
                deliver: { row in
                    guard let email = try await self.email(for: row) else { return false }
                    try await self.transport.send(email)
                    return true
                },
                isPermanent: { ($0 as? MailDeliveryError)?.isPermanent ?? false }))
    }

    /// The email an outbox row stands for, composed from the booking as it is now; nil when nobody is to receive
    /// it (no admin accounts).
    public func email(for row: OutboxMessage) async throws -> EmailMessage? {
        let matter: EmailSubjectMatter
        switch row.effect {
        case .emailClient(let notice): matter = .client(notice)
        case .emailAdmins(let notice): matter = .admins(notice)
        case .refund, .expireCheckout: return nil
        }
        let isAdmin = if case .admins = matter { true } else { false }
        guard let subject = try await self.workflow.outbox.subject(of: row, forAdmins: isAdmin) else {
            throw MailDeliveryError(permanent: true, "booking \(row.bookingID) or its client is gone")
        }
        var recipients: [Mailbox]?
        if isAdmin {
            recipients = subject.admins.map { Mailbox(address: $0.email.value) }
            if recipients?.isEmpty ?? true { return nil }
        }
        return try self.composer.compose(
            matter, id: row.id, booking: subject.booking, client: subject.client, timeZone: subject.timeZone,
            recipients: recipients, noteForClient: subject.noteForClient, now: row.createdAt)
    }
}
