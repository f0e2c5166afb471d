import Booking
import Foundation
import GRDB
import Workflow

/// The `BookingStore` on SQLite through GRDB: WAL, `synchronous=FULL`, a busy timeout, named migrations.
///
/// Write transactions run one at a time on the writer connection, each from its first statement to its end under
/// SQLite's write lock (`BEGIN IMMEDIATE`), so the overlap check and the insert it guards cannot interleave with
/// another writer, in this process or another. Transactions that queue up while one runs are committed together
/// (group commit): each runs inside its own savepoint, a failing one is rolled back alone, and every caller hears
/// back only after the shared COMMIT reached the disk.
public final class SQLiteBookingStore: BookingStore {
    /// Where the database lives.
    public let path: String
    private let pool: DatabasePool
    private let queue: WriteQueue

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String, maxBatch: Int = 64) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        // NB: a write transaction of the workflow spans several database accesses (one per store call, with
        // awaits between them). GRDB refuses that unless told; `WriteQueue` runs one transaction batch at a time and
        // ends each with COMMIT or ROLLBACK.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // A larger page cache and memory-mapped reads: fewer read system calls on every connection.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // NB: set after opening, on the one writer connection: DatabasePool sets NORMAL when it enables WAL, and a
        // committed booking or payment must survive power loss, not only a process crash.
        try self.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try SQLiteSchema.migrator.migrate(self.pool)
        self.queue = WriteQueue(pool: self.pool, maxBatch: maxBatch)
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await self.pool.read { db in try SQLiteSchema.migrator.appliedMigrations(db) }
    }

    /// The `PRAGMA synchronous` level of the store's connections (2 is FULL).
    public func synchronousLevel() async throws -> Int {
        try await self.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T)
        async throws -> T
    {
        let value = try await self.queue.submit { transaction in try await body(transaction) }
        // NB: the queue hands back exactly what this body returned.
        return value as! T
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreReader) async throws -> T) async throws
        -> T
    {
        try await body(SQLiteAccess(pool: self.pool, writable: false))
    }
}

