import PostgresNIO
import TestSupport
import Testing

@testable import PostgresStore

/// The payments' batched read (`BatchedReads`): one plan for every batch on a connection, which still answers right
/// once the tables have grown far past their size when it was made.
/// These tests need the test server (Scripts/test starts one); without it they fail, saying so.
@Suite struct PostgresBatchedReadTests {
    @Test func theBatchedReadKeepsOnePlanAndAnswersAsTheTablesGrow() async throws {
        let (store, _) = try await PostgresGroupCommitTests.store(withBookings: 3)  // bk_0, bk_1 and bk_2
        defer { store.shutdown() }
        _ = try await store.write { tx in
            try await tx.recordProviderEvent(id: "evt_0", type: "test", receivedAt: Instants.mondayMorning)
        }
        // Per key: whether its event was recorded before, and the booking's id when there is one.
        struct Answer: Equatable {
            var recorded: Bool
            var booking: String?
        }
        let keys = [
            KeyedRead(eventID: "evt_0", bookingID: "bk_0"), KeyedRead(eventID: "evt_new", bookingID: "bk_1"),
            KeyedRead(eventID: nil, bookingID: "bk_missing"), KeyedRead(eventID: "evt_late", bookingID: "bk_2"),
        ]
        let (early, late, plans) = try await store.withConnection { connection in
            let access = PostgresAccess(connection: connection, logger: store.logger, writable: false, json: store.json)
            func read(_ batch: [KeyedRead]) async throws -> [Answer] {
                try await access.read(batch).map { row in
                    Answer(
                        recorded: try row.get("recorded_before", as: Bool.self),
                        booking: try row.get("id", as: String?.self))
                }
            }
            // Batches of every size, more than the five PostgreSQL plans for their own values before it weighs
            // a plan for any.
            var early: [[Answer]] = []
            for size in [1, 4, 2, 3, 4, 1, 3, 2, 4, 4] { early.append(try await read(Array(keys.prefix(size)))) }
            // Then provider_events grows from one row to 2,002 under that plan; one of them is an event asked about.
            try await connection.query(
                """
                INSERT INTO provider_events (id, type, received_at)
                SELECT 'evt_bulk_' || i, 'test', 0 FROM generate_series(1, 2000) AS i
                UNION ALL SELECT 'evt_late', 'test', 0
                """, logger: store.logger)
            let late = try await read(keys)
            let rows = try await connection.query(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = \(BatchedReads.name)",
                logger: store.logger)
            var plans: [(generic: Int64, custom: Int64)] = []
            for try await (generic, custom) in rows.decode((Int64, Int64).self) { plans.append((generic, custom)) }
            return (early, late, plans)
        }
        let expected = [
            Answer(recorded: true, booking: "bk_0"), Answer(recorded: false, booking: "bk_1"),
            Answer(recorded: false, booking: nil), Answer(recorded: false, booking: "bk_2"),
        ]
        for answers in early { #expect(answers == Array(expected.prefix(answers.count))) }
        #expect(late == Array(expected.prefix(3)) + [Answer(recorded: true, booking: "bk_2")])
        // One plan made for any batch, run from the sixth read on; never planned again for a batch's own keys.
        let plan = try #require(plans.first)
        #expect(plan.custom <= 5)
        #expect(plan.generic >= 6)
    }
}
