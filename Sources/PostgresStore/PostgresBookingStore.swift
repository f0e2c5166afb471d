import Booking
import Foundation
import Logging
import Metrics
import PostgresNIO
import Synchronization
import Workflow

/// The `BookingStore` on PostgreSQL through postgres-nio, for one or several instances on one database.
///
/// Each write runs as one transaction on one pooled connection, at READ COMMITTED with explicit locks on what its
/// checks guard (see `PostgresAccess`): writes on different bookings, clients and calendars run side by side and
/// share the disk's flushes; writes on the same ones queue. A transaction that loses a race anyway (a deadlock, or
/// two inserts of one new unique row) is run again from the start, up to `maximumAttempts` times. An exclusion
/// constraint in the schema keeps two bookings of one staff member from overlapping even if a check were wrong.
/// Reads run on their own, outside any transaction. A database that cannot be reached makes every call throw
/// `StoreUnavailable` within `operationTimeout`; the pool reconnects by itself when the database returns.
public final class PostgresBookingStore: BookingStore {
    public let settings: PostgresSettings
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>
    let notifier: Notifier
    /// Repeated JSON columns, decoded and encoded once for this store.
    let json = ColumnJSONCache()
    /// Optimistic reads and commits waiting to be sent together (group commit: see `PostgresCommitBatches.swift`).
    /// `commits.totals` says how many commits went in how many batches.
    let reads: BatchQueue<KeyedRead, PostgresRandomAccessRow>
    let commits: BatchQueue<OptimisticCommit, Bool>

    /// How often a transaction is tried when it loses a race (a deadlock, a unique collision, a serialization failure).
    public static let maximumAttempts = 20

    /// Connects (the pool opens connections as they are needed) and migrates the database.
    public convenience init(settings: PostgresSettings, logger: Logger = Logger(label: "rendezvous.postgres"))
        async throws
    {
        try await self.init(settings: settings, logger: logger, migrations: PostgresSchema.migrations)
    }

