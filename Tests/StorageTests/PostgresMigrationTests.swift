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
        try #require(before.count < PostgresSchema.migrations.count)
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

    /// The reads requests make are prepared once per connection; a migration that adds a column to their tables
    /// must not break them on the connections that prepared them before (a prepared `SELECT *` would: "cached plan
    /// must not change result type"), as when another instance migrates while this one serves.
    @Test func preparedReadsOutliveAMigrationThatAddsColumns() async throws {
        var settings = try await StoreKind.freshPostgresDatabase()
        settings.poolSize = 1  // one connection: the one that prepared the reads runs them again
        let store = try await PostgresBookingStore(settings: settings, logger: self.logger)
        defer { store.shutdown() }
        try await BookingWorkflow.testing(store: store).practice.installIfEmpty(.sample())
        let client = Client.sample()
        let booking = Booking.sample(client: client.id)
        let admin = AdminAccount(
            id: AdminID(rawValue: "adm_1"), email: try EmailAddress("admin@example.com"), passwordHash: "x",
            createdAt: Instants.mondayMorning)
        let later = Instants.mondayMorning.addingTimeInterval(86_400)
        try await store.write { tx in
            try await tx.insert(client)
            try await tx.insert(booking)
            try await tx.append(
                HistoryEntry(
                    bookingID: booking.id, at: Instants.mondayMorning, actor: .system, from: nil, to: booking.state,
                    event: "created"))
            try await tx.insert(admin)
            try await tx.insert(AdminSession(tokenHash: "admin-hash", adminID: admin.id, expiresAt: later))
            try await tx.insert(
                ClientSession(
                    tokenHash: "client-hash", clientID: client.id, createdAt: Instants.mondayMorning, expiresAt: later))
            try await tx.remember(
                IdempotencyRecord(
                    key: "key-1", fingerprint: "f", bookingID: booking.id, createdAt: Instants.mondayMorning))
        }
        /// Every prepared read: plain in a read, `FOR UPDATE` in a write transaction.
        struct Reads: Equatable {
            var clientByEmail, clientByID: Client?
            var services: [Service]
            var staff: [StaffMember]
            var schedules: [StaffSchedule]
            var rules: BookingRules
            var bookings: [Booking]
            var history: [HistoryEntry]
            var bookingByID, bookingByToken: Booking?
            var clientSession: ClientSession?
            var adminSession: AdminSession?
            var idempotency: IdempotencyRecord?
        }
        @Sendable func readAll(_ reader: any BookingStoreReader) async throws -> Reads {
            let now = Instants.mondayMorning
            return Reads(
                clientByEmail: try await reader.client(email: client.email),
                clientByID: try await reader.client(client.id), services: try await reader.services(),
                staff: try await reader.staff(),
                schedules: try await reader.schedules(), rules: try await reader.rules(),
                bookings: try await reader.bookings(of: client.id), history: try await reader.history(of: booking.id),
                bookingByID: try await reader.booking(booking.id),
                bookingByToken: try await reader.booking(accessToken: booking.accessToken),
                clientSession: try await reader.clientSession(tokenHash: "client-hash", at: now),
                adminSession: try await reader.adminSession(tokenHash: "admin-hash", at: now),
                idempotency: try await reader.idempotencyRecord(key: "key-1"))
        }
        let before = try await store.read(readAll)
        #expect(before.clientByEmail == client && before.clientByID == client)
        #expect(!before.services.isEmpty && !before.staff.isEmpty && !before.schedules.isEmpty)
        #expect(before.bookings.count == 1 && before.history.count == 1)
        #expect(before.bookingByID != nil && before.bookingByToken == before.bookingByID)
        #expect(before.clientSession != nil && before.adminSession != nil && before.idempotency != nil)
        #expect(try await store.write(readAll) == before)
        try await store.migrate(
            PostgresSchema.migrations + [
                PostgresMigration(
                    name: "test-columns-added",
                    statements: [
                        "clients", "services", "staff", "bookings", "booking_history", "settings", "client_sessions",
                        "admin_sessions", "idempotency_keys",
                    ].map { "ALTER TABLE \($0) ADD COLUMN added_later TEXT" })
            ])
        #expect(try await store.read(readAll) == before)
        #expect(try await store.write(readAll) == before)
        let another = Client.sample(id: "cl_after", email: "after@example.com")
        try await store.write { try await $0.insert(another) }
        #expect(try await store.read { try await $0.client(another.id) } == another)
    }

    var logger: Logger { Logger(label: "rendezvous.tests") }
}
