import Booking
import Foundation
import PostgresStore
import Storage
import TestSupport
import Testing
import Workflow

@testable import rendezvous

/// `rendezvous migrate --from rendezvous.sqlite --to postgres://...`: a practice moves whole, and the service goes on
/// from where it was on PostgreSQL.
@Suite struct PracticeMoveTests {
    /// `rendezvous migrate --from` the file of `sqlite` `--to` a fresh PostgreSQL database, parsed as typed.
    static func moveCommand(from sqlite: SQLiteBookingStore) async throws -> (PostgresSettings, MigrateCommand) {
        let target = try await StoreKind.freshPostgresDatabase()
        let url = "postgres://\(target.username)@\(target.host):\(target.port)/\(target.database)?sslmode=disable"
        let command = try #require(
            try Rendezvous.parseAsRoot(["migrate", "--from", sqlite.path, "--to", url]) as? MigrateCommand)
        return (target, command)
    }

    @Test func aPracticeMovesFromSQLiteToPostgreSQLWithItsBookingsHistoryAndOutbox() async throws {
        let practice = try await TestPractice(kind: .sqlite)
        let workflow = practice.workflow
        let paid = try await workflow.clients.book(practice.request()).booking
        _ = try await workflow.payments.applyPaymentEvent(practice.paidEvent(for: paid, eventID: "evt_moved"))
        let waiting = try await workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(3 * 3600), email: "max@example.com")
        ).booking
        _ = try await workflow.accounts.createAdmin(email: "owner@example.com", passwordHash: "$2b$12$hash")
        let sqlite = try #require(practice.store as? SQLiteBookingStore)

        let (target, command) = try await Self.moveCommand(from: sqlite)
        try await command.run()

        let moved = try await PostgresBookingStore(settings: target)
        func everything(_ store: any BookingStore) async throws -> [String] {
            try await store.read { reader in
                var lines: [String] = []
                for id in [paid.id, waiting.id] {
                    lines.append("\(try await reader.booking(id).map { "\($0)" } ?? "missing")")
                    lines.append("\(try await reader.history(of: id))")
                    lines.append("\(try await reader.outbox(of: id))")
                }
                lines.append("\(try await reader.clients(matching: nil, limit: 100))")
                lines.append("\(try await reader.admins())")
                lines.append("\(try await reader.services())")
                lines.append("\(try await reader.rules())")
                lines.append("\(try await reader.idempotencyRecord(key: "none") == nil)")
                return lines
            }
        }
        let before = try await everything(sqlite)
        let after = try await everything(moved)
        #expect(after == before)
        // (Schedules hold dictionaries, whose description has no fixed order: compared as values.)
        #expect(try await moved.read { try await $0.schedules() } == sqlite.read { try await $0.schedules() })
        // The provider event is known: delivered again, it is a duplicate.
        let onPostgres = BookingWorkflow.testing(store: moved, clock: practice.clock)
        #expect(
            try await onPostgres.payments.applyPaymentEvent(practice.paidEvent(for: paid, eventID: "evt_moved"))
                == .duplicate)
        // Identity columns go on after the copied rows: new history lines come after the old ones.
        _ = try await onPostgres.admin.approve(paid.id, AdminDecision(admin: AdminID(rawValue: "adm_1")))
        let history = try await moved.read { try await $0.history(of: paid.id) }
        #expect(history.last?.to == .approved)

        // A second copy into the same database is refused, and changes nothing.
        await #expect(throws: (any Error).self) { try await command.run() }
        #expect(try await moved.read { try await $0.history(of: paid.id) } == history)
    }

    /// Bookings that stand closer than their buffers (made under a lowered buffer, the buffer raised since) move too,
    /// and PostgreSQL's overlap check holds from then on.
    @Test func bookingsCloserThanTheirBuffersMoveToo() async throws {
        let practice = try await TestPractice(kind: .sqlite)
        let zoe = try await practice.workflow.clients.book(practice.request()).booking  // an hour's buffer
        try await practice.setCamillesBuffer(30)
        let max = try await practice.workflow.clients.book(
            practice.request(at: zoe.end.addingTimeInterval(30 * 60), email: "max@example.com")
        ).booking
        try await practice.setCamillesBuffer(60)
        let sqlite = try #require(practice.store as? SQLiteBookingStore)

        let (target, command) = try await Self.moveCommand(from: sqlite)
        try await command.run()

        let moved = try await PostgresBookingStore(settings: target)
        defer { moved.shutdown() }
        let copied = try await moved.read { try await $0.bookings(matching: BookingFilter()) }
        #expect(copied.map(\.id) == [zoe.id, max.id])
        await #expect(throws: BookingError.slotTaken) {
            try await moved.write {
                try await $0.insert(Booking.sample(id: "bk_over", client: zoe.clientID, start: zoe.start))
            }
        }
    }
}
