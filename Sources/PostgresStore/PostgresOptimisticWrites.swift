import Booking
import Foundation
import PostgresNIO
import Synchronization
import Workflow

// The optimistic write (`BookingStore.writeOptimistically`): a payment's transaction in two round trips instead of
// four. The body's reads run on their own, without a transaction or a lock, and remember what they saw (the event
// id not yet recorded, each booking's row version: PostgreSQL's `xmin`, which every update of a row changes). Its
// writes are buffered, then sent as one statement — implicitly one transaction — that first locks each booking
// read and checks that it is still the version read, records the event id, and writes the booking, its history
// lines and its outbox rows only if both held. If either did not (another transaction changed the booking, or
// recorded the same event, in between), nothing is written and the body runs again, seeing the newer data.
// Anything else the body asks for (busy times, a lock, an insert) ends the optimistic attempt: the body then runs
// as an ordinary locking `write`.

/// What an optimistic attempt read, and whether it asked for more than the optimistic path offers.
final class OptimisticReads: Sendable {
    /// A booking read by id: its row version, or nil when there was no such booking.
    struct Guard: Sendable {
        var bookingID: String
        var version: String?
    }

    /// A provider event found not yet recorded: recorded by the commit, only if it is still new then.
    struct Event: Sendable {
        var id: String
        var type: String
        var receivedAt: Int64
    }

    private struct State: Sendable {
        var guards: [Guard] = []
        var event: Event?
        var needsLocks = false
    }

    private let state = Mutex(State())

    func read(_ bookingID: String, version: String?) {
        self.state.withLock { state in
            guard !state.guards.contains(where: { $0.bookingID == bookingID }) else { return }
            state.guards.append(Guard(bookingID: bookingID, version: version))
        }
    }

    func record(_ event: Event) throws {
        try self.state.withLock { state in
            // NB: a second event in one body is past what the commit statement records: take the locking path.
            guard state.event == nil else {
                state.needsLocks = true
                throw NeedsLocks()
            }
            state.event = event
        }
    }

    /// Ends the optimistic attempt: the body asked for something only a locking transaction gives.
    func refuse() throws -> Never {
        self.state.withLock { $0.needsLocks = true }
        throw NeedsLocks()
    }

    /// Whether the body asked for more than the optimistic path offers (even if it caught the error).
    var needsLocks: Bool { self.state.withLock { $0.needsLocks } }

    var guards: [Guard] { self.state.withLock { $0.guards } }

    var event: Event? { self.state.withLock { $0.event } }
}

/// Thrown inside an optimistic attempt when the body needs a locking transaction.
struct NeedsLocks: Error {}

extension PostgresAccess {
    /// In an optimistic attempt, reads a booking by id without a lock, remembering its row version.
    func optimisticBooking(_ id: BookingID, reads: OptimisticReads) async throws -> Booking? {
        let row = try await self.execute(SelectBookingWithVersion.self, Self.binds(id.rawValue)).first
        reads.read(id.rawValue, version: try row?.get("row_version", as: String.self))
        return try row.map { try Rows.booking($0, json: self.json) }
    }

    /// In an optimistic attempt, whether the event is new and, if so, the booking it names, in one round trip.
    func optimisticRecord(
        id: String, type: String, receivedAt: Date, naming bookingID: BookingID?, reads: OptimisticReads
    ) async throws -> RecordedProviderEvent {
        var binds = Self.binds(id)
        binds.append(bookingID?.rawValue)
        guard let row = try await self.execute(SelectEventAndBookingWithVersion.self, binds).first else {
            throw StoreError.corruptRow(table: "provider_events", id: id)
        }
        guard try !row.get("recorded_before", as: Bool.self) else { return .duplicate }
        try reads.record(OptimisticReads.Event(id: id, type: type, receivedAt: Millis.from(receivedAt)))
        guard let bookingID else { return .recorded(booking: nil) }
        let version = try row.get("row_version", as: String?.self)
        reads.read(bookingID.rawValue, version: version)
        return .recorded(booking: version == nil ? nil : try Rows.booking(row, json: self.json))
    }

