import Booking
import Foundation
import Synchronization
import TestSupport
import Testing
import Workflow

@testable import PostgresStore

/// Group commit on PostgreSQL: optimistic reads and commits that arrive while others are being sent wait and go
/// together, each commit written whole or not at all whatever the others of its batch do.
@Suite struct BatchQueueTests {
    /// A queue whose sends are recorded and held until `release` is called for each.
    final class HeldSends: Sendable {
        let batches = Mutex<[[Int]]>([])
        let gates = Mutex<[CheckedContinuation<Void, Never>]>([])

        func send(_ batch: [Int]) async -> [Result<Int, any Error>] {
            self.batches.withLock { $0.append(batch) }
            await withCheckedContinuation { continuation in self.gates.withLock { $0.append(continuation) } }
            return batch.map { $0 % 2 == 0 ? .success($0 * 10) : .failure(Odd(value: $0)) }
        }

        /// Lets the oldest held send answer, once one is held.
        func release() async {
            while true {
                if let gate = self.gates.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                    gate.resume()
                    return
                }
                await Task.yield()
            }
        }
    }

    struct Odd: Error, Equatable { var value: Int }

    /// Waits until `count` items wait for a lane.
    static func waitUntil<Item, Answer>(_ queue: BatchQueue<Item, Answer>, hasWaiting count: Int) async {
        while queue.waitingCount < count { await Task.yield() }
    }

    @Test func itemsArrivingWhileEveryLaneIsBusyGoTogetherAndEachGetsItsOwnAnswer() async throws {
        let queue = BatchQueue<Int, Int>(lanes: 1)
        let sends = HeldSends()
        try await withThrowingTaskGroup(of: (Int, Result<Int, Odd>).self) { group in
            for item in 0..<6 {
                group.addTask {
                    do {
                        return (item, .success(try await queue.submit(item) { await sends.send($0) }))
                    } catch let error as Odd {
                        return (item, .failure(error))
                    }
                }
                // The first goes at once and is held; the five others arrive while its lane is busy.
                if item == 0 { while sends.batches.withLock({ $0.isEmpty }) { await Task.yield() } }
            }
            await Self.waitUntil(queue, hasWaiting: 5)
            await sends.release()
            await sends.release()
            var answers: [Int: Result<Int, Odd>] = [:]
            for try await (item, answer) in group { answers[item] = answer }
            #expect(answers[0] == .success(0))
            #expect(answers[1] == .failure(Odd(value: 1)))
            #expect(answers[4] == .success(40))
            #expect(answers[5] == .failure(Odd(value: 5)))
        }
        let batches = sends.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches.first == [0])
        #expect(batches.last.map(Set.init) == Set(1..<6))
        #expect(queue.totals == .init(batches: 2, items: 6))
    }

    @Test func itemsSharingAKeyNeverGoInOneBatch() async throws {
        // Items 2 and 4 share a key (say, one booking); 6 has its own.
        let keys: [Int: Set<String>] = [0: ["zero"], 2: ["booking"], 4: ["booking"], 6: ["other"]]
        let queue = BatchQueue<Int, Int>(lanes: 1) { keys[$0] ?? [] }
        let sends = HeldSends()
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await queue.submit(0) { await sends.send($0) } }
            while sends.batches.withLock({ $0.isEmpty }) { await Task.yield() }
            for item in [2, 4, 6] {
                group.addTask { try await queue.submit(item) { await sends.send($0) } }
                await Self.waitUntil(queue, hasWaiting: item / 2)
            }
            for _ in 0..<3 { await sends.release() }
            for try await _ in group {}
        }
        let batches = sends.batches.withLock { $0 }
        #expect(batches == [[0], [2, 6], [4]])
    }
}