/// Runs write transactions in arrival order on the writer connection, committing those that arrive while a batch
/// runs in the next batch, together.
actor WriteQueue {
    typealias Body = @Sendable (any BookingStoreTransaction) async throws -> any Sendable

    private struct Job {
        var body: Body
        var continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let pool: DatabasePool
    private let maxBatch: Int
    private var pending: [Job] = []
    private var draining = false

    init(pool: DatabasePool, maxBatch: Int) {
        self.pool = pool
        self.maxBatch = max(1, maxBatch)
    }

    func submit(_ body: @escaping Body) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { continuation in
            self.pending.append(Job(body: body, continuation: continuation))
            if !self.draining {
                self.draining = true
                // NB: the batches run in a task of their own, so a cancelled caller cannot stop a transaction halfway.
                Task.detached { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !self.pending.isEmpty {
            let batch = Array(self.pending.prefix(self.maxBatch))
            self.pending.removeFirst(batch.count)
            let results = await Self.run(batch.map(\.body), on: self.pool)
            for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
        }
        self.draining = false
    }

    /// One SQLite transaction for the whole batch; a savepoint for each body.
    private static func run(_ bodies: [Body], on pool: DatabasePool) async -> [Result<any Sendable, any Error>] {
        do {
            try WriterConnection.run(pool) { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        } catch {
            return bodies.map { _ in .failure(error) }
        }
        let access = SQLiteAccess(pool: pool, writable: true)
        if bodies.count == 1 {
            // Alone in its batch: the transaction itself is the body's, no savepoint needed.
            do {
                let value = try await bodies[0](access)
                try WriterConnection.run(pool) { db in try db.execute(sql: "COMMIT") }
                return [.success(value)]
            } catch {
                try? WriterConnection.run(pool) { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
                return [.failure(error)]
            }
        }
        var results: [Result<any Sendable, any Error>] = []
        for body in bodies {
            do {
                try WriterConnection.run(pool) { db in try db.execute(sql: "SAVEPOINT rendezvous_job") }
                let value = try await body(access)
                try WriterConnection.run(pool) { db in try db.execute(sql: "RELEASE rendezvous_job") }
                results.append(.success(value))
            } catch {
                do {
                    try WriterConnection.run(pool) { db in
                        try db.execute(sql: "ROLLBACK TO rendezvous_job")
                        try db.execute(sql: "RELEASE rendezvous_job")
                    }
                    results.append(.failure(error))
                } catch let rollbackError {
                    // The transaction itself is broken: nothing of this batch can commit.
                    try? WriterConnection.run(pool) { db in
                        if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                    }
                    return bodies.map { _ in .failure(rollbackError) }
                }
            }
        }
        do {
            try WriterConnection.run(pool) { db in try db.execute(sql: "COMMIT") }
            return results
        } catch {
            try? WriterConnection.run(pool) { db in
                if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
            }
            return results.map { result in
                if case .success = result { return .failure(error) }
                return result
            }
        }
    }
}

/// Synchronous access to the writer connection.
///
/// NB: write transactions are serialized by `WriteQueue`, so the writer connection's queue is idle whenever one of
/// them calls in: waiting for it synchronously costs microseconds, where an async hop per statement would cost a
/// thread switch each and cap the commit rate. It blocks only the one task that runs the batch.
enum WriterConnection {
    static func run<T>(_ pool: DatabasePool, _ work: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(work)
    }
}

/// The store's queries. On the writer connection inside a transaction when `writable`, on a reader otherwise.
struct SQLiteAccess: BookingStoreTransaction {
    let pool: DatabasePool
    let writable: Bool

    private func access<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if self.writable { return try WriterConnection.run(self.pool, work) }
        return try await self.pool.read(work)
    }

    private func mutate(_ work: @escaping @Sendable (Database) throws -> Void) async throws {
        guard self.writable else { throw StorageError.readOnly }
        try WriterConnection.run(self.pool, work)
    }

    // MARK: Reads

    func booking(_ id: BookingID) async throws -> Booking? {
        try await self.access { db in
            try BookingRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM bookings WHERE id = ?"), arguments: [id.rawValue])?.domain()
        }
    }

    func booking(accessToken: AccessToken) async throws -> Booking? {
        try await self.access { db in
            try BookingRecord.filter(Column("access_token") == accessToken.rawValue).fetchOne(db)?.domain()
        }
    }

    func bookings(of clientID: ClientID) async throws -> [Booking] {
        try await self.access { db in
            try BookingRecord.filter(Column("client_id") == clientID.rawValue).order(Column("created_at"), Column("id"))
                .fetchAll(db).map { try $0.domain() }
        }
    }

    func bookings(matching filter: BookingFilter) async throws -> [Booking] {
        try await self.access { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            switch filter.view {
            case .active:
                conditions.append("b.archived_at IS NULL AND c.is_banned = 0")
            case .archived:
                conditions.append("b.archived_at IS NOT NULL")
            case .banned:
                conditions.append("c.is_banned = 1")
            }
            if let states = filter.states {
                let sorted = states.map(\.rawValue).sorted()
                conditions.append("b.state IN (\(databaseQuestionMarks(count: sorted.count)))")
                arguments += StatementArguments(sorted)
            }
            if let from = filter.from {
                conditions.append("b.start_at >= ?")
                arguments += [Millis.from(from)]
            }
            if let to = filter.to {
                conditions.append("b.start_at < ?")
                arguments += [Millis.from(to)]
            }
            arguments += [filter.limit]
            let sql = """
                SELECT b.* FROM bookings b JOIN clients c ON c.id = b.client_id
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY b.start_at, b.id LIMIT ?
                """
            return try BookingRecord.fetchAll(db, sql: sql, arguments: arguments).map { try $0.domain() }
        }
    }

    func busyTimes(staffIDs: [StaffID], overlapping interval: DateInterval, at now: Date, excluding: BookingID?)
        async throws -> [BusyTime]
    {
        guard !staffIDs.isEmpty else { return [] }
        return try await self.access { db in
            let ids = staffIDs.map(\.rawValue)
            var arguments = StatementArguments(ids)
            arguments += [
                Millis.from(interval.start.addingTimeInterval(-Booking.maximumLength)), Millis.from(interval.end),
                Millis.from(interval.start), Millis.from(now), excluding?.rawValue,
            ]
            return try Row.fetchAll(db, sql: HotStatements.busyTimes(staffCount: ids.count), arguments: arguments).map {
                row in
                BusyTime(staffID: StaffID(rawValue: row[0]), start: Millis.date(row[1]), end: Millis.date(row[2]))
            }
        }
    }

    func lapsedHolds(at now: Date, limit: Int) async throws -> [Booking] {
        try await self.access { db in
            try BookingRecord.fetchAll(
                db,
                sql: HotStatements.lapsedHolds,
                arguments: [Millis.from(now), limit]
            ).map { try $0.domain() }
        }
    }

    func client(_ id: ClientID) async throws -> Client? {
        try await self.access { db in try ClientRecord.fetchOne(db, key: id.rawValue)?.domain() }
    }

    func client(email: EmailAddress) async throws -> Client? {
        try await self.access { db in
            try ClientRecord.filter(Column("email_normalized") == email.normalized).fetchOne(db)?.domain()
        }
    }

    func services() async throws -> [Service] {
        try await self.access { db in
            try ServiceRecord.order(Column("position"), Column("id")).fetchAll(db).map { try $0.domain() }
        }
    }

    func staff() async throws -> [StaffMember] {
        try await self.access { db in try StaffRecord.order(Column("position"), Column("id")).fetchAll(db).map(\.member)
        }
    }

    func schedules() async throws -> [StaffSchedule] {
        try await self.access { db in
            try StaffRecord.order(Column("position"), Column("id")).fetchAll(db).map { try $0.schedule() }
        }
    }

    func rules() async throws -> BookingRules {
        try await self.access { db in
            guard let record = try SettingRecord.fetchOne(db, key: SettingRecord.rulesKey) else { return .standard }
            return try ColumnJSON.decode(BookingRules.self, from: record.valueJson)
        }
    }

    func history(of bookingID: BookingID) async throws -> [HistoryEntry] {
        try await self.access { db in
            try HistoryRecord.filter(Column("booking_id") == bookingID.rawValue).order(Column("id")).fetchAll(db).map {
                try $0.domain()
            }
        }
    }

    func pendingOutbox(topic: OutboxTopic?, at now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await self.access { db in
            var request = OutboxRecord.filter(
                Column("delivered_at") == nil && Column("available_at") <= Millis.from(now))
            if let topic { request = request.filter(Column("topic") == topic.rawValue) }
            return try request.order(Column("available_at"), Column("seq")).limit(limit).fetchAll(db).map {
                try $0.domain()
            }
        }
    }

    func outbox(of bookingID: BookingID) async throws -> [OutboxMessage] {
        try await self.access { db in
            try OutboxRecord.filter(Column("booking_id") == bookingID.rawValue).order(Column("seq"))
                .fetchAll(db).map { try $0.domain() }
        }
    }

    func idempotencyRecord(key: String) async throws -> IdempotencyRecord? {
        try await self.access { db in
            try IdempotencyKeyRecord.fetchOne(db, key: key).map {
                IdempotencyRecord(
                    key: $0.key, fingerprint: $0.fingerprint, bookingID: BookingID(rawValue: $0.bookingId),
                    createdAt: Millis.date($0.createdAt))
            }
        }
    }

    func booking(paymentIntentID: String) async throws -> Booking? {
        try await self.access { db in
            try BookingRecord.filter(Column("payment_intent_id") == paymentIntentID).fetchOne(db)?.domain()
        }
    }

    func bookingsAwaitingPaymentWithCheckout(limit: Int) async throws -> [Booking] {
        try await self.access { db in
            try BookingRecord.fetchAll(
                db,
                sql: HotStatements.awaitingCheckout, arguments: [limit]
            ).map { try $0.domain() }
        }
    }

    func setting(_ key: String) async throws -> String? {
        try await self.access { db in
            try SettingRecord.fetchOne(db, key: key).map { try ColumnJSON.decode(String.self, from: $0.valueJson) }
        }
    }

    func admin(email: EmailAddress) async throws -> AdminAccount? {
        try await self.access { db in
            try AdminRecord.filter(Column("email_normalized") == email.normalized).fetchOne(db)?.domain()
        }
    }

    func admin(_ id: AdminID) async throws -> AdminAccount? {
        try await self.access { db in try AdminRecord.fetchOne(db, key: id.rawValue)?.domain() }
    }

    func adminCount() async throws -> Int {
        try await self.access { db in try AdminRecord.fetchCount(db) }
    }

    func admins() async throws -> [AdminAccount] {
        try await self.access { db in
            try AdminRecord.order(Column("created_at"), Column("id")).fetchAll(db).map { try $0.domain() }
        }
    }

    func adminSession(tokenHash: String, at now: Date) async throws -> AdminSession? {
        try await self.access { db in
            try AdminSessionRecord.filter(Column("token_hash") == tokenHash && Column("expires_at") > Millis.from(now))
                .fetchOne(db).map {
                    AdminSession(
                        tokenHash: $0.tokenHash, adminID: AdminID(rawValue: $0.adminId),
                        expiresAt: Millis.date($0.expiresAt))
                }
        }
    }

    // MARK: Writes

    func saveSetting(_ key: String, value: String) async throws {
        // NB: settings hold JSON; a plain string is stored as a JSON string.
        let json = try ColumnJSON.encode(value)
        try await self.mutate { db in try SettingRecord(key: key, valueJson: json).save(db) }
    }

    func insert(_ admin: AdminAccount) async throws {
        let record = AdminRecord(admin)
        try await self.mutate { db in try record.insert(db) }
    }

    func insert(_ session: AdminSession) async throws {
        let record = AdminSessionRecord(
            tokenHash: session.tokenHash, adminId: session.adminID.rawValue, expiresAt: Millis.from(session.expiresAt))
        try await self.mutate { db in try record.insert(db) }
    }

    func deleteAdminSession(tokenHash: String) async throws {
        try await self.mutate { db in
            _ = try AdminSessionRecord.filter(Column("token_hash") == tokenHash).deleteAll(db)
        }
    }

    func deleteAdminSessions(expiredAt now: Date) async throws -> Int {
        guard self.writable else { throw StorageError.readOnly }
        return try WriterConnection.run(self.pool) { db in
            try AdminSessionRecord.filter(Column("expires_at") <= Millis.from(now)).deleteAll(db)
        }
    }

    func insert(_ booking: Booking) async throws {
        let record = try BookingRecord(booking)
        try await self.mutate { db in
            try HotStatements.execute(db, HotStatements.insertBooking, record.insertArguments)
        }
    }

    func update(_ booking: Booking) async throws {
        let record = try BookingRecord(booking)
        try await self.mutate { db in
            guard
                let placement = try Row.fetchOne(
                    db.cachedStatement(sql: HotStatements.bookingPlacement), arguments: [record.id])
            else {
                throw StorageError.corruptRow(table: "bookings", id: record.id)
            }
            let staffID: String = placement[0]
            let start: Int64 = placement[1]
            let end: Int64 = placement[2]
            if staffID == record.staffId, start == record.startAt, end == record.endAt {
                try HotStatements.execute(db, HotStatements.updateBookingInPlace, record.inPlaceArguments)
            } else {
                try HotStatements.execute(db, HotStatements.updateBooking, record.updateArguments)
            }
            guard db.changesCount == 1 else { throw StorageError.corruptRow(table: "bookings", id: record.id) }
        }
    }

    func insert(_ client: Client) async throws {
        let record = ClientRecord(client)
        try await self.mutate { db in try record.insert(db) }
    }

    func update(_ client: Client) async throws {
        let record = ClientRecord(client)
        try await self.mutate { db in try record.update(db) }
    }

    func append(_ entry: HistoryEntry) async throws {
        let record = HistoryRecord(entry)
        try await self.mutate { db in
            try HotStatements.execute(db, HotStatements.insertHistory, record.insertArguments)
        }
    }

    func enqueue(_ message: OutboxMessage) async throws {
        let record = try OutboxRecord(message)
        try await self.mutate { db in
            try HotStatements.execute(db, HotStatements.insertOutbox, record.insertArguments)
        }
    }

    func updateOutbox(_ message: OutboxMessage) async throws {
        let record = try OutboxRecord(message)
        try await self.mutate { db in
            try HotStatements.execute(
                db, "UPDATE outbox SET available_at = ?, attempts = ?, last_error = ?, delivered_at = ? WHERE id = ?",
                [record.availableAt, record.attempts, record.lastError, record.deliveredAt, record.id])
            guard db.changesCount == 1 else { throw StorageError.corruptRow(table: "outbox", id: record.id) }
        }
    }

    func recordProviderEvent(id: String, type: String, receivedAt: Date) async throws -> Bool {
        guard self.writable else { throw StorageError.readOnly }
        let record = ProviderEventRecord(id: id, type: type, receivedAt: Millis.from(receivedAt))
        return try WriterConnection.run(self.pool) { db in
            try HotStatements.execute(db, HotStatements.insertProviderEvent, record.insertArguments)
            return db.changesCount == 1
        }
    }

    func save(_ service: Service) async throws {
        try await self.mutate { db in
            let position =
                try ServiceRecord.fetchOne(db, key: service.id.rawValue)?.position
                ?? (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), -1) + 1 FROM services") ?? 0)
            try ServiceRecord(service, position: position).save(db)
        }
    }

    func save(_ staff: StaffMember, schedule: StaffSchedule) async throws {
        let json = try ColumnJSON.encode(schedule)
        try await self.mutate { db in
            let position =
                try StaffRecord.fetchOne(db, key: staff.id.rawValue)?.position
                ?? (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), -1) + 1 FROM staff") ?? 0)
            try StaffRecord(id: staff.id.rawValue, name: staff.name, scheduleJson: json, position: position).save(db)
        }
    }

    func save(_ rules: BookingRules) async throws {
        let json = try ColumnJSON.encode(rules)
        try await self.mutate { db in try SettingRecord(key: SettingRecord.rulesKey, valueJson: json).save(db) }
    }

    func remember(_ record: IdempotencyRecord) async throws {
        let row = IdempotencyKeyRecord(
            key: record.key, fingerprint: record.fingerprint, bookingId: record.bookingID.rawValue,
            createdAt: Millis.from(record.createdAt))
        try await self.mutate { db in try row.insert(db) }
    }
}

extension HotStatements {
    /// Busy times of some staff members: the bookings that occupy their slot and overlap an interval.
    /// NB: this predicate is the definition of "occupies its slot" (Booking.occupiesSlot) in SQL. The start is
    /// bounded from both sides (no booking is longer than Booking.maximumLength), so the index on (staff_id,
    /// start_at) reads only the bookings near the interval, never the whole history before it.
    static func busyTimes(staffCount: Int) -> String {
        """
        SELECT staff_id, start_at, end_at FROM bookings
        WHERE staff_id IN (\(databaseQuestionMarks(count: staffCount))) AND start_at > ? AND start_at < ?
          AND end_at > ?
          AND (state IN ('awaitingApproval', 'approved', 'completed', 'noShow')
               OR (state IN ('awaitingPayment', 'awaitingClientConfirmation') AND hold_until > ?))
          AND id IS NOT ?
        """
    }

    /// Holds whose deadline passed, unpaid, oldest deadline first.
    static let lapsedHolds = """
        SELECT * FROM bookings
        WHERE hold_until IS NOT NULL AND hold_until <= ?
          AND state IN ('awaitingPayment', 'awaitingClientConfirmation')
          AND payment_status NOT IN ('paid', 'notRequired')
        ORDER BY hold_until LIMIT ?
        """

    /// Unpaid bookings with a provider checkout, for reconciliation.
    /// NB: literal states, not bound parameters: only then can SQLite prove that this WHERE implies the partial
    /// index bookings_awaiting_checkout's, and read that index instead of every booking.
    static let awaitingCheckout = """
        SELECT * FROM bookings
        WHERE "state" IN ('awaitingPayment', 'awaitingClientConfirmation')
          AND "checkout_session_id" IS NOT NULL
        ORDER BY created_at LIMIT ?
        """

    /// The hot statements whose plans must use an index on `bookings` (tests read them with `queryPlan`).
    static var indexedReads: [(name: String, sql: String)] {
        [
            ("busy times", Self.busyTimes(staffCount: 2)), ("lapsed holds", Self.lapsedHolds),
            ("awaiting checkout", Self.awaitingCheckout), ("booking placement", Self.bookingPlacement),
            ("booking by token", "SELECT * FROM bookings WHERE access_token = ?"),
            ("booking by payment", "SELECT * FROM bookings WHERE payment_intent_id = ?"),
            ("bookings of a client", "SELECT * FROM bookings WHERE client_id = ? ORDER BY created_at, id"),
            ("client by email", "SELECT * FROM clients WHERE email_normalized = ?"),
            (
                "due outbox",
                "SELECT * FROM outbox WHERE delivered_at IS NULL AND available_at <= ? ORDER BY available_at, seq LIMIT ?"
            ),
        ]
    }
}

extension SQLiteBookingStore {
    /// SQLite's plan for `sql` (the detail column of `EXPLAIN QUERY PLAN`), for tests that check hot queries.
    func queryPlan(_ sql: String) async throws -> [String] {
        try await self.pool.read { db in
            let statement = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + sql)
            // The plan does not depend on the values: every parameter (these statements quote no "?") is NULL.
            let nulls = StatementArguments(Array(repeating: nil as String?, count: sql.filter { $0 == "?" }.count))
            return try Row.fetchAll(statement, arguments: nulls).map { row in row["detail"] as String }
        }
    }
}
