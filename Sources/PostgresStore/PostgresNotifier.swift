import Logging
import PostgresNIO
import Synchronization
import Workflow

/// Tells every instance (`NOTIFY rendezvous_outbox, '<topic>'`) that outbox work was committed: one notification a
/// topic for all the transactions that committed since the last, sent off the transactions' path, and at most one
/// round of them per `spacing`. A notification lost (the database went away) costs one polling interval.
///
/// NB: a NOTIFY is a transaction of its own with a commit record to flush, and PostgreSQL serialises notifying
/// commits. Sent after every batch of payments (`bench webhooks`), they were about a fifth of the server's flushes
/// of the write-ahead log (about 310 a second, 240 once spaced). Spaced, the first work queued after a quiet spell
/// still wakes the workers at once; work queued meanwhile waits at most `spacing` more, well within the second an
/// email may take.
final class Notifier: Sendable {
    /// Sends one topic's notification.
    typealias Send = @Sendable (OutboxTopic) async throws -> Void

    private let send: Send
    private let logger: Logger
    private let spacing: Duration
    private let pending = Mutex<Set<OutboxTopic>>([])
    private let signal: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(spacing: Duration = .milliseconds(100), logger: Logger, send: @escaping Send) {
        self.send = send
        self.logger = logger
        self.spacing = spacing
        (self.signal, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A notifier sending on `client`'s pool.
    convenience init(client: PostgresClient, logger: Logger) {
        self.init(logger: logger) { topic in
            try await client.query(
                "SELECT pg_notify(\(PostgresAccess.outboxChannel), \(topic.rawValue))", logger: logger)
        }
    }

    func tell(_ topics: Set<OutboxTopic>) {
        guard !topics.isEmpty else { return }
        self.pending.withLock { $0.formUnion(topics) }
        self.wake.yield()
    }

    func run() async {
        for await _ in self.signal {
            let topics = self.pending.withLock { pending in
                defer { pending.removeAll() }
                return pending
            }
            guard !topics.isEmpty else { continue }
            for topic in topics.sorted(by: { $0.rawValue < $1.rawValue }) {
                do {
                    try await self.send(topic)
                } catch {
                    self.logger.debug("a wake-up notification was not sent", metadata: ["error": "\(error)"])
                }
            }
            // What is committed meanwhile gathers in `pending` and goes in the next round.
            try? await Task.sleep(for: self.spacing)
        }
    }
}