    /// Sends the attempt's writes in one statement, guarded by what it read; whether they were written (false: a
    /// booking changed, or the event was recorded, since the body read them — nothing was written).
    func commitOptimistically(_ reads: OptimisticReads) async throws -> Bool {
        let writes = OptimisticCommit.coalesced(self.buffered?.take() ?? [])
        let guards = reads.guards
        let event = reads.event
        let shape = OptimisticCommit.Shape(
            event: event != nil, present: guards.filter { $0.version != nil }.count,
            absent: guards.filter { $0.version == nil }.count, updates: writes.updates.count,
            histories: writes.histories.count, outboxRows: writes.outbox.count)
        // Nothing read that could have changed and nothing to write (a duplicate delivery, say): done.
        guard shape.event || shape.updates + shape.histories + shape.outboxRows > 0 else { return true }

        var binds = PostgresBindings(capacity: shape.parameterCount)
        for update in writes.updates { try update.values(&binds) }
        for values in writes.histories { try values(&binds) }
        for values in writes.outbox { try values(&binds) }
        if let event {
            binds.append(event.id)
            binds.append(event.type)
            binds.append(event.receivedAt)
        }
        for item in guards where item.version != nil {
            binds.append(item.bookingID)
            binds.append(item.version)
        }
        for item in guards where item.version == nil { binds.append(item.bookingID) }

        // The usual shapes are prepared once per connection; any other is sent as it is.
        let rows: [PostgresRandomAccessRow] =
            switch shape {
            case OptimisticPayment1.shape: try await self.execute(OptimisticPayment1.self, binds)
            case OptimisticPayment2.shape: try await self.execute(OptimisticPayment2.self, binds)
            case OptimisticPayment3.shape: try await self.execute(OptimisticPayment3.self, binds)
            case OptimisticEventOnly.shape: try await self.execute(OptimisticEventOnly.self, binds)
            default: try await self.unprepared(OptimisticCommit.sql(shape), binds)
            }
        guard let row = rows.first, try row.get("applied", as: Bool.self) else { return false }
        guard try row.get("updated", as: Int64.self) == Int64(shape.updates) else {
            throw StoreError.corruptRow(table: "bookings", id: writes.updates.first?.bookingID ?? "")
        }
        return true
    }
}

extension PostgresAccess {
    /// Runs a statement as it is (parsed and planned for this one run).
    fileprivate func unprepared(_ sql: String, _ binds: PostgresBindings) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await self.connection.query(
            PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger)
        {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }
}

/// The guarded commit statement, by shape.
enum OptimisticCommit {
    /// How many of each part a commit has; one statement text per shape.
    struct Shape: Hashable {
        var event: Bool
        /// Bookings read that existed (each checked against its version).
        var present: Int
        /// Bookings read that did not exist (each checked still absent).
        var absent: Int
        var updates: Int
        var histories: Int
        var outboxRows: Int

        /// A payment's shape: its event, its booking read, and (when it moves) the booking, one history line and
        /// its outbox rows.
        static func payment(updates: Int = 1, outboxRows: Int) -> Shape {
            Shape(event: true, present: 1, absent: 0, updates: updates, histories: updates, outboxRows: outboxRows)
        }

        var parameterCount: Int {
            self.updates * Rows.bookingColumns.count + 9 * (self.histories + self.outboxRows) + (self.event ? 3 : 0)
                + 2 * self.present + self.absent
        }
    }

    /// The buffered writes in commit order, a booking updated twice by one body (expired, then paid late) written
    /// once, as it was last.
    static func coalesced(_ writes: [BufferedWrites.Write]) -> (
        updates: [(bookingID: String, values: BufferedWrites.Values)], histories: [BufferedWrites.Values],
        outbox: [BufferedWrites.Values]
    ) {
        var updates: [(bookingID: String, values: BufferedWrites.Values)] = []
        var histories: [BufferedWrites.Values] = []
        var outbox: [BufferedWrites.Values] = []
        for write in writes {
            switch write {
            case .update(let id, let values):
                if let index = updates.firstIndex(where: { $0.bookingID == id }) {
                    updates[index].values = values
                } else {
                    updates.append((id, values))
                }
            case .history(let values): histories.append(values)
            case .outbox(let values): outbox.append(values)
            }
        }
        return (updates, histories, outbox)
    }

