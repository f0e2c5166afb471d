import Booking
import Foundation
import PostgresNIO
import Synchronization
import Workflow

// The optimistic write (`BookingStore.writeOptimistically`): a payment's transaction as two statements, each shared
// with the other payments of the moment, instead of four statements of its own. The body's reads run on their own,
// without a transaction or a lock, and remember what they saw (the event id not yet recorded, each booking's row
// version: PostgreSQL's `xmin`, which every update of a row changes). Its writes are buffered, then committed in one
// statement — with those of other payments committed at the same time (see `PostgresCommitBatches.swift`) — that
// first locks each booking read and checks that it is still the version read, records the event id, and writes the
// booking, its history lines and its outbox rows only if both held. If either did not (another transaction changed
// the booking, or recorded the same event, in between), nothing of that attempt is written and the body runs again,
// seeing the newer data.
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
    /// Sends a read with those of other attempts (see `BatchedReads`).
    let fetch: @Sendable (KeyedRead) async throws -> PostgresRandomAccessRow

    init(fetch: @escaping @Sendable (KeyedRead) async throws -> PostgresRandomAccessRow) {
        self.fetch = fetch
    }

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

/// One read of an optimistic attempt: whether an event was recorded before, and a booking with its row version.
struct KeyedRead: Sendable {
    var eventID: String?
    var bookingID: String?
}

extension PostgresAccess {
    /// In an optimistic attempt, reads a booking by id without a lock, remembering its row version.
    func optimisticBooking(_ id: BookingID, reads: OptimisticReads) async throws -> Booking? {
        let row = try await reads.fetch(KeyedRead(eventID: nil, bookingID: id.rawValue))
        let version = try row.get("row_version", as: String?.self)
        reads.read(id.rawValue, version: version)
        return version == nil ? nil : try Rows.booking(row, json: self.json)
    }

    /// In an optimistic attempt, whether the event is new and, if so, the booking it names, in one read.
    func optimisticRecord(
        id: String, type: String, receivedAt: Date, naming bookingID: BookingID?, reads: OptimisticReads
    ) async throws -> RecordedProviderEvent {
        let row = try await reads.fetch(KeyedRead(eventID: id, bookingID: bookingID?.rawValue))
        guard try !row.get("recorded_before", as: Bool.self) else { return .duplicate }
        try reads.record(OptimisticReads.Event(id: id, type: type, receivedAt: Millis.from(receivedAt)))
        guard let bookingID else { return .recorded(booking: nil) }
        let version = try row.get("row_version", as: String?.self)
        reads.read(bookingID.rawValue, version: version)
        return .recorded(booking: version == nil ? nil : try Rows.booking(row, json: self.json))
    }

    /// Reads sent together: one row per read, in order.
    func read(_ batch: [KeyedRead]) async throws -> [PostgresRandomAccessRow] {
        var binds = PostgresBindings(capacity: 2)
        binds.append(ColumnArray(type: .text, values: batch.map { .text($0.eventID) }))
        binds.append(ColumnArray(type: .text, values: batch.map { .text($0.bookingID) }))
        let rows = try await self.execute(BatchedReads.self, binds)
        guard rows.count == batch.count else { throw StoreError.corruptRow(table: "bookings", id: "batched read") }
        return rows
    }
}

/// An optimistic attempt's writes with what they are guarded by, ready to be committed (see `BatchedCommit`).
struct OptimisticCommit: Sendable {
    var event: OptimisticReads.Event?
    var guards: [OptimisticReads.Guard]
    /// Each booking updated, as it was last (a booking updated twice by one body, expired then paid late, is
    /// written once).
    var updates: [(bookingID: String, values: [ColumnValue])] = []
    var histories: [[ColumnValue]] = []
    var outbox: [[ColumnValue]] = []

    /// Throws `NeedsLocks` for a write the batched commit does not make (an insert: which `insert` refuses first).
    init(reads: OptimisticReads, writes: [BufferedWrites.Write]) throws {
        self.event = reads.event
        self.guards = reads.guards
        for write in writes {
            switch write {
            case .insert: throw NeedsLocks()
            case .update(let id, let values):
                if let index = self.updates.firstIndex(where: { $0.bookingID == id }) {
                    self.updates[index].values = values
                } else {
                    self.updates.append((id, values))
                }
            case .history(let values): self.histories.append(values)
            case .outbox(let values): self.outbox.append(values)
            }
        }
    }

    /// Nothing read that could have changed and nothing to write (a duplicate delivery, say).
    var isEmpty: Bool {
        self.event == nil && self.updates.isEmpty && self.histories.isEmpty && self.outbox.isEmpty
    }

    /// What two commits of one batch must not share: the bookings they guard or write, and their event.
    var keys: Set<String> {
        var keys = Set(self.guards.map { "booking \($0.bookingID)" } + self.updates.map { "booking \($0.bookingID)" })
        if let event = self.event { keys.insert("event \(event.id)") }
        return keys
    }
}

/// Reads of optimistic attempts, without a lock: per read (`$1` an event id or NULL, `$2` a booking id or NULL),
/// whether the event was recorded before, and the booking with its row version.
///
/// NB: one plan serves every execution (see the `batch-keys` migration), so each lookup is a LATERAL subquery with
/// `LIMIT 1`: a lookup by primary key for each key, whatever the tables' sizes were when the plan was made (a plain
/// join or `EXISTS` may be planned as a scan of the whole table while it is small, then kept as it grows).
enum BatchedReads: HotStatement {
    static let name = "rdv_batched_reads"
    static let sql = """
        SELECT r.n, e.found IS NOT NULL AS recorded_before, b.xmin::text AS row_version, \
        \(Rows.bookingColumns.map { "b.\($0)" }.joined(separator: ", "))
        FROM batch_keys($1::text[], $2::text[]) AS r
        LEFT JOIN LATERAL (SELECT true AS found FROM provider_events WHERE id = r.event_id LIMIT 1) e ON true
        LEFT JOIN LATERAL (SELECT xmin, \(Rows.bookingColumns.joined(separator: ", ")) FROM bookings \
        WHERE id = r.booking_id LIMIT 1) b ON true
        ORDER BY r.n
        """
}
