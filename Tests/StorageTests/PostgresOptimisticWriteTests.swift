import Booking
import Foundation
import PostgresStore
import Synchronization
import TestSupport
import Testing
import Workflow

/// PostgreSQL's optimistic write (a payment in two round trips): what it read is checked when it commits, a write
/// that lost a race runs again on the newer data, and a body that asks for more runs as a locking write.
/// These tests need the test server (Scripts/test starts one); without it they fail, saying so.
@Suite struct PostgresOptimisticWriteTests {
    let bookingID = BookingID(rawValue: "bk_sample")

    /// A store on a new database with the sample practice, one client and one booking awaiting payment.
    func storeWithABooking() async throws -> PostgresBookingStore {
        let store = try await StoreKind.postgres.makeStore()
        let postgres = try #require(store as? PostgresBookingStore)
        try await BookingWorkflow.testing(store: postgres).practice.installIfEmpty(.sample())
        let client = Client.sample()
        try await postgres.write { tx in
            try await tx.insert(client)
            try await tx.insert(Booking.sample(client: client.id))
        }
        return postgres
    }

    /// Counts one more run of a body; which run this is.
    static func count(_ runs: borrowing Mutex<Int>) -> Int {
        runs.withLock { runs in
            runs += 1
            return runs
        }
    }

    /// The booking's note as stored.
    func note(in store: PostgresBookingStore) async throws -> String? {
        let id = self.bookingID
        return try await store.read { reader in try await reader.booking(id)?.clientNote }
    }

    /// Adds `mark` to the booking's note and a history line, as a transition writes; the note it wrote.
    static func mark(
        _ id: BookingID, with mark: String, in tx: any BookingStoreTransaction, before write: () async throws -> Void
    ) async throws -> String {
        guard var booking = try await tx.booking(id) else { throw BookingError.notFound(what: "booking") }
        try await write()
        booking.clientNote = (booking.clientNote ?? "") + mark
        try await tx.update(booking)
        try await tx.append(
            HistoryEntry(
                bookingID: id, at: Instants.mondayMorning, actor: .system, from: booking.state, to: booking.state,
                event: "marked", reason: mark))
        return booking.clientNote ?? ""
    }

    @Test func aBookingChangedBetweenTheReadAndTheCommitIsReadAgain() async throws {
        let store = try await self.storeWithABooking()
        let runs = Mutex(0)
        // Given a write that reads the booking, when another transaction changes it before the first commits,
        let note = try await store.writeOptimistically { [bookingID] tx in
            let run = Self.count(runs)
            return try await Self.mark(bookingID, with: "+mine", in: tx) {
                guard run == 1 else { return }
                _ = try await store.write { other in
                    try await Self.mark(bookingID, with: "theirs", in: other) {}
                }
            }
        }
        // then its first commit writes nothing, and it runs again on the booking as the other left it.
        #expect(runs.withLock { $0 } == 2)
        #expect(note == "theirs+mine")
        let (stored, history) = try await store.read { [bookingID] reader in
            (try await reader.booking(bookingID), try await reader.history(of: bookingID))
        }
        #expect(stored?.clientNote == "theirs+mine")
        #expect(history.compactMap(\.reason) == ["theirs", "+mine"])
    }

    @Test func anEventRecordedBetweenTheReadAndTheCommitIsADuplicate() async throws {
        let store = try await self.storeWithABooking()
        let runs = Mutex(0)
        // Given a delivery that found its event new, when another delivery of it commits first,
        let outcome = try await store.writeOptimistically { [bookingID] tx in
            let run = Self.count(runs)
            let recorded = try await tx.recordProviderEvent(
                id: "evt_twice", type: "checkout.session.completed", receivedAt: Instants.mondayMorning,
                naming: bookingID)
            if run == 1 {
                _ = try await store.write { other in
                    try await other.recordProviderEvent(
                        id: "evt_twice", type: "checkout.session.completed", receivedAt: Instants.mondayMorning)
                }
            }
            guard case .recorded(var booking?) = recorded else { return "duplicate" }
            booking.clientNote = "applied"
            try await tx.update(booking)
            return "applied"
        }
        // then the first nothing is written, and the second run sees the duplicate.
        #expect(outcome == "duplicate")
        #expect(runs.withLock { $0 } == 2)
        #expect(try await self.note(in: store) == nil)
    }

    @Test func aBodyThatNeedsMoreThanKeyedReadsRunsAsALockingWrite() async throws {
        let store = try await self.storeWithABooking()
        let runs = Mutex(0)
        let busy = try await store.writeOptimistically { [bookingID] tx in
            runs.withLock { $0 += 1 }
            guard var booking = try await tx.booking(bookingID) else { return -1 }
            // Busy times are a range read: only a locking transaction guards it.
            let busy = try await tx.busyTimes(
                staffIDs: [booking.staffID], overlapping: booking.blockedInterval, at: Instants.mondayMorning,
                excluding: nil)
            booking.clientNote = "checked"
            try await tx.update(booking)
            return busy.count
        }
        #expect(runs.withLock { $0 } == 2)
        #expect(busy == 1)
        #expect(try await self.note(in: store) == "checked")
    }

    @Test func concurrentOptimisticWritesOnOneBookingLoseNoUpdate() async throws {
        let store = try await self.storeWithABooking()
        // Twenty writers at once on one booking, each adding one mark: every mark is there once, whichever runs
        // again (and whichever ends as a locking write after losing three times).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { [bookingID] in
                    _ = try await store.writeOptimistically { tx in
                        try await Self.mark(bookingID, with: "<\(index)>", in: tx) {}
                    }
                }
            }
            try await group.waitForAll()
        }
        let (stored, history) = try await store.read { [bookingID] reader in
            (try await reader.booking(bookingID), try await reader.history(of: bookingID))
        }
        let note = try #require(stored?.clientNote)
        for index in 0..<20 { #expect(note.components(separatedBy: "<\(index)>").count == 2, "\(note)") }
        #expect(history.count == 20)
    }
}
