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
}
