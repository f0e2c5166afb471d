import Foundation
import Logging
import PostgresNIO
import Synchronization
import Workflow

// The statements every booking, payment and email runs, prepared once per connection (parsed and planned once,
// then only bound and executed).

/// A statement prepared once per connection: its SQL, with `$n` parameters bound in order.
protocol HotStatement {
    static var name: String { get }
    static var sql: String { get }
}

/// postgres-nio's prepared statement for a `HotStatement`, with its bound values.
struct Prepared<Statement: HotStatement>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { Statement.name }
    static var sql: String { Statement.sql }

    var binds: PostgresBindings

    func makeBindings() -> PostgresBindings { self.binds }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

enum SelectBookingForUpdate: HotStatement {
    static let name = "rdv_booking_for_update"
    static let sql = "\(PostgresAccess.bookingSelect) WHERE id = $1 FOR UPDATE"
}

enum InsertBooking: HotStatement {
    static let name = "rdv_insert_booking"
    static let sql =
        "INSERT INTO bookings (\(Rows.bookingColumns.joined(separator: ", "))) VALUES "
        + "(\((1...Rows.bookingColumns.count).map { "$\($0)" }.joined(separator: ", ")))"
}

enum UpdateBooking: HotStatement {
    static let name = "rdv_update_booking"
    /// Columns a booking never changes after its insert: left out of the SET list.
    static let immutable: Set<String> = ["id", "access_token", "client_id", "origin", "created_at"]
    // NB: every column is bound, in `bookingColumns` order ($1 is the id).
    static let sql =
        "UPDATE bookings SET "
        + Rows.bookingColumns.enumerated().filter { !immutable.contains($0.element) }.map {
            "\($0.element) = $\($0.offset + 1)"
        }.joined(separator: ", ") + " WHERE id = $1 RETURNING 1"
}

enum InsertHistory: HotStatement {
    static let name = "rdv_insert_history"
    static let columns =
        "booking_id, at, actor, from_state, to_state, event, reason, provider_event_id, reason_shown_to_client"
    /// The columns' types, in `columns` order (the batched commit binds each column as an array of its type).
    static let types: [ColumnType] = [.text, .bigint, .text, .text, .text, .text, .text, .text, .boolean]
    static let sql = "INSERT INTO booking_history (\(columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
}

enum InsertOutbox: HotStatement {
    static let name = "rdv_insert_outbox"
    static let columns =
        "id, booking_id, topic, effect_json, created_at, available_at, attempts, last_error, delivered_at"
    /// The columns' types, in `columns` order (the batched commit binds each column as an array of its type).
    static let types: [ColumnType] = [.text, .text, .text, .text, .bigint, .bigint, .bigint, .text, .bigint]
    static let sql = "INSERT INTO outbox (\(columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
}

enum InsertProviderEvent: HotStatement {
    static let name = "rdv_insert_provider_event"
    static let sql = """
        INSERT INTO provider_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING 1
        """
}

/// The start of every write transaction (READ COMMITTED, with explicit locks: see `PostgresAccess`).
enum BeginTransaction: HotStatement {
    static let name = "rdv_begin"
    static let sql = "BEGIN ISOLATION LEVEL READ COMMITTED"
}

enum CommitTransaction: HotStatement {
    static let name = "rdv_commit"
    static let sql = "COMMIT"
}

extension PostgresConnection {
    /// Runs a hot statement that answers no rows (a transaction's BEGIN and COMMIT).
    func run<Statement: HotStatement>(_ statement: Statement.Type, logger: Logger) async throws {
        for try await _ in try await self.execute(Prepared<Statement>(binds: PostgresBindings()), logger: logger) {}
    }
}

/// A webhook's first step in one round trip: the event recorded, and when it is new, its booking read and locked.
enum RecordProviderEventLockingBooking: HotStatement {
    static let name = "rdv_record_event_lock_booking"
    static let sql = """
        WITH recorded AS (\(InsertProviderEvent.sql)),
        target AS (\(PostgresAccess.bookingSelect) WHERE id = $4 AND EXISTS (SELECT 1 FROM recorded) FOR UPDATE)
        SELECT EXISTS (SELECT 1 FROM recorded) AS recorded, target.* FROM (VALUES (1)) AS one LEFT JOIN target ON true
        """
}

enum LockStaff: HotStatement {
    static let name = "rdv_lock_staff"
    static let sql = "SELECT 1 FROM staff WHERE id = ANY($1) ORDER BY id FOR UPDATE"
}

