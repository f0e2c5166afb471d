import Booking
import Foundation
import Logging
import ServiceLifecycle
import Workflow

/// Delivers the email rows of the outbox: composes each message when it is due, sends it, marks it sent. A failure
/// is retried with backoff and keeps its last error; a permanent refusal (a 5xx reply) is parked for an admin.
/// Delivery is at least once: a crash between the send and the mark sends again, under the same Message-ID.
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
        await runPeriodically(every: self.interval, logger: self.logger, name: "email outbox") {
            _ = try await self.deliverDue()
        }
    }

    /// Backoff after the n-th failed attempt: 2, 4, 8 ... seconds, at most ten minutes.
    public static func backoff(afterAttempt attempts: Int) -> TimeInterval {
        min(pow(2, Double(min(max(attempts, 1), 12))), 600)
    }

    /// One pass over the due email rows; returns how many were sent.
    public func deliverDue(limit: Int = 50) async throws -> Int {
        let now = self.workflow.clock.now()
        let due = try await self.workflow.store.read {
            try await $0.pendingOutbox(topic: .email, at: now, limit: limit)
        }
        var sent = 0
        for row in due {
            var updated = row
            updated.attempts += 1
            do {
                if let email = try await self.email(for: row) {
                    try await self.transport.send(email)
                    sent += 1
                }
                updated.deliveredAt = self.workflow.clock.now()
                updated.lastError = nil
            } catch let error as MailDeliveryError where error.isPermanent {
                updated.lastError = "\(error)"
                updated.availableAt = now.addingTimeInterval(86_400 * 365)
                self.logger.error("an email was refused", metadata: ["message": "\(row.id)", "error": "\(error)"])
            } catch {
                updated.lastError = "\(error)"
                updated.availableAt = now.addingTimeInterval(Self.backoff(afterAttempt: updated.attempts))
                self.logger.warning(
                    "an email could not be sent; will retry",
                    metadata: ["message": "\(row.id)", "attempt": "\(updated.attempts)", "error": "\(error)"])
            }
            let final = updated
            try await self.workflow.store.write { tx in try await tx.updateOutbox(final) }
        }
        return sent
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
        let (booking, client, zone, admins) = try await self.workflow.store.read { reader in
            guard let booking = try await reader.booking(row.bookingID),
                let client = try await reader.client(booking.clientID)
            else {
                throw MailDeliveryError(permanent: true, "booking \(row.bookingID) or its client is gone")
            }
            let practice = try await reader.practiceTimeZone(of: booking)
            let admins = try await reader.admins()
            // Clients read times in their own zone when they gave one; admins in the practice's.
            return (booking, client, isAdmin ? practice : client.displayTimeZone(practice: practice), admins)
        }
        var recipients: [Mailbox]?
        if case .admins = matter {
            recipients = admins.map { Mailbox(address: $0.email.value) }
            if recipients?.isEmpty ?? true { return nil }
        }
        return try self.composer.compose(
            matter, id: row.id, booking: booking, client: client, timeZone: zone, recipients: recipients,
            now: row.createdAt)
    }
}