/// The batched commit on a real PostgreSQL server (the test server: Scripts/test starts one; without it these tests
/// fail, saying so).
@Suite struct PostgresGroupCommitTests {
    /// A store on a new database with the sample practice, one client and `count` bookings awaiting payment.
    static func store(withBookings count: Int) async throws -> (PostgresBookingStore, [BookingID]) {
        let store = try #require(try await StoreKind.postgres.makeStore() as? PostgresBookingStore)
        try await BookingWorkflow.testing(store: store).practice.installIfEmpty(.sample())
        let client = Client.sample()
        let bookings = (0..<count).map { index in
            Booking.sample(
                id: "bk_\(index)", client: client.id,
                start: Instants.tuesdayTen.addingTimeInterval(Double(index) * 7200))
        }
        try await store.write { tx in
            try await tx.insert(client)
            for booking in bookings { try await tx.insert(booking) }
        }
        return (store, bookings.map(\.id))
    }

    /// Holds every caller until `count` have arrived, then lets them all go.
    final class Barrier: Sendable {
        let count: Int
        let state = Mutex<(arrived: Int, waiting: [CheckedContinuation<Void, Never>])>((0, []))
        init(count: Int) { self.count = count }

        func arrive() async {
            await withCheckedContinuation { continuation in
                let everyone = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.arrived += 1
                    state.waiting.append(continuation)
                    guard state.arrived == self.count else { return [] }
                    defer { state.waiting = [] }
                    return state.waiting
                }
                for waiting in everyone { waiting.resume() }
            }
        }
    }

    /// Marks a booking as a transition does (its note, a history line, an outbox row), after every writer has read
    /// its booking, so that all commit at once; `breaking` writes a value the schema refuses.
    static func mark(
        _ id: BookingID, in tx: any BookingStoreTransaction, barrier: Barrier? = nil, breaking: Bool = false
    ) async throws {
        guard var booking = try await tx.booking(id) else { throw BookingError.notFound(what: "booking") }
        await barrier?.arrive()
        booking.clientNote = "marked"
        if breaking { booking.bufferMinutes = -1 }
        try await tx.update(booking)
        try await tx.append(
            HistoryEntry(
                bookingID: id, at: Instants.mondayMorning, actor: .system, from: booking.state, to: booking.state,
                event: "marked", reason: id.rawValue))
        try await tx.enqueue(
            OutboxMessage(
                id: "out_\(id)", bookingID: id, effect: .expireCheckout(checkoutSessionID: "cs_\(id)"),
                createdAt: Instants.mondayMorning))
    }

    @Test func concurrentPaymentsCommitTogetherEachWhole() async throws {
        let (store, ids) = try await Self.store(withBookings: 24)
        let barrier = Barrier(count: ids.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    try await store.writeOptimistically { tx in try await Self.mark(id, in: tx, barrier: barrier) }
                }
            }
            try await group.waitForAll()
        }
        let totals = store.optimisticCommitTotals
        #expect(totals.commits == ids.count)
        #expect(totals.batches < ids.count, "the commits arriving together went in fewer statements")
        for id in ids {
            let (booking, history, outbox) = try await store.read { reader in
                (try await reader.booking(id), try await reader.history(of: id), try await reader.outbox(of: id))
            }
            #expect(booking?.clientNote == "marked")
            #expect(history.map(\.reason) == [id.rawValue])
            #expect(outbox.map(\.id) == ["out_\(id)"])
        }
    }

    @Test func aCommitTheSchemaRefusesFailsAloneAndTheOthersOfItsBatchAreWritten() async throws {
        let (store, ids) = try await Self.store(withBookings: 12)
        let broken = ids[7]
        let barrier = Barrier(count: ids.count)
        let outcomes = try await withThrowingTaskGroup(of: (BookingID, Bool).self) { group in
            for id in ids {
                group.addTask {
                    do {
                        try await store.writeOptimistically { tx in
                            try await Self.mark(id, in: tx, barrier: barrier, breaking: id == broken)
                        }
                        return (id, true)
                    } catch {
                        return (id, false)
                    }
                }
            }
            var outcomes: [BookingID: Bool] = [:]
            for try await (id, written) in group { outcomes[id] = written }
            return outcomes
        }
        #expect(outcomes.filter { !$0.value }.map(\.key) == [broken])
        for id in ids {
            let (booking, history) = try await store.read { reader in
                (try await reader.booking(id), try await reader.history(of: id))
            }
            #expect(booking?.clientNote == (id == broken ? nil : "marked"))
            #expect(history.count == (id == broken ? 0 : 1))
        }
    }

    /// What each booking holds after a batch: its note and its history lines' reasons.
    static func stored(_ ids: [BookingID], in store: PostgresBookingStore) async throws -> [(String?, [String?])] {
        var stored: [(String?, [String?])] = []
        for id in ids {
            stored.append(
                try await store.read { reader in
                    (try await reader.booking(id)?.clientNote, try await reader.history(of: id).map(\.reason))
                })
        }
        return stored
    }

    @Test func oneStatementWritesEachCommitWholeOrNotAtAll() async throws {
        let (store, ids) = try await Self.store(withBookings: 3)
        // Three attempts read their bookings; then another transaction changes the second booking.
        var commits: [OptimisticCommit] = []
        for id in ids {
            commits.append(try await store.prepareOptimistically { tx in try await Self.mark(id, in: tx) }.commit)
        }
        try await store.write { [id = ids[1]] tx in
            guard var booking = try await tx.booking(id) else { throw BookingError.notFound(what: "booking") }
            booking.clientNote = "theirs"
            try await tx.update(booking)
        }
        // Sent as one batch, the first and third are written; the second, whose booking changed, is not at all.
        let results = await store.send(commits).map { try? $0.get() }
        #expect(results == [true, false, true])
        let stored = try await Self.stored(ids, in: store)
        #expect(stored[0].0 == "marked" && stored[0].1 == [ids[0].rawValue])
        #expect(stored[1].0 == "theirs" && stored[1].1.isEmpty)
        #expect(stored[2].0 == "marked" && stored[2].1 == [ids[2].rawValue])
    }

    @Test func aBatchTheSchemaRefusesIsSentAgainCommitByCommit() async throws {
        let (store, ids) = try await Self.store(withBookings: 3)
        var commits: [OptimisticCommit] = []
        for id in ids {
            commits.append(
                try await store.prepareOptimistically { tx in
                    try await Self.mark(id, in: tx, breaking: id == ids[1])
                }.commit)
        }
        // The second commit breaks a CHECK constraint, which fails the batch's statement as a whole: each commit is
        // then sent on its own, so the first and third are written and only the second fails.
        let results = await store.send(commits)
        #expect((try? results[0].get()) == true)
        #expect((try? results[1].get()) == nil)
        #expect((try? results[2].get()) == true)
        let stored = try await Self.stored(ids, in: store)
        #expect(stored.map(\.0) == ["marked", nil, "marked"])
        #expect(stored.map(\.1.count) == [1, 0, 1])
    }
}