enum BusyTimes: HotStatement {
    static let name = "rdv_busy_times"
    // NB: the same predicate as SQLite's (Booking.occupiesSlot in SQL); the start is bounded from both sides so
    // the index on (staff_id, start_at) reads only the bookings near the interval.
    static let sql = """
        SELECT staff_id, start_at, end_at FROM bookings
        WHERE staff_id = ANY($1) AND start_at > $2 AND start_at < $3 AND end_at > $4
          AND (state IN (\(PostgresSchema.settledStates))
               OR (state IN (\(PostgresSchema.holdingStates)) AND hold_until > $5))
          AND id IS DISTINCT FROM $6
        """
}

enum LapsedHolds: HotStatement {
    static let name = "rdv_lapsed_holds"
    static let sql = """
        \(PostgresAccess.bookingSelect)
        WHERE hold_until IS NOT NULL AND hold_until <= $1 AND state IN (\(PostgresSchema.holdingStates))
          AND payment_status NOT IN ('paid', 'notRequired')
        ORDER BY hold_until LIMIT $2 FOR UPDATE SKIP LOCKED
        """
}

/// A transition's writes in one statement: the booking's update (or, for a new booking, its insert), its history
/// line and one to three outbox rows (one round trip instead of several; the shape of a payment, a decision, an
/// expiry, a new booking).
protocol TransitionWrites: HotStatement {}

extension TransitionWrites {
    /// The statement for `outboxRows` outbox rows, updating the booking or `inserting` it.
    /// NB: each conformer stores it (`static let sql`): postgres-nio reads a statement's text on every execution.
    /// The history line and outbox rows of a booking inserted by the same statement pass their foreign keys: those
    /// are checked at the statement's end.
    static func transitionSQL(outboxRows: Int, inserting: Bool = false) -> String {
        var next = Rows.bookingColumns.count
        func parameters(_ count: Int) -> String {
            defer { next += count }
            return (next + 1...next + count).map { "$\($0)" }.joined(separator: ", ")
        }
        var parts = [inserting ? "u AS (\(InsertBooking.sql) RETURNING 1)" : "u AS (\(UpdateBooking.sql))"]
        parts.append(
            "h AS (INSERT INTO booking_history (\(InsertHistory.columns)) VALUES (\(parameters(9))) RETURNING 1)")
        // NB: the outbox rows in one INSERT, in the order queued: separate data-modifying CTEs run in no set order,
        // and a row's `seq` (its delivery order) is given as it is inserted.
        let rows = (0..<outboxRows).map { _ in "(\(parameters(9)))" }
        parts.append(
            "o AS (INSERT INTO outbox (\(InsertOutbox.columns)) VALUES \(rows.joined(separator: ", ")) RETURNING 1)")
        return "WITH \(parts.joined(separator: ", ")) SELECT (SELECT count(*) FROM u) AS updated"
    }
}

enum TransitionWithOneOutboxRow: TransitionWrites {
    static let name = "rdv_transition_1"
    static let sql = transitionSQL(outboxRows: 1)
}

enum TransitionWithTwoOutboxRows: TransitionWrites {
    static let name = "rdv_transition_2"
    static let sql = transitionSQL(outboxRows: 2)
}

enum TransitionWithThreeOutboxRows: TransitionWrites {
    static let name = "rdv_transition_3"
    static let sql = transitionSQL(outboxRows: 3)
}

enum CreationWithOneOutboxRow: TransitionWrites {
    static let name = "rdv_creation_1"
    static let sql = transitionSQL(outboxRows: 1, inserting: true)
}

enum CreationWithTwoOutboxRows: TransitionWrites {
    static let name = "rdv_creation_2"
    static let sql = transitionSQL(outboxRows: 2, inserting: true)
}

enum CreationWithThreeOutboxRows: TransitionWrites {
    static let name = "rdv_creation_3"
    static let sql = transitionSQL(outboxRows: 3, inserting: true)
}

extension PostgresAccess {
    /// Runs a hot statement (prepared on this connection the first time); returns its rows. Buffered writes go
    /// first.
    func run<Statement: HotStatement>(_ statement: Statement.Type, _ binds: PostgresBindings) async throws
        -> [PostgresRandomAccessRow]
    {
        if let optimistic = self.optimistic { try optimistic.refuse() }
        try await self.flush()
        return try await self.execute(statement, binds)
    }

