import Booking
import Foundation
import TestSupport
import Testing
import Workflow

/// A payment window never outlives the session: a hold ends at the session's start at the latest.
@Suite struct HoldDeadlineTests {
    /// Monday 09:00 and 10:00 in Paris, one and two hours after `Instants.mondayMorning`.
    let nineParis = Instants.utc("2026-11-30T08:00:00Z")
    let tenParis = Instants.utc("2026-11-30T09:00:00Z")

    @Test(arguments: StoreKind.allCases)
    func aHoldThatLapsedIsExpiredByTheNextClaimNotLeftInItsWay(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let first = try await practice.workflow.clients.book(practice.request()).booking
        // The payment window passes, and a second client asks for the same time before hold expiry has run.
        practice.clock.set(try #require(first.holdUntil).addingTimeInterval(1))
        let second = try await practice.workflow.clients.book(practice.request(email: "max@example.com")).booking
        #expect(second.start == first.start && second.staffID == first.staffID)
        // The lapsed hold was expired by that claim, in its transaction, with its history line and email.
        let lapsed = try await practice.workflow.booking(first.id)
        #expect(lapsed.state == .expired)
        let history = try await practice.store.read { try await $0.history(of: first.id) }
        #expect(history.last?.to == .expired)
        #expect(try await practice.workflow.holds.expireLapsedHolds().isEmpty)
    }

    @Test func aClientHoldEndsAtTheStartWhenTheWindowWouldRunPastIt() async throws {
        // Given rules that let a client book an hour ahead with a two-hour payment window,
        var rules = BookingRules.standard
        rules.minimumLeadTimeMinutes = 0
        rules.clientPaymentWindowMinutes = 120
        let practice = try await TestPractice(setup: .sample(rules: rules))
        // When the client books the 09:00 slot at 08:00,
        let booking = try await practice.workflow.clients.book(practice.request(at: self.nineParis)).booking
        // Then the hold ends at 09:00, not at 10:00.
        #expect(booking.holdUntil == self.nineParis)
        try await self.lapses(booking, practice, at: self.nineParis)
    }

    @Test func anAdminHoldOfTwoDaysEndsAtTheStartOfASessionInTwoHours() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: .new(name: "Léa Moreau", email: "lea@example.com", phone: nil),
                serviceIDs: [Service.callFirst.id], start: self.tenParis),
            by: AdminID(rawValue: "adm_1")
        ).booking
        #expect(booking.holdUntil == self.tenParis)
        try await self.lapses(booking, practice, at: self.tenParis)
    }

    @Test func aHoldFarFromTheStartKeepsItsWholeWindow() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request(at: Instants.tuesdayTen)).booking
        #expect(booking.holdUntil == Instants.mondayMorning.addingTimeInterval(30 * 60))
    }

    @Test func reschedulingEarlierBringsTheHoldBackToTheNewStart() async throws {
        let practice = try await TestPractice()
        let admin = AdminID(rawValue: "adm_1")
        let made = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: .new(name: "Léa Moreau", email: "lea@example.com", phone: nil),
                serviceIDs: [Service.callFirst.id], start: Instants.utc("2026-12-03T09:00:00Z")),
            by: admin
        ).booking
        #expect(made.holdUntil == Instants.mondayMorning.addingTimeInterval(48 * 3600))
        let moved = try await practice.workflow.admin.reschedule(
            made.id, to: self.tenParis, AdminDecision(admin: admin))
        #expect(moved.holdUntil == self.tenParis)
    }

    /// Unpaid at its start, the booking lapses like any other: expired, its slot free, the client told.
    func lapses(_ booking: Booking, _ practice: TestPractice, at start: Date) async throws {
        practice.clock.set(start.addingTimeInterval(-1))
        #expect(try await practice.workflow.holds.expireLapsedHolds().isEmpty)
        practice.clock.set(start)
        #expect(try await practice.workflow.holds.expireLapsedHolds() == [booking.id])
        #expect(try await practice.workflow.booking(booking.id).state == .expired)
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(effects.contains(.emailClient(.paymentLapsed)))
    }
}
