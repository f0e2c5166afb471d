import Booking
import Foundation
import TestSupport
import Testing
import Workflow

/// What a client may change themselves: moving a booking (same staff member, working hours, a free time, up to
/// the rules' notice) and their session's life.
@Suite struct ClientChangesTests {
    @Test func aClientMovesTheirBookingWithinTheRules() async throws {
        // Given two staff members and Zoë's booking on Tuesday at 10:00 Paris time with the first of them,
        let practice = try await TestPractice(setup: .sample(staff: [.camille, .noor]))
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        let token = booking.accessToken
        let other = try await practice.workflow.clients.book(
            practice.request(at: Instants.utc("2026-12-01T12:00:00Z"), email: "max@example.com")
        ).booking
        #expect(other.staffID == booking.staffID)
        // Then a time Camille is taken is refused, even though Noor is free then,
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.clients.rescheduleByClient(token: token, to: other.start)
        }
        // and a time outside working hours is refused,
        await #expect(throws: BookingError.self) {
            try await practice.workflow.clients.rescheduleByClient(
                token: token, to: Instants.utc("2026-12-01T19:00:00Z"))
        }
        // and the free times offered are Camille's own, without the taken one.
        let day = try #require(LocalDate(year: 2026, month: 12, day: 1))
        let offered = try await practice.workflow.clients.rescheduleSlots(
            token: token, dates: try DateRange(first: day, last: day), timeZone: "Europe/Paris")
        #expect(offered.allSatisfy { $0.staffID == booking.staffID })
        #expect(!offered.contains { $0.start == other.start })
        #expect(offered.contains { $0.start == booking.start })
        // When Zoë moves to a free time, the booking moves on the same staff member and the client is told.
        let moved = try await practice.workflow.clients.rescheduleByClient(
            token: token, to: Instants.utc("2026-12-01T14:00:00Z"))
        #expect(moved.start == Instants.utc("2026-12-01T14:00:00Z"))
        #expect(moved.staffID == booking.staffID)
        #expect(try await practice.workflow.history(of: booking.id).last?.actor == .client(booking.clientID))
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(effects.contains(.emailClient(.rescheduled)))
    }

    /// A move places the booking again, with the staff member's buffer of now, whatever buffer it was made with.
    @Test(arguments: StoreKind.allCases) func aMoveKeepsTheBufferOfNow(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let (zoe, max) = try await practice.twoBookingsCloserThanTheBufferOfNow()
        // Fifteen minutes after Max's end is too close now, an hour is not.
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.clients.rescheduleByClient(
                token: zoe.accessToken, to: max.end.addingTimeInterval(15 * 60))
        }
        let moved = try await practice.workflow.clients.rescheduleByClient(
            token: zoe.accessToken, to: max.end.addingTimeInterval(60 * 60))
        #expect(moved.bufferMinutes == 60)
    }

    @Test func movingIsRefusedPastTheNotice() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        // 23 hours before the start, with the default 24 hours' notice.
        practice.clock.set(booking.start.addingTimeInterval(-23 * 3600))
        await #expect(throws: BookingError.self) {
            try await practice.workflow.clients.rescheduleByClient(
                token: booking.accessToken, to: Instants.utc("2026-12-02T09:00:00Z"))
        }
        #expect(try await practice.workflow.booking(booking.id).start == booking.start)
    }

    @Test func aClientSessionEndsWhenUnusedAndLivesOnWhenUsed() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        let accounts = practice.workflow.clientAccounts
        _ = try await accounts.startSession(clientID: booking.clientID, tokenHash: "h1")
        // Used every hour, it lives on past its first idle lifetime.
        for _ in 0..<3 {
            practice.clock.advance(by: 3600)
            #expect(try await accounts.session(tokenHash: "h1")?.client.id == booking.clientID)
        }
        // Unused for longer than the idle lifetime, it is gone.
        practice.clock.advance(by: ClientAccounts.idleLifetime + 1)
        #expect(try await accounts.session(tokenHash: "h1") == nil)
        await #expect(throws: BookingError.self) {
            try await accounts.startSession(clientID: ClientID(rawValue: "cl_nobody"), tokenHash: "h2")
        }
    }
}