/// A new booking's writes: its insert, history line and outbox rows sent together at the transaction's end.
@Suite struct PostgresBufferedInsertTests {
    /// A store on a new database with the sample practice and one client.
    func store() async throws -> (PostgresBookingStore, Client) {
        let store = try #require(try await StoreKind.postgres.makeStore() as? PostgresBookingStore)
        try await BookingWorkflow.testing(store: store).practice.installIfEmpty(.sample())
        let client = Client.sample()
        try await store.write { tx in try await tx.insert(client) }
        return (store, client)
    }

    /// Creates `booking` as the workflow does: the insert, a history line and an outbox row.
    static func create(_ booking: Booking, in tx: any BookingStoreTransaction) async throws {
        try await tx.insert(booking)
        try await tx.append(
            HistoryEntry(
                bookingID: booking.id, at: Instants.mondayMorning, actor: .system, from: nil, to: booking.state,
                event: "created"))
        try await tx.enqueue(
            OutboxMessage(
                id: "out_\(booking.id)", bookingID: booking.id, effect: .emailClient(.bookingReceived),
                createdAt: Instants.mondayMorning))
    }

    static func stored(_ id: BookingID, in store: PostgresBookingStore) async throws
        -> (booking: Booking?, history: [HistoryEntry], outbox: [OutboxMessage])
    {
        try await store.read { reader in
            (try await reader.booking(id), try await reader.history(of: id), try await reader.outbox(of: id))
        }
    }

