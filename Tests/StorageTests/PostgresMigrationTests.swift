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
    /// A migrated database, and settings for another instance of it.
    static func migratedDatabase() async throws -> (first: PostgresBookingStore, settings: PostgresSettings) {
        let server = try StoreKind.postgresServer()
        let name = "rendezvous_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await server.createDatabase(name)
        let settings = server.database(name)
        return (try await PostgresBookingStore(settings: settings), settings)
    }

    /// Holds the migration lock on one of `store`'s connections for `duration`, as an instance migrating does;
    /// returns once the lock is taken.
    static func holdMigrationLock(on store: PostgresBookingStore, for duration: Duration) async throws -> Task<
        Void, any Error
    > {
        let (taken, signal) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await store.withConnection(timeout: .seconds(120)) { connection in
                let logger = Logger(label: "rendezvous.tests")
                try await connection.query(
                    "SELECT pg_advisory_lock(\(PostgresSchema.migrationLockKey))", logger: logger)
                signal.yield()
                try await Task.sleep(for: duration)
                try await connection.query(
                    "SELECT pg_advisory_unlock(\(PostgresSchema.migrationLockKey))", logger: logger)
            }
        }
        for await _ in taken { break }
        return holder
    }

    @Test func anInstanceStartingWaitsBehindAMigrationLongerThanACallMayTake() async throws {
        let (first, shared) = try await Self.migratedDatabase()
        defer { first.shutdown() }
        var settings = shared
        settings.operationTimeout = .seconds(4)
        // NB: generous figures: the test server is busy with every other test at once.
        let holder = try await Self.holdMigrationLock(on: first, for: .seconds(10))
        let started = ContinuousClock.now
        let second = try await PostgresBookingStore(settings: settings)
        defer { second.shutdown() }
        #expect(ContinuousClock.now - started >= .seconds(9))
        #expect(await second.isReady())
        try await holder.value
    }

    @Test func aMigrationThatOutlastsItsTimeoutFailsTheStartAsUnavailable() async throws {
        let (first, shared) = try await Self.migratedDatabase()
        defer { first.shutdown() }
        var settings = shared
        settings.migrationTimeout = .seconds(2)
        let holder = try await Self.holdMigrationLock(on: first, for: .seconds(10))
        await #expect(throws: StoreUnavailable.self) { _ = try await PostgresBookingStore(settings: settings) }
        try await holder.value
    }
}