    /// Runs `plain`, or its twin `locking` (the same read `FOR UPDATE`) in a write transaction.
    func run<Plain: HotStatement, Locking: HotStatement>(
        _ plain: Plain.Type, locking: Locking.Type, _ binds: PostgresBindings
    ) async throws -> [PostgresRandomAccessRow] {
        self.writable ? try await self.run(locking, binds) : try await self.run(plain, binds)
    }

    /// Runs a hot statement as it is, buffered writes or not.
    func execute<Statement: HotStatement>(_ statement: Statement.Type, _ binds: PostgresBindings)
        async throws -> [PostgresRandomAccessRow]
    {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await self.leased().execute(Prepared<Statement>(binds: binds), logger: self.logger) {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }
}

/// The blind writes of a transaction not yet sent: a transition's update (or a new booking's insert), history line
/// and outbox rows, sent together before the transaction's next statement or its commit.
final class BufferedWrites: Sendable {
    /// A write's values, in its statement's order.
    typealias Values = [ColumnValue]

    enum Write: Sendable {
        case insert(bookingID: String, Values)
        case update(bookingID: String, Values)
        case history(Values)
        case outbox(Values)
    }

    private let writes = Mutex<[Write]>([])

    func add(_ write: Write) { self.writes.withLock { $0.append(write) } }

    func take() -> [Write] {
        self.writes.withLock { writes in
            defer { writes.removeAll() }
            return writes
        }
    }
}

extension PostgresAccess {
    /// Buffers `write` until the transaction's next statement or its commit (see `flush`); an access without a buffer
    /// sends it at once, so no write is ever dropped.
    func buffer(_ write: BufferedWrites.Write) async throws {
        guard let buffered = self.buffered else { return try await self.sendOneByOne([write]) }
        buffered.add(write)
    }

    /// Sends the buffered writes: one statement for a transition's usual shape (an update or an insert, a history
    /// line, one to three outbox rows), one statement each otherwise.
    func flush() async throws {
        guard let buffered = self.buffered?.take(), !buffered.isEmpty else { return }
        var update: (id: String, values: BufferedWrites.Values, inserting: Bool)?
        var rest: [BufferedWrites.Values] = []
        var histories = 0
        var outboxRows = 0
        for write in buffered {
            switch write {
            case .update(let id, let values) where update == nil: update = (id, values, false)
            case .insert(let id, let values) where update == nil: update = (id, values, true)
            case .update, .insert: return try await self.sendOneByOne(buffered)
            case .history(let values):
                histories += 1
                rest.insert(values, at: histories - 1)
            case .outbox(let values):
                outboxRows += 1
                rest.append(values)
            }
        }
        guard let update, histories == 1, (1...3).contains(outboxRows) else {
            return try await self.sendOneByOne(buffered)
        }
        var binds = PostgresBindings(capacity: Rows.bookingColumns.count + 9 * (1 + outboxRows))
        binds.append(update.values)
        for values in rest { binds.append(values) }
        let rows: [PostgresRandomAccessRow] =
            switch (outboxRows, update.inserting) {
            case (1, false): try await self.execute(TransitionWithOneOutboxRow.self, binds)
            case (2, false): try await self.execute(TransitionWithTwoOutboxRows.self, binds)
            case (_, false): try await self.execute(TransitionWithThreeOutboxRows.self, binds)
            case (1, true): try await self.execute(CreationWithOneOutboxRow.self, binds)
            case (2, true): try await self.execute(CreationWithTwoOutboxRows.self, binds)
            case (_, true): try await self.execute(CreationWithThreeOutboxRows.self, binds)
            }
        guard try rows.first?.get("updated", as: Int64.self) == 1 else {
            throw StoreError.corruptRow(table: "bookings", id: update.id)
        }
    }

    private func sendOneByOne(_ writes: [BufferedWrites.Write]) async throws {
        for write in writes {
            var binds = PostgresBindings()
            switch write {
            case .insert(_, let values):
                binds.append(values)
                _ = try await self.execute(InsertBooking.self, binds)
            case .update(let id, let values):
                binds.append(values)
                guard try await self.execute(UpdateBooking.self, binds).count == 1 else {
                    throw StoreError.corruptRow(table: "bookings", id: id)
                }
            case .history(let values):
                binds.append(values)
                _ = try await self.execute(InsertHistory.self, binds)
            case .outbox(let values):
                binds.append(values)
                _ = try await self.execute(InsertOutbox.self, binds)
            }
        }
    }
}