    /// Connects and applies those of `migrations` not yet applied (the tests of a migration stop before it).
    init(settings: PostgresSettings, logger: Logger, migrations: [PostgresMigration]) async throws {
        self.settings = settings
        self.logger = logger
        self.reads = BatchQueue(lanes: settings.batchLanes)
        self.commits = BatchQueue(lanes: settings.batchLanes, keys: \.keys)
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.client = client
        self.notifier = Notifier(client: client, logger: logger)
        self.running = Task { [notifier] in
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                group.addTask { await notifier.run() }
            }
        }
        // NB: the pool must be running before the first lease, and postgres-nio offers nothing to wait on: a
        // moment's pause lets the task start (a lease before it merely logs a warning and waits).
        try? await Task.sleep(for: .milliseconds(20))
        do {
            try await self.migrate(migrations)
        } catch let error as PSQLError {
            self.running.cancel()
            throw Self.translate(error)
        } catch {
            self.running.cancel()
            throw error
        }
    }

    deinit { self.running.cancel() }

    /// Closes the pool's connections.
    public func shutdown() { self.running.cancel() }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T)
        async throws -> T
    {
        var attempt = 1
        while true {
            do {
                return try await self.transaction(body, queued: attempt > 1)
            } catch let error as PSQLError
                where Self.isRetryable(error)
                && attempt < (error.serverInfo?[.sqlState] == "23505" ? 3 : Self.maximumAttempts)
            {
                // Another transaction won the race: wait a little (more each time, with jitter) and run again, this
                // time in the queue of transactions that lost a race (one at a time, across instances), so that
                // under contention every transaction gets through after a few tries.
                attempt += 1
                Counter(
                    label: "rendezvous_database_retries_total",
                    dimensions: [("sqlstate", error.serverInfo?[.sqlState] ?? "")]
                )
                .increment()
                let ceiling = min(0.001 * pow(2, Double(attempt)), 0.1)
                try await Task.sleep(for: .seconds(Double.random(in: 0...ceiling)))
            } catch let error as PSQLError {
                throw Self.translate(error)
            }
        }
    }

    /// How often an optimistic write runs before it is run as a locking one (each further try follows a write that
    /// changed what it read).
    public static let optimisticAttempts = 3

    public func writeOptimistically<T: Sendable>(
        _ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T
    ) async throws -> T {
        for _ in 0..<Self.optimisticAttempts {
            do {
                guard let value = try await self.optimisticAttempt(body) else {
                    Counter(label: "rendezvous_database_optimistic_conflicts_total").increment()
                    continue
                }
                return value
            } catch is NeedsLocks {
                break
            } catch let error as PSQLError where Self.isRetryable(error) {
                break
            } catch let error as PSQLError {
                throw Self.translate(error)
            }
        }
        return try await self.write(body)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreReader) async throws -> T) async throws
        -> T
    {
        do {
            return try await self.withConnection { connection in
                try await body(
                    PostgresAccess(connection: connection, logger: self.logger, writable: false, json: self.json))
            }
        } catch let error as PSQLError {
            throw Self.translate(error)
        }
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await self.withConnection { connection in
            var names: [String] = []
            for try await name in try await connection.query(
                "SELECT name FROM schema_migrations ORDER BY applied_at, name", logger: self.logger
            ).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    /// The names of this build's migrations, in order.
    public static var migrationNames: [String] { PostgresSchema.migrations.map(\.name) }

    /// Whether the database answers and every migration of this build is applied (`GET /ready`).
    public func isReady() async -> Bool {
        guard let applied = try? await self.appliedMigrations() else { return false }
        return Set(PostgresSchema.migrations.map(\.name)).isSubset(of: Set(applied))
    }

    // MARK: Connections and transactions

    /// One pooled connection for `work`, or `StoreUnavailable` when there is no answer within `timeout` (the
    /// settings' `operationTimeout` unless given).
    ///
    /// NB: the work runs in a task of its own, raced against the timeout, because a query on a connection whose
    /// network went silent does not end when its task is cancelled. On timeout the work is cancelled: one still
    /// waiting for a connection gives up; one mid-query ends when the connection does, rolled back unless its
    /// COMMIT was already sent.
    func withConnection<T: Sendable>(
        timeout: Duration? = nil, _ work: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let timeout = timeout ?? self.settings.operationTimeout
        let client = self.client
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let race = Race(continuation)
            // NB: a timer on an event loop, not a sleeping task: cheap to set and to cancel, on every call.
            let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(
                in: .nanoseconds(
                    Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
            ) {
                if race.answer(.failure(StoreUnavailable(reason: "no answer from PostgreSQL within \(timeout)"))) {
                    race.cancelWorker()
                }
            }
            race.setWorker(
                Task {
                    do {
                        let value = try await client.withConnection { connection in
                            try Task.checkCancellation()
                            return try await work(connection)
                        }
                        _ = race.answer(.success(value))
                    } catch {
                        _ = race.answer(.failure(error))
                    }
                    timer.cancel()
                })
        }
    }

    private func transaction<T: Sendable>(
        _ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T, queued: Bool
    ) async throws -> T {
        try await self.withConnection { connection in
            try await connection.run(BeginTransaction.self, logger: self.logger)
            if queued {
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresSchema.retryQueueLockKey))", logger: self.logger)
            }
            let topics = QueuedTopics()
            let access = PostgresAccess(
                connection: connection, logger: self.logger, writable: true, json: self.json, queued: topics,
                buffered: BufferedWrites())
            let value: T
            do {
                value = try await body(access)
                try await access.flush()
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
            do {
                // A transaction whose caller was already answered 503 (it waited past the timeout) is not
                // committed behind their back.
                try Task.checkCancellation()
                try await connection.run(CommitTransaction.self, logger: self.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
            // NB: after the commit, not inside it: a transaction that NOTIFYs holds a server-wide lock through its
            // commit, which would make every transaction queuing an email commit alone.
            self.notifier.tell(topics.all)
            return value
        }
    }

    /// One optimistic run of `body` (see `PostgresOptimisticWrites.swift`): its value, or nil when something it read
    /// changed before its writes were committed (nothing was written); `NeedsLocks` when it asked for more.
    private func optimisticAttempt<T: Sendable>(
        _ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T
    ) async throws -> T? {
        let (value, commit, topics) = try await self.prepareOptimistically(body)
        // A caller that gave up (its task was cancelled) gets nothing committed behind its back.
        try Task.checkCancellation()
        if !commit.isEmpty {
            guard try await self.commits.submit(commit, send: self.send) else { return nil }
        }
        self.notifier.tell(topics.all)
        return value
    }

    /// Runs `body` optimistically up to its commit: its value, its writes with what guards them (not yet sent), and
    /// the outbox topics it queued work for. It holds no connection: its reads wait in a queue and go with those of
    /// other attempts.
    func prepareOptimistically<T: Sendable>(
        _ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T
    ) async throws -> (value: T, commit: OptimisticCommit, topics: QueuedTopics) {
        let topics = QueuedTopics()
        let reads = OptimisticReads { [self] read in try await self.reads.submit(read, send: self.sendReads) }
        let buffered = BufferedWrites()
        let access = PostgresAccess(
            connection: nil, logger: self.logger, writable: true, json: self.json, queued: topics,
            buffered: buffered, optimistic: reads)
        let value = try await body(access)
        if reads.needsLocks { throw NeedsLocks() }
        return (value, try OptimisticCommit(reads: reads, writes: buffered.take()), topics)
    }

    /// Sends a batch of optimistic reads as one statement.
    @Sendable private func sendReads(_ batch: [KeyedRead]) async -> [Result<PostgresRandomAccessRow, any Error>] {
        do {
            let rows = try await self.withConnection { connection in
                try await PostgresAccess(connection: connection, logger: self.logger, writable: false, json: self.json)
                    .read(batch)
            }
            return rows.map { .success($0) }
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }

    /// Sends a batch of optimistic commits as one statement. When it fails as a whole (one commit's writes broke a
    /// constraint, or it lost a deadlock), each commit is sent on its own, so each gets its own answer.
    @Sendable func send(_ batch: [OptimisticCommit]) async -> [Result<Bool, any Error>] {
        do {
            let applied = try await self.withConnection { connection in
                try await PostgresAccess(connection: connection, logger: self.logger, writable: true, json: self.json)
                    .commitOptimistically(batch)
            }
            return applied.map { .success($0) }
        } catch let error as PSQLError where batch.count > 1 && error.serverInfo?[.sqlState] != nil {
            var results: [Result<Bool, any Error>] = []
            for commit in batch { results += await self.send([commit]) }
            return results
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }

    /// Serialization failures, deadlocks and unique violations: the transaction lost a race (two transactions
    /// inserted one new unique row at once, say) and may simply run again, when it finds the winner's row.
    /// A unique violation that is no race fails again the same way, and is reported after the last attempt.
    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01" || state == "23505"
    }

    /// A PostgreSQL error as the workflow understands it: the exclusion constraint is a taken slot; a lost
    /// connection (or a server shutting down) is an unavailable store; anything else stays as it is.
    static func translate(_ error: PSQLError) -> any Error {
        if let state = error.serverInfo?[.sqlState] {
            if state == "23P01" { return BookingError.slotTaken }
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, and the 08 class.
            let message = error.serverInfo?[.message] ?? "no message"
            if ["57P01", "57P02", "57P03", "53300"].contains(state) || state.hasPrefix("08") {
                return StoreUnavailable(reason: "PostgreSQL answered \(state): \(message)")
            }
            return PostgresFailure(sqlState: state, message: message)
        }
        return StoreUnavailable(reason: "\(error.code)")
    }

    // MARK: Migrations

    /// Applies the migrations not yet applied, each in its own transaction, under an advisory lock.
    ///
    /// The server is first asked for an answer within the usual timeout (an unreachable database fails the start
    /// as quickly as any call); the migrations then have `migrationTimeout`, waiting for the lock included.
    func migrate(_ migrations: [PostgresMigration]) async throws {
        try await self.withConnection { connection in
            _ = try await connection.query("SELECT 1", logger: self.logger)
        }
        try await self.withConnection(timeout: self.settings.migrationTimeout) { connection in
            try await connection.query(
                "SELECT pg_advisory_lock(\(PostgresSchema.migrationLockKey))", logger: self.logger)
            do {
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())
                    """, logger: self.logger)
                var applied: Set<String> = []
                for try await name in try await connection.query(
                    "SELECT name FROM schema_migrations", logger: self.logger
                ).decode(String.self) {
                    applied.insert(name)
                }
                for migration in migrations where !applied.contains(migration.name) {
                    try await connection.query("BEGIN", logger: self.logger)
                    do {
                        for statement in migration.statements {
                            // NB: read to its end: a statement that fails once it has described its rows (a
                            // `SELECT` of a function) says so only there, not in `query`'s answer.
                            let rows = try await connection.query(
                                PostgresQuery(unsafeSQL: statement), logger: self.logger)
                            for try await _ in rows {}
                        }
                        try await connection.query(
                            "INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: self.logger)
                        try await connection.query("COMMIT", logger: self.logger)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: self.logger)
                        throw error
                    }
                    self.logger.info("migrated", metadata: ["migration": "\(migration.name)"])
                }
            } catch {
                _ = try? await connection.query(
                    "SELECT pg_advisory_unlock(\(PostgresSchema.migrationLockKey))", logger: self.logger)
                throw error
            }
            try await connection.query(
                "SELECT pg_advisory_unlock(\(PostgresSchema.migrationLockKey))", logger: self.logger)
        }
    }
}

/// A continuation answered once, by whichever of the work and its timeout ends first.
private final class Race<T: Sendable>: Sendable {
    private let continuation: CheckedContinuation<T, any Error>
    private let answered = Mutex(false)
    private let worker = Mutex<Task<Void, Never>?>(nil)

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }

    /// Resumes the continuation unless it was resumed before; whether this call did.
    func answer(_ result: Result<T, any Error>) -> Bool {
        let first = self.answered.withLock { done in
            defer { done = true }
            return !done
        }
        if first { self.continuation.resume(with: result) }
        return first
    }

    func setWorker(_ task: Task<Void, Never>) { self.worker.withLock { $0 = task } }

    func cancelWorker() { self.worker.withLock { $0?.cancel() } }
}

/// An error PostgreSQL answered that is neither a lost race nor an outage (a constraint, say), with its SQLSTATE and
/// message — said in full, unlike `PSQLError`'s description, which hides everything.
public struct PostgresFailure: Error, CustomStringConvertible {
    public var sqlState: String
    public var message: String

    public var description: String { "PostgreSQL refused: \(self.message) (SQLSTATE \(self.sqlState))" }
}

extension PostgresBookingStore {
    /// A write transaction here holds its locks across round trips: a client booking likely to be refused is checked
    /// in a read first (see `BookingStore.checksInAReadFirst`).
    public var checksInAReadFirst: Bool { true }

    /// How many optimistic commits (payments) were sent, in how many batches, since the store opened.
    public var optimisticCommitTotals: (batches: Int, commits: Int) {
        let totals = self.commits.totals
        return (totals.batches, totals.items)
    }
}
