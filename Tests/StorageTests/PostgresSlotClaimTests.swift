import Booking
import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing
import Workflow

@testable import PostgresStore

/// The staff member's buffer in PostgreSQL's overlap check (`PostgresSlotClaims.swift`): each claim widened by half
/// its buffer, so two bookings stay apart by the mean of their buffers. The workflow's own check is skipped here on
/// purpose: these bookings are written straight to the store, as a faulty writer would.
@Suite struct PostgresSlotClaimTests {
    let client = Client.sample()

    /// A booking of Camille's `gap` after `neighbour` ends (or before it starts, when `gap` is negative), made with
    /// `buffer` minutes.
    func booking(_ id: String, after neighbour: Booking, gapMinutes gap: Int, buffer: Int) -> Booking {
        let length = neighbour.end.timeIntervalSince(neighbour.start)
        let start =
            gap >= 0
            ? neighbour.end.addingTimeInterval(TimeInterval(gap * 60))
            : neighbour.start.addingTimeInterval(TimeInterval(gap * 60) - length)
        var booking = Booking.sample(id: id, client: self.client.id, start: start)
        booking.bufferMinutes = buffer
        return booking
    }

    /// A fresh database holding Camille (with `buffer` minutes between bookings), the client and `first`.
    func store(staffBuffer buffer: Int, holding first: Booking) async throws -> PostgresBookingStore {
        let store = try await PostgresBookingStore(settings: try await StoreKind.freshPostgresDatabase())
        try await BookingWorkflow.testing(store: store).practice.installIfEmpty(.sample())
        try await Self.setBuffer(buffer, in: store)
        try await store.write { [client] tx in
            try await tx.insert(client)
            try await tx.insert(first)
        }
        return store
    }

    static func setBuffer(_ minutes: Int, in store: any BookingStore) async throws {
        var schedule = StaffSchedule.paris(.camille)
        schedule.bufferMinutes = minutes
        try await store.write { [schedule] in try await $0.save(StaffMember.camille, schedule: schedule) }
    }

    func expectRefused(_ booking: Booking, in store: PostgresBookingStore, _ why: Comment) async {
        await #expect(throws: BookingError.slotTaken, why) {
            try await store.write { try await $0.insert(booking) }
        }
    }

    func insert(_ booking: Booking, in store: PostgresBookingStore) async throws {
        try await store.write { try await $0.insert(booking) }
    }

    @Test func bookingsStayApartByTheMeanOfTheirBuffers() async throws {
        let first = Booking.sample(id: "bk_first", client: self.client.id)  // 60 minutes' buffer
        let store = try await self.store(staffBuffer: 60, holding: first)
        defer { store.shutdown() }
        await self.expectRefused(
            self.booking("bk_close", after: first, gapMinutes: 30, buffer: 60), in: store, "30 minutes apart, not 60")
        await self.expectRefused(
            self.booking("bk_before", after: first, gapMinutes: -59, buffer: 60), in: store, "59 minutes before")
        try await self.insert(self.booking("bk_before", after: first, gapMinutes: -60, buffer: 60), in: store)
        // A booking made with no buffer keeps half of the other's: the mean of 60 and 0.
        await self.expectRefused(
            self.booking("bk_no_buffer", after: first, gapMinutes: 29, buffer: 0), in: store, "29 minutes, not 30")
        try await self.insert(self.booking("bk_no_buffer", after: first, gapMinutes: 30, buffer: 0), in: store)
    }

    @Test func loweringABufferShrinksTheClaimsAndRaisingItLeavesThem() async throws {
        let first = Booking.sample(id: "bk_first", client: self.client.id)
        let store = try await self.store(staffBuffer: 60, holding: first)
        defer { store.shutdown() }
        let second = self.booking("bk_second", after: first, gapMinutes: 30, buffer: 30)
        await self.expectRefused(second, in: store, "the first booking keeps 60 minutes: a mean of 45")
        // Lowered to 30 minutes, the first booking's claim keeps 30: the second fits.
        try await Self.setBuffer(30, in: store)
        try await self.insert(second, in: store)
        // A booking recorded with more than the staff member's buffer of now is claimed with the buffer of now.
        let third = self.booking("bk_third", after: second, gapMinutes: 30, buffer: 60)
        try await self.insert(third, in: store)
        // Raised to 60 minutes while bookings stand 30 apart: the setting is saved, and those bookings stay.
        try await Self.setBuffer(60, in: store)
        let standing = try await store.read { try await $0.bookings(matching: BookingFilter()) }
        #expect(standing.map(\.id.rawValue).sorted() == ["bk_first", "bk_second", "bk_third"])
        // A new booking claims 60 minutes, the third 30: they stay 45 apart.
        await self.expectRefused(
            self.booking("bk_fourth", after: third, gapMinutes: 44, buffer: 60), in: store, "44 minutes, not 45")
        try await self.insert(self.booking("bk_fourth", after: third, gapMinutes: 45, buffer: 60), in: store)
    }

    /// Bookings written before the buffers were in the check may stand closer than the mean of their buffers (the
    /// setting lowered, a booking made, the setting raised): the migration keeps them, and the check holds from
    /// then on.
    @Test func theMigrationKeepsBookingsThatStandCloserThanTheirBuffers() async throws {
        let settings = try await StoreKind.freshPostgresDatabase()
        let before = PostgresSchema.migrations.prefix { $0.name != PostgresSchema.claimsKeepBuffers.name }
        try #require(before.count < PostgresSchema.migrations.count)
        let older = try await PostgresBookingStore(
            settings: settings, logger: Logger(label: "rendezvous.tests"), migrations: Array(before))
        try await BookingWorkflow.testing(store: older).practice.installIfEmpty(.sample())
        let first = Booking.sample(id: "bk_first", client: self.client.id)
        try await older.write { [client] tx in
            try await tx.insert(client)
            try await tx.insert(first)
        }
        try await Self.setBuffer(30, in: older)
        let second = self.booking("bk_second", after: first, gapMinutes: 30, buffer: 30)
        try await older.write { try await $0.insert(second) }
        try await Self.setBuffer(60, in: older)
        older.shutdown()

        let store = try await PostgresBookingStore(settings: settings)
        defer { store.shutdown() }
        #expect(try await store.appliedMigrations() == PostgresBookingStore.migrationNames)
        // The second booking's claim keeps 15 minutes after it (half its gap to the first), a new one 30 before it.
        await self.expectRefused(
            self.booking("bk_third", after: second, gapMinutes: 44, buffer: 60), in: store, "44 minutes, not 45")
        try await self.insert(self.booking("bk_third", after: second, gapMinutes: 45, buffer: 60), in: store)
    }
}
