import Booking
import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing
import Workflow

@testable import PostgresStore

/// Migrations when several instances start together: the second waits behind the first for as long as a migration
/// may take, not as long as a call may.
@Suite struct PostgresMigrationTests {
    /// How a second instance's start went, and how long it took.
    struct Start {
        var store: Result<PostgresBookingStore, any Error>
        var took: Duration
    }

    /// Starts a second instance of a migrated database, with `adjust`'s settings, while the first holds the migration
    /// lock for `held` (as an instance migrating does); returns once the first has let go.
    static func startBehindAMigration(held: Duration, adjust: (inout PostgresSettings) -> Void) async throws -> Start {
        var settings = try await StoreKind.freshPostgresDatabase()
        let first = try await PostgresBookingStore(settings: settings)
        defer { first.shutdown() }
        let (taken, signal) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await first.withConnection(timeout: .seconds(120)) { connection in
                let logger = Logger(label: "rendezvous.tests")
                try await connection.query(
                    "SELECT pg_advisory_lock(\(PostgresSchema.migrationLockKey))", logger: logger)
                signal.yield()
                try await Task.sleep(for: held)
                try await connection.query(
                    "SELECT pg_advisory_unlock(\(PostgresSchema.migrationLockKey))", logger: logger)
            }
        }
        for await _ in taken { break }
        adjust(&settings)
        let started = ContinuousClock.now
        let store: Result<PostgresBookingStore, any Error>
        do {
            store = .success(try await PostgresBookingStore(settings: settings))
        } catch {
            store = .failure(error)
        }
        let took = ContinuousClock.now - started
        try await holder.value
        return Start(store: store, took: took)
    }

    // NB: generous figures: the test server is busy with every other test at once.

    @Test func anInstanceStartingWaitsBehindAMigrationLongerThanACallMayTake() async throws {
        let start = try await Self.startBehindAMigration(held: .seconds(10)) { $0.operationTimeout = .seconds(4) }
        let second = try start.store.get()
        defer { second.shutdown() }
        #expect(start.took >= .seconds(9))
        #expect(await second.isReady())
    }

    @Test func aMigrationThatOutlastsItsTimeoutFailsTheStartAsUnavailable() async throws {
        let start = try await Self.startBehindAMigration(held: .seconds(10)) { $0.migrationTimeout = .seconds(2) }
        #expect(throws: StoreUnavailable.self) { _ = try start.store.get() }
    }

    /// The migration that moved the overlap check to `slot_claims` claims the slots of the bookings already there
    /// that take their time, and only those.
    @Test func slotClaimsCoverTheBookingsWrittenBeforeThem() async throws {
        let settings = try await StoreKind.freshPostgresDatabase()
        let before = PostgresSchema.migrations.prefix { $0.name != "2026-12-07-slot-claims" }
        #expect(before.count == PostgresSchema.migrations.count - 1)
        let older = try await PostgresBookingStore(settings: settings, logger: self.logger, migrations: Array(before))
        try await BookingWorkflow.testing(store: older).practice.installIfEmpty(.sample())
        let client = Client.sample()
        var settled = Booking.sample(id: "bk_settled", client: client.id)
        _ = try settled.lifecycle.apply(.markedPaidOffline)
        settled.holdUntil = nil
        var canceled = Booking.sample(id: "bk_canceled", client: client.id, start: Instants.tuesdayTen + 7200)
        _ = try canceled.lifecycle.apply(.canceled)
        canceled.holdUntil = nil
        try await older.write { [settled, canceled] tx in
            try await tx.insert(client)
            try await tx.insert(settled)
            try await tx.insert(canceled)
        }
        older.shutdown()

        let (settledStart, canceledStart) = (settled.start, canceled.start)
        let store = try await PostgresBookingStore(settings: settings)
        defer { store.shutdown() }
        #expect(try await store.appliedMigrations() == PostgresBookingStore.migrationNames)
        await #expect(throws: BookingError.slotTaken) {
            try await store.write {
                try await $0.insert(Booking.sample(id: "bk_over_settled", client: client.id, start: settledStart))
            }
        }
        try await store.write {
            try await $0.insert(Booking.sample(id: "bk_over_canceled", client: client.id, start: canceledStart))
        }
    }

    /// The practice's reads are prepared once per connection; a migration that adds a column to their tables must
    /// not break them on the connections that prepared them before (a prepared `SELECT *` would: "cached plan must
    /// not change result type"), as when another instance migrates while this one serves.
    @Test func preparedReadsOutliveAMigrationThatAddsColumns() async throws {
        var settings = try await StoreKind.freshPostgresDatabase()
        settings.poolSize = 1  // one connection: the one that prepared the reads runs them again
        let store = try await PostgresBookingStore(settings: settings, logger: self.logger)
        defer { store.shutdown() }
        try await BookingWorkflow.testing(store: store).practice.installIfEmpty(.sample())
        let client = Client.sample()
        try await store.write { try await $0.insert(client) }
        func readAll() async throws -> (Client?, [Service], [StaffSchedule], [Booking], BookingRules) {
            try await store.read { reader in
                (
                    try await reader.client(email: client.email), try await reader.services(),
                    try await reader.schedules(), try await reader.bookings(of: client.id), try await reader.rules()
                )
            }
        }
        let before = try await readAll()
        try await store.migrate(
            PostgresSchema.migrations + [
                PostgresMigration(
                    name: "test-columns-added",
                    statements: ["clients", "services", "staff", "bookings", "settings"].map {
                        "ALTER TABLE \($0) ADD COLUMN added_later TEXT"
                    })
            ])
        let after = try await readAll()
        #expect(after.0 == before.0 && after.0 == client)
        #expect(after.1 == before.1 && !after.1.isEmpty)
        #expect(after.2 == before.2 && !after.2.isEmpty)
        #expect(after.3 == before.3)
        #expect(after.4 == before.4)
    }

    var logger: Logger { Logger(label: "rendezvous.tests") }
}
