import Foundation
import PostgresNIO
import Synchronization
import Workflow

// Group commit for optimistic writes (payments), and batched reads for them. The commits that arrive while others
// are being sent wait, then go together as ONE statement — one transaction, one flush of the write-ahead log, one
// run of the executor and of the schema's checks — whose rows are bound as per-column arrays. Each commit in it
// keeps its own guards: it is written whole, or (a booking it read changed, its event was recorded meanwhile) not at
// all, whatever the others do. As SQLite's group commit does for one process, this shares the database's fixed cost
// per transaction among all the payments arriving at once, and adds no wait when they come one at a time: a commit
// goes at once when a lane is free. The optimistic reads go the same way (`BatchedReads`), so an attempt holds no
// connection while it waits.

/// Work items waiting to be sent in batches, and the lanes sending them: an item goes at once when a lane is free;
/// those arriving while every lane is busy wait and go together in the next batch. Used for optimistic reads and
/// commits.
final class BatchQueue<Item: Sendable, Answer: Sendable>: Sendable {
    /// Sends a batch: one result per item, in order.
    typealias Send = @Sendable ([Item]) async -> [Result<Answer, any Error>]

    private struct Waiting: Sendable {
        var item: Item
        var keys: Set<String>
        var continuation: CheckedContinuation<Answer, any Error>
    }

    private struct State: Sendable {
        var waiting: [Waiting] = []
        var busyLanes = 0
        var totals = Totals()
    }

    /// How many batches were sent, carrying how many items in all.
    struct Totals: Sendable, Equatable {
        var batches = 0
        var items = 0
    }

    /// How many batches may be sent at once (each on a connection of its own).
    let lanes: Int
    /// The most items one batch carries.
    let largest: Int
    /// What two items of one batch must not share (within one statement neither would see the other's write: the
    /// second waits for the next batch).
    private let keys: @Sendable (Item) -> Set<String>
    private let state = Mutex(State())

    init(lanes: Int, largest: Int = 64, keys: @escaping @Sendable (Item) -> Set<String> = { _ in [] }) {
        self.lanes = max(1, lanes)
        self.largest = max(1, largest)
        self.keys = keys
    }

    var totals: Totals { self.state.withLock { $0.totals } }

    /// How many items wait for a lane.
    var waitingCount: Int { self.state.withLock { $0.waiting.count } }

    /// `item`'s answer, once its batch is sent.
    func submit(_ item: Item, send: @escaping Send) async throws -> Answer {
        let keys = self.keys(item)
        return try await withCheckedThrowingContinuation { continuation in
            let leads = self.state.withLock { state in
                state.waiting.append(Waiting(item: item, keys: keys, continuation: continuation))
                guard state.busyLanes < self.lanes else { return false }
                state.busyLanes += 1
                return true
            }
            if leads { Task { await self.drain(send) } }
        }
    }

    /// A lane: sends batches until nothing waits.
    private func drain(_ send: Send) async {
        while true {
            let batch = self.state.withLock { state in
                let batch = Self.take(from: &state.waiting, largest: self.largest)
                if batch.isEmpty {
                    state.busyLanes -= 1
                } else {
                    state.totals.batches += 1
                    state.totals.items += batch.count
                }
                return batch
            }
            guard !batch.isEmpty else { return }
            let results = await send(batch.map(\.item))
            for (index, waiting) in batch.enumerated() {
                waiting.continuation.resume(
                    with: index < results.count ? results[index] : .failure(StoreUnavailable(reason: "batch cut short"))
                )
            }
        }
    }

    /// The oldest waiting items, up to `largest`, no two sharing a key.
    private static func take(from waiting: inout [Waiting], largest: Int) -> [Waiting] {
        var taken: [Waiting] = []
        var kept: [Waiting] = []
        var keys: Set<String> = []
        for item in waiting {
            if taken.count < largest && keys.isDisjoint(with: item.keys) {
                keys.formUnion(item.keys)
                taken.append(item)
            } else {
                kept.append(item)
            }
        }
        waiting = kept
        return taken
    }
}

extension PostgresAccess {
    /// Sends optimistic commits as one statement; whether each was written (false: a booking it read changed, or
    /// its event was recorded, since its body read them — nothing of it was written).
    func commitOptimistically(_ commits: [OptimisticCommit]) async throws -> [Bool] {
        let rows = try await self.execute(BatchedCommit.self, BatchedCommit.binds(commits))
        var applied = Array(repeating: false, count: commits.count)
        for row in rows {
            let index = Int(try row.get("n", as: Int64.self)) - 1
            guard commits.indices.contains(index) else {
                throw StoreError.corruptRow(table: "bookings", id: "\(index)")
            }
            guard try row.get("applied", as: Bool.self) else { continue }
            guard try row.get("updated", as: Int64.self) == Int64(commits[index].updates.count) else {
                throw StoreError.corruptRow(table: "bookings", id: commits[index].updates.first?.bookingID ?? "")
            }
            applied[index] = true
        }
        return applied
    }
}

/// The batched commit statement. Parameters, each an array: per commit (its place is its number `n`, from 1) the
/// event's id (NULL: none), type and time; per guard its commit's `n`, the booking id and the version read (NULL:
/// the booking did not exist); the "id version" pairs of the bookings to lock; then the bookings' updates, the
/// history lines and the outbox rows, each row with its commit's `n` first and then one array per column.
///
/// NB: every part of one statement sees one snapshot, so the checks cannot rely on it: `locked` takes each
/// booking's row lock, and under READ COMMITTED a row changed since the snapshot is rechecked at its newest
/// version, whose `xmin` then differs (the check is a condition on the row itself, which that recheck re-evaluates).
/// A commit's writes are conditioned on its `n` being in `go`: every guard held and its event (when it has one) newly
/// recorded here. History lines and outbox rows each go in one INSERT, in the order given: a row's identity (its
/// place in the history, its delivery order) is given as it is inserted.
enum BatchedCommit: HotStatement {
    static let name = "rdv_batched_commit"

