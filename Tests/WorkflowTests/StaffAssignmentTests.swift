import Booking
import Foundation
import TestSupport
import Testing
import Workflow

/// The staff choice is made in one place (`StaffAssignment`): the slots a client sees, the slot a client claims and
/// the slot an admin books by hand all give a start to the first free staff member in schedule order.
@Suite struct StaffAssignmentTests {
    let admin = AdminID(rawValue: "adm_1")

    @Test func theFirstFreeStaffMemberInScheduleOrderTakesAClientsStart() async throws {
        let practice = try await TestPractice(setup: .sample(staff: [.camille, .noor]))
        let day = try #require(LocalDate(year: 2026, month: 12, day: 1))
        let tuesday = try DateRange(first: day, last: day)
        let shown = try await practice.workflow.clients.availableSlots(
            serviceIDs: [Service.chatFirst.id], dates: tuesday, timeZone: "Europe/Paris")
        #expect(shown.first { $0.start == Instants.tuesdayTen }?.staffID == StaffMember.camille.id)
        let first = try await practice.workflow.clients.book(practice.request())
        let second = try await practice.workflow.clients.book(practice.request(email: "max@example.com"))
        #expect(first.booking.staffID == StaffMember.camille.id)
        #expect(second.booking.staffID == StaffMember.noor.id)
        // The slot list now offers the start with the one left free, then not at all.
        let after = try await practice.workflow.clients.availableSlots(
            serviceIDs: [Service.chatFirst.id], dates: tuesday, timeZone: "Europe/Paris")
        #expect(!after.contains { $0.start == Instants.tuesdayTen })
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.clients.book(practice.request(email: "ines@example.com"))
        }
    }

    @Test func anAdminsStartOutsideHoursGoesToTheFirstFreeStaffMemberToo() async throws {
        let practice = try await TestPractice(setup: .sample(staff: [.camille, .noor]))
        // 07:00 in Paris: before working hours, which admins may book.
        let early = Instants.utc("2026-12-01T06:00:00Z")
        func byHand(_ email: String) async throws -> Booking {
            try await practice.workflow.admin.createByHand(
                AdminBookingRequest(
                    client: .new(name: "Client", email: email, phone: nil), serviceIDs: [Service.chatFirst.id],
                    start: early),
                by: self.admin
            ).booking
        }
        #expect(try await byHand("a@example.com").staffID == StaffMember.camille.id)
        #expect(try await byHand("b@example.com").staffID == StaffMember.noor.id)
        await #expect(throws: BookingError.slotTaken) { _ = try await byHand("c@example.com") }
    }

    @Test func theEngineChoosesThroughThePolicy() {
        let start = Instants.tuesdayTen
        let candidates = [StaffMember.noor, .camille].map {
            Slot(start: start, end: start.addingTimeInterval(2700), staffID: $0.id, location: .office)
        }
        #expect(StaffAssignment.firstInScheduleOrder.choose(candidates)?.staffID == StaffMember.noor.id)
        #expect(StaffAssignment.firstInScheduleOrder.choose([]) == nil)
    }
}

/// An admin may move a booking to another staff member who takes its services, never over their other bookings.
@Suite struct RescheduleToAnotherStaffTests {
    @Test func aBookingMovesToAnotherStaffMemberWhoIsFree() async throws {
        let practice = try await TestPractice(setup: .sample(staff: [.camille, .noor]))
        let admin = AdminDecision(admin: AdminID(rawValue: "adm_1"))
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        #expect(booking.staffID == StaffMember.camille.id)
        let taken = try await practice.workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(2 * 3600), email: "max@example.com")
        ).booking
        let moved = try await practice.workflow.admin.reschedule(
            booking.id, to: Instants.tuesdayTen, staffID: StaffMember.noor.id, admin)
        #expect(moved.staffID == StaffMember.noor.id)
        #expect(moved.start == Instants.tuesdayTen)
        #expect(try await practice.workflow.history(of: booking.id).last?.reason?.contains("to stf_noor") == true)
        // Not over another booking of the new staff member (Max's moves to Noor's time: refused).
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.admin.reschedule(
                taken.id, to: Instants.tuesdayTen, staffID: StaffMember.noor.id, admin)
        }
        await #expect(throws: BookingError.self) {
            try await practice.workflow.admin.reschedule(
                taken.id, to: Instants.tuesdayTen, staffID: StaffID(rawValue: "stf_nobody"), admin)
        }
    }
}