    @Test func aNewBookingIsWrittenWithItsHistoryAndOutboxOrNotAtAll() async throws {
        let (store, client) = try await self.store()
        let first = Booking.sample(id: "bk_first", client: client.id)
        try await store.write { tx in try await Self.create(first, in: tx) }
        let written = try await Self.stored(first.id, in: store)
        #expect(written.booking?.id == first.id)
        #expect(written.history.map(\.event) == ["created"])
        #expect(written.outbox.map(\.id) == ["out_\(first.id)"])

        // Half an hour later, held too: the exclusion constraint refuses it when the writes are sent, as a taken
        // slot, and none of its writes stays.
        let overlapping = Booking.sample(
            id: "bk_second", client: client.id, start: Instants.tuesdayTen.addingTimeInterval(1800))
        await #expect(throws: BookingError.slotTaken) {
            try await store.write { tx in try await Self.create(overlapping, in: tx) }
        }
        let refused = try await Self.stored(overlapping.id, in: store)
        #expect(refused.booking == nil && refused.history.isEmpty && refused.outbox.isEmpty)
    }

    @Test func anOptimisticWriteThatInsertsABookingIsWrittenByALockingTransaction() async throws {
        let (store, client) = try await self.store()
        let booking = Booking.sample(id: "bk_optimistic", client: client.id)
        try await store.writeOptimistically { tx in try await Self.create(booking, in: tx) }
        let written = try await Self.stored(booking.id, in: store)
        #expect(written.booking?.id == booking.id && written.history.count == 1 && written.outbox.count == 1)
        #expect(store.optimisticCommitTotals.commits == 0, "the batched commit never carries an insert")
    }

    @Test func writesOnAnAccessWithoutABufferAreSentAtOnce() async throws {
        let (store, client) = try await self.store()
        let booking = Booking.sample(id: "bk_unbuffered", client: client.id)
        try await store.withConnection { connection in
            try await Self.create(
                booking,
                in: PostgresAccess(connection: connection, logger: store.logger, writable: true, json: store.json))
        }
        let written = try await Self.stored(booking.id, in: store)
        #expect(written.booking?.id == booking.id && written.history.count == 1 && written.outbox.count == 1)
    }
}

/// The columns a booking is bound as, and the types the batched commit declares for them, agree.
@Suite struct PostgresColumnTests {
    @Test func aBookingsValuesHaveTheDeclaredColumnTypes() throws {
        let booking = Booking.sample(client: Client.sample().id)
        let values = try Rows.bookingValues(booking, json: ColumnJSONCache())
        #expect(values.count == Rows.bookingColumns.count)
        let types: [ColumnType] = values.map { value in
            switch value {
            case .text: .text
            case .int: .bigint
            case .bool: .boolean
            }
        }
        #expect(types == Rows.bookingTypes)
    }
}

/// The wake-up notifications sent after commits that queued outbox work: at once after a quiet spell, then at most one
/// round per spacing, carrying every topic queued meanwhile.
@Suite struct NotifierTests {
    final class Sent: Sendable {
        let topics = Mutex<[OutboxTopic]>([])
        var count: Int { self.topics.withLock { $0.count } }

        /// Waits until `count` notifications were sent (a failure after ten seconds).
        func waitFor(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while self.count < count {
                guard ContinuousClock.now < deadline else {
                    Issue.record("\(self.count) of \(count) notifications sent")
                    return
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    @Test func aBurstOfCommitsSendsOneRoundPerSpacingAndLosesNoTopic() async throws {
        let sent = Sent()
        let notifier = Notifier(spacing: .seconds(2), logger: .init(label: "test")) { topic in
            sent.topics.withLock { $0.append(topic) }
        }
        let running = Task { await notifier.run() }
        defer { running.cancel() }

        // The first commit after a quiet spell is told at once.
        notifier.tell([.email])
        try await sent.waitFor(1)
        // Twenty more commits within the spacing, one of them queuing provider work: nothing yet...
        for index in 0..<20 { notifier.tell(index == 7 ? [.email, .provider] : [.email]) }
        notifier.tell([])
        try await Task.sleep(for: .milliseconds(100))
        #expect(sent.count == 1)
        // ... then one round for all of them, each topic once.
        try await sent.waitFor(3)
        try await Task.sleep(for: .milliseconds(100))
        #expect(sent.topics.withLock { $0 } == [.email, .email, .provider])
    }
}