    /// The statement: parameters in the order `commitOptimistically` binds them (updates, history lines, outbox
    /// rows, the event, present guards as id and version, absent guards as id).
    ///
    /// NB: every part of one statement sees one snapshot, so the checks cannot rely on it: `locked` takes each
    /// booking's row lock, and under READ COMMITTED a row changed since the snapshot is rechecked at its newest
    /// version, whose `xmin` then differs. The writes are conditioned on `go`, which needs every check to hold and
    /// the event (when there is one) to be newly recorded here, so the statement writes all or nothing.
    static func sql(_ shape: Shape) -> String {
        var next = 0
        func parameters(_ count: Int) -> [String] {
            defer { next += count }
            return (next + 1...next + count).map { "$\($0)" }
        }
        var parts: [String] = []
        var writes: [String] = []
        var updated: [String] = []
        let mutable = Rows.bookingColumns.filter { !UpdateBooking.immutable.contains($0) }
        for index in 0..<shape.updates {
            let values = parameters(Rows.bookingColumns.count)
            let assignments = zip(Rows.bookingColumns, values).filter { mutable.contains($0.0) }.map { "\($0) = \($1)" }
            writes.append(
                "u\(index) AS (UPDATE bookings SET \(assignments.joined(separator: ", ")) "
                    + "WHERE id = \(values[0]) AND (SELECT go FROM go) RETURNING 1)")
            updated.append("(SELECT count(*) FROM u\(index))")
        }
        // NB: history lines and outbox rows each in one INSERT, in the order written: separate data-modifying
        // CTEs run in no set order, and a row's identity (its place in the history, its delivery order) is given
        // as it is inserted.
        func rows(_ count: Int, types: [String]) -> String {
            (0..<count).map { _ in
                "(\(zip(parameters(types.count), types).map { "\($0)::\($1)" }.joined(separator: ", ")))"
            }.joined(separator: ", ")
        }
        if shape.histories > 0 {
            writes.append(
                "h AS (INSERT INTO booking_history (\(InsertHistory.columns)) SELECT * FROM (VALUES "
                    + "\(rows(shape.histories, types: InsertHistory.types))) AS v WHERE (SELECT go FROM go) RETURNING 1)"
            )
        }
        if shape.outboxRows > 0 {
            writes.append(
                "o AS (INSERT INTO outbox (\(InsertOutbox.columns)) SELECT * FROM (VALUES "
                    + "\(rows(shape.outboxRows, types: InsertOutbox.types))) AS v WHERE (SELECT go FROM go) RETURNING 1)"
            )
        }
        let event = shape.event ? parameters(3) : []
        var checks = ["true"]
        if shape.present > 0 {
            let pairs = (0..<shape.present).map { _ in parameters(2) }
            let matches = pairs.map { "(id = \($0[0]) AND xmin::text = \($0[1]))" }.joined(separator: " OR ")
            parts.append(
                "locked AS (SELECT id FROM bookings WHERE \(matches) ORDER BY id FOR UPDATE)")
            checks.append("(SELECT count(*) FROM locked) = \(shape.present)")
        }
        if shape.absent > 0 {
            checks.append(
                "NOT EXISTS (SELECT 1 FROM bookings WHERE id IN (\(parameters(shape.absent).joined(separator: ", "))))")
        }
        parts.append("ok AS (SELECT \(checks.joined(separator: " AND ")) AS ok)")
        if shape.event {
            parts.append(
                "recorded AS (INSERT INTO provider_events (id, type, received_at) "
                    + "SELECT \(event.joined(separator: ", ")) WHERE (SELECT ok FROM ok) "
                    + "ON CONFLICT (id) DO NOTHING RETURNING 1)")
            parts.append("go AS (SELECT EXISTS (SELECT 1 FROM recorded) AS go)")
        } else {
            parts.append("go AS (SELECT ok AS go FROM ok)")
        }
        parts += writes
        let updates = updated.isEmpty ? "0" : updated.joined(separator: " + ")
        return "WITH \(parts.joined(separator: ", ")) SELECT (SELECT go FROM go) AS applied, \(updates) AS updated"
    }
}

/// An optimistic commit's statement for one shape, prepared once per connection.
/// NB: each conformer stores its `sql` (`static let`): postgres-nio reads it on every execution.
protocol OptimisticShape: HotStatement {
    static var shape: OptimisticCommit.Shape { get }
}

/// A payment: the event recorded, its booking checked, updated, one history line and one outbox row.
enum OptimisticPayment1: OptimisticShape {
    static let name = "rdv_optimistic_payment_1"
    static let shape = OptimisticCommit.Shape.payment(outboxRows: 1)
    static let sql = OptimisticCommit.sql(Self.shape)
}

/// A payment with two outbox rows (the client's email and the admins').
enum OptimisticPayment2: OptimisticShape {
    static let name = "rdv_optimistic_payment_2"
    static let shape = OptimisticCommit.Shape.payment(outboxRows: 2)
    static let sql = OptimisticCommit.sql(Self.shape)
}

/// A payment with three outbox rows.
enum OptimisticPayment3: OptimisticShape {
    static let name = "rdv_optimistic_payment_3"
    static let shape = OptimisticCommit.Shape.payment(outboxRows: 3)
    static let sql = OptimisticCommit.sql(Self.shape)
}

/// An event recorded and nothing changed (an event not acted on, a fact already counted).
enum OptimisticEventOnly: OptimisticShape {
    static let name = "rdv_optimistic_event_only"
    static let shape = OptimisticCommit.Shape.payment(updates: 0, outboxRows: 0)
    static let sql = OptimisticCommit.sql(Self.shape)
}

/// A booking by id with its row version, without a lock.
enum SelectBookingWithVersion: HotStatement {
    static let name = "rdv_booking_with_version"
    static let sql =
        "SELECT xmin::text AS row_version, \(Rows.bookingColumns.joined(separator: ", ")) "
        + "FROM bookings WHERE id = $1"
}

/// Whether an event was recorded before, and the booking it names with its row version, without a lock.
enum SelectEventAndBookingWithVersion: HotStatement {
    static let name = "rdv_event_and_booking_with_version"
    static let sql = """
        SELECT EXISTS (SELECT 1 FROM provider_events WHERE id = $1) AS recorded_before, b.xmin::text AS row_version, \
        \(Rows.bookingColumns.map { "b.\($0)" }.joined(separator: ", "))
        FROM (VALUES (1)) AS one LEFT JOIN bookings b ON b.id = $2
        """
}