    static let sql: String = {
        var next = 0
        func arrays(_ types: [ColumnType]) -> [String] {
            defer { next += types.count }
            return types.enumerated().map { "$\(next + $0.offset + 1)::\($0.element.rawValue)[]" }
        }
        let event = arrays([.text, .text, .bigint])
        let guards = arrays([.bigint, .text, .text])
        let locks = arrays([.text])[0]
        let updates = arrays([.bigint] + Rows.bookingTypes)
        let histories = arrays([.bigint] + InsertHistory.types)
        let outbox = arrays([.bigint] + InsertOutbox.types)

        let mutable = Rows.bookingColumns.filter { !UpdateBooking.immutable.contains($0) }
        let historyColumns = InsertHistory.columns.split(separator: ", ").map(String.init)
        let outboxColumns = InsertOutbox.columns.split(separator: ", ").map(String.init)
        func rows(_ columns: [String], _ values: [String]) -> String {
            "unnest(\(values.joined(separator: ", "))) WITH ORDINALITY AS v(n, \(columns.joined(separator: ", ")), position)"
        }
        return """
            WITH req AS (SELECT * FROM unnest(\(event.joined(separator: ", "))) WITH ORDINALITY \
            AS r(event_id, event_type, received_at, n)),
            g AS (SELECT * FROM unnest(\(guards.joined(separator: ", "))) AS g(n, booking_id, version)),
            locked AS MATERIALIZED (SELECT id FROM bookings WHERE id = ANY(\(guards[1])) \
            AND id || ' ' || xmin::text = ANY(\(locks)) ORDER BY id FOR UPDATE),
            ok AS MATERIALIZED (SELECT r.n FROM req r WHERE NOT EXISTS (SELECT 1 FROM g WHERE g.n = r.n AND CASE \
            WHEN g.version IS NULL THEN EXISTS (SELECT 1 FROM bookings b WHERE b.id = g.booking_id) \
            ELSE g.booking_id NOT IN (SELECT id FROM locked) END)),
            recorded AS (INSERT INTO provider_events (id, type, received_at) \
            SELECT event_id, event_type, received_at FROM req WHERE event_id IS NOT NULL AND n IN (SELECT n FROM ok) \
            ON CONFLICT (id) DO NOTHING RETURNING id),
            go AS MATERIALIZED (SELECT r.n FROM req r WHERE r.n IN (SELECT n FROM ok) \
            AND (r.event_id IS NULL OR r.event_id IN (SELECT id FROM recorded))),
            u AS (UPDATE bookings AS b SET \(mutable.map { "\($0) = v.\($0)" }.joined(separator: ", ")) \
            FROM \(rows(Rows.bookingColumns, updates)) WHERE b.id = v.id AND v.n IN (SELECT n FROM go) RETURNING v.n),
            h AS (INSERT INTO booking_history (\(InsertHistory.columns)) \
            SELECT \(historyColumns.joined(separator: ", ")) FROM \(rows(historyColumns, histories)) \
            WHERE v.n IN (SELECT n FROM go) ORDER BY v.position RETURNING 1),
            o AS (INSERT INTO outbox (\(InsertOutbox.columns)) \
            SELECT \(outboxColumns.joined(separator: ", ")) FROM \(rows(outboxColumns, outbox)) \
            WHERE v.n IN (SELECT n FROM go) ORDER BY v.position RETURNING 1)
            SELECT r.n, r.n IN (SELECT n FROM go) AS applied, (SELECT count(*) FROM u WHERE u.n = r.n) AS updated \
            FROM req r ORDER BY r.n
            """
    }()

    /// The statement's parameters for `commits`, in its order.
    static func binds(_ commits: [OptimisticCommit]) -> PostgresBindings {
        // Three event arrays, three guard arrays, the locks, then each table's commit numbers and columns.
        var binds = PostgresBindings(
            capacity: 7 + (1 + Rows.bookingColumns.count) + (1 + InsertHistory.types.count)
                + (1 + InsertOutbox.types.count))
        func append(_ types: [ColumnType], _ rows: [[ColumnValue]]) {
            for (column, type) in types.enumerated() {
                binds.append(ColumnArray(type: type, values: rows.map { $0[column] }))
            }
        }
        append(
            [.text, .text, .bigint],
            commits.map { [.text($0.event?.id), .text($0.event?.type), .int($0.event?.receivedAt)] })
        var guards: [[ColumnValue]] = []
        var locks: [[ColumnValue]] = []
        var updates: [[ColumnValue]] = []
        var histories: [[ColumnValue]] = []
        var outbox: [[ColumnValue]] = []
        for (index, commit) in commits.enumerated() {
            let n = ColumnValue.int(Int64(index + 1))
            for item in commit.guards {
                guards.append([n, .text(item.bookingID), .text(item.version)])
                if let version = item.version { locks.append([.text("\(item.bookingID) \(version)")]) }
            }
            updates += commit.updates.map { [n] + $0.values }
            histories += commit.histories.map { [n] + $0 }
            outbox += commit.outbox.map { [n] + $0 }
        }
        append([.bigint, .text, .text], guards)
        append([.text], locks)
        append([.bigint] + Rows.bookingTypes, updates)
        append([.bigint] + InsertHistory.types, histories)
        append([.bigint] + InsertOutbox.types, outbox)
        return binds
    }
}
