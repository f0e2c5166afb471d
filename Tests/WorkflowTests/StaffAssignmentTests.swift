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
