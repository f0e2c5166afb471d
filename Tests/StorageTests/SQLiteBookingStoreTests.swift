import Booking
import Foundation
import GRDB
import Storage
import TestSupport
import Testing
import Workflow

/// What is particular to the SQLite store: its file, its pragmas, its schema's constraints.
@Suite struct SQLiteBookingStoreTests {
    func path() throws -> String { try TemporaryDirectory.make().appendingPathComponent("rendezvous.sqlite").path }

    @Test func migratingAnEmptyFileCreatesTheSchema() async throws {
        let path = try self.path()
        let store = try SQLiteBookingStore(path: path)
        #expect(
            try await store.appliedMigrations() == [
                "2026-11-23-initial", "2026-11-23-admins", "2026-11-24-client-time-zone",
                "2026-11-24-idempotency-by-booking", "2026-11-25-unpaid-checkouts", "2026-11-25-client-accounts",
                "2026-11-25-client-language", "2026-11-25-staff-calendar-feeds", "2026-11-25-history-note-for-client",
                "2026-11-25-staff-contact", "2026-11-25-login-failures",
            ])
        #expect(FileManager.default.fileExists(atPath: path))
        // Opening again migrates nothing twice.
        let again = try SQLiteBookingStore(path: path)
        #expect(
            try await again.appliedMigrations() == [
                "2026-11-23-initial", "2026-11-23-admins", "2026-11-24-client-time-zone",
                "2026-11-24-idempotency-by-booking", "2026-11-25-unpaid-checkouts", "2026-11-25-client-accounts",
                "2026-11-25-client-language", "2026-11-25-staff-calendar-feeds", "2026-11-25-history-note-for-client",
                "2026-11-25-staff-contact", "2026-11-25-login-failures",
            ])
        let queue = try DatabaseQueue(path: path)
        let tables = try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(
            Set(tables).isSuperset(of: [
                "bookings", "booking_history", "clients", "idempotency_keys", "outbox", "provider_events", "services",
                "settings", "staff",
            ]))
        let journal = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    @Test func theSchemaRefusesWhatTheDomainNeverWrites() async throws {
        let path = try self.path()
        let store = try SQLiteBookingStore(path: path)
        try await BookingWorkflow.testing(store: store).practice.installIfEmpty(.sample())
        let booking = Booking.sample(client: Client.sample().id)
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(booking)
            try await tx.append(
                HistoryEntry(
                    bookingID: booking.id, at: booking.createdAt, actor: .system, from: nil, to: .awaitingPayment,
                    event: "created"))
        }
        let queue = try DatabaseQueue(path: path)
        let refused = [
            "UPDATE bookings SET state = 'approved'",  // settled states need a settled payment
            "UPDATE bookings SET state = 'lost'",
            "UPDATE bookings SET end_at = start_at",
            "UPDATE bookings SET refunded_minor = received_minor + 1",
            "UPDATE bookings SET archived_at = 1",  // only closed bookings are archived
            "UPDATE bookings SET client_id = 'cl_nobody'",
            "UPDATE booking_history SET reason = 'rewritten'",
            "DELETE FROM booking_history",
            "INSERT INTO services (id, name, category, kind, duration_minutes, price_minor, currency, is_active, position) VALUES ('s', 'x', 'chat', 'initial', 30, -1, 'EUR', 1, 9)",
        ]
        for sql in refused {
            await #expect(throws: DatabaseError.self, "\(sql)") {
                try await queue.write { db in
                    try db.execute(sql: "PRAGMA foreign_keys = ON")
                    try db.execute(sql: sql)
                }
            }
        }
    }

    @Test func writesAreDurableWithFullSynchronous() async throws {
        let path = try self.path()
        let store = try SQLiteBookingStore(path: path)
        // 2 is FULL: every commit is synced to disk before it returns.
        #expect(try await store.synchronousLevel() == 2)
    }

    @Test func aCommittedBookingSurvivesReopening() async throws {
        let path = try self.path()
        let workflow = BookingWorkflow.testing(store: try SQLiteBookingStore(path: path))
        try await workflow.practice.installIfEmpty(.sample())
        let receipt = try await workflow.clients.book(
            ClientBookingRequest(
                serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen, name: "Zoë", email: "zoe@example.com"))
        let reopened = try SQLiteBookingStore(path: path)
        #expect(try await reopened.read { try await $0.booking(receipt.booking.id) } == receipt.booking)
    }
}
