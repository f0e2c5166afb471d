import Booking
import Foundation
import Logging
import Metrics

/// Delivering the outbox: the one loop every worker (emails, provider calls) runs over its topic's due rows.
/// Delivery is at least once: a crash between the delivery and its mark delivers again, under the same row id
/// (the email's Message-ID, the provider's idempotency key). A failure is retried with one backoff for every
/// topic; a refusal that waiting will not change is parked for an admin.
public struct OutboxDelivery: UseCase {
    let context: WorkflowContext

    /// Backoff after the n-th failed attempt: 2, 4, 8 ... seconds, at most ten minutes.
    public static func backoff(afterAttempt attempts: Int) -> TimeInterval {
        min(pow(2, Double(min(max(attempts, 1), 12))), 600)
    }

    /// How long a claimed row stays hidden from other workers, unless set otherwise: far longer than one pass
    /// takes (the SMTP and provider clients give up well before), short enough that a dead worker's rows are soon
    /// taken over.
    public static let defaultLease: TimeInterval = 120

    /// How far a refused row is pushed back: out of the workers' way until an admin acts.
    static let parkedFor: TimeInterval = 86_400 * 365

    /// How a worker hands one row to the outside world.
    public struct Handler: Sendable {
        /// Delivers the row; returns false when there was nothing to send (counted as delivered, not as sent).
        public var deliver: @Sendable (OutboxMessage) async throws -> Bool
        /// Whether an error is a refusal that will not change by waiting.
        public var isPermanent: @Sendable (any Error) -> Bool
        /// What the admins are told when a row is refused (nothing when nil).
        public var noticeOnRefusal: AdminNotice?

        public init(
            deliver: @escaping @Sendable (OutboxMessage) async throws -> Bool,
            isPermanent: @escaping @Sendable (any Error) -> Bool, noticeOnRefusal: AdminNotice? = nil
        ) {
            self.deliver = deliver
            self.isPermanent = isPermanent
            self.noticeOnRefusal = noticeOnRefusal
        }
    }

    /// One pass over the due rows of `topic`; returns how many were sent.
    public func deliverDue(
        topic: OutboxTopic, limit: Int = 50, logger: Logger, with handler: Handler
    ) async throws -> Int {
        let now = self.clock.now()
        // A cheap read first (most passes find nothing), then the claim: with several instances on one database,
        // each row goes to one worker, and back to the others if that worker dies before marking it.
        guard try await !self.store.read({ try await $0.pendingOutbox(topic: topic, at: now, limit: 1) }).isEmpty
        else { return 0 }
        let due = try await self.store.write {
            try await $0.claimOutbox(
                topic: topic, at: now, leaseUntil: now.addingTimeInterval(self.context.outboxLease), limit: limit)
        }
        var sent = 0
        for row in due {
            var updated = row
            updated.attempts += 1
            var notice: OutboxMessage?
            do {
                if try await handler.deliver(row) { sent += 1 }
                updated.deliveredAt = self.clock.now()
                updated.lastError = nil
                Counter(label: "rendezvous_outbox_delivered_total", dimensions: [("topic", topic.rawValue)]).increment()
            } catch  where handler.isPermanent(error) {
                updated.lastError = "\(error)"
                updated.availableAt = now.addingTimeInterval(Self.parkedFor)
                logger.error(
                    "an outbox row was refused; an admin must look",
                    metadata: ["topic": "\(topic.rawValue)", "message": "\(row.id)", "error": "\(error)"])
                notice = handler.noticeOnRefusal.map {
                    OutboxMessage(
                        id: OutboxMessage.newID(self.ids), bookingID: row.bookingID, effect: .emailAdmins($0),
                        createdAt: now)
                }
            } catch {
                Counter(label: "rendezvous_outbox_failed_total", dimensions: [("topic", topic.rawValue)]).increment()
                updated.lastError = "\(error)"
                updated.availableAt = now.addingTimeInterval(Self.backoff(afterAttempt: updated.attempts))
                logger.warning(
                    "an outbox row could not be delivered; will retry",
                    metadata: [
                        "topic": "\(topic.rawValue)", "message": "\(row.id)", "attempt": "\(updated.attempts)",
                        "error": "\(error)",
                    ])
            }
            let (final, refusalNotice) = (updated, notice)
            try await self.store.write { tx in
                try await tx.updateOutbox(final)
                if let refusalNotice { try await tx.enqueue(refusalNotice) }
            }
        }
        return sent
    }

    /// Waits until work of `topic` is queued (when the store rings the context's bell) or `interval` passed.
    public func waitForWork(_ topic: OutboxTopic, upTo interval: Duration) async {
        if let bell = self.context.workBell {
            await bell.wait(for: topic, upTo: interval)
        } else {
            try? await Task.sleep(for: interval)
        }
    }

    /// What an email row is about, read as the booking is now: the booking, its client, the zone its times are
    /// shown in (the client's own for client emails, the practice's for admins) and the admins.
    public func subject(of row: OutboxMessage, forAdmins: Bool) async throws -> NoticeSubject? {
        try await self.store.read { reader in
            guard let booking = try await reader.booking(row.bookingID),
                let client = try await reader.client(booking.clientID)
            else { return nil }
            let practice = try await reader.practiceTimeZone(of: booking)
            // The note an admin chose to show the client with the step that caused this email (same instant).
            let note =
                forAdmins
                ? nil
                : try await reader.history(of: booking.id).last {
                    $0.at == row.createdAt && $0.reasonShownToClient
                }?.reason
            return NoticeSubject(
                booking: booking, client: client,
                timeZone: forAdmins ? practice : client.displayTimeZone(practice: practice),
                admins: try await reader.admins(), noteForClient: note)
        }
    }
}

/// What a notice is about, for the email worker.
public struct NoticeSubject: Sendable {
    public var booking: Booking
    public var client: Client
    /// The IANA zone the notice shows times in.
    public var timeZone: String
    public var admins: [AdminAccount]
    /// An admin's note to show the client in this email.
    public var noteForClient: String?
}
