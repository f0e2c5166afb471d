import Booking
import Foundation

/// Running the practice: installing a setup, the catalog, staff schedules and the booking rules.
public struct PracticeAdministration: UseCase {
    let context: WorkflowContext

    /// Installs a setup into an empty store; returns false (and changes nothing) when a catalog already exists.
    @discardableResult
    public func installIfEmpty(_ setup: PracticeSetup) async throws -> Bool {
        for service in setup.services { _ = try service.validated() }
        for entry in setup.staff {
            guard entry.member.id == entry.schedule.staffID else {
                throw BookingError.invalidField(
                    field: "staff", reason: "schedule of \(entry.schedule.staffID) filed under \(entry.member.id)")
            }
            _ = try entry.schedule.validated()
        }
        let rules = try setup.rules.validated()
        return try await self.store.write { tx in
            guard try await tx.services().isEmpty else { return false }
            for service in setup.services { try await tx.save(service) }
            for entry in setup.staff { try await tx.save(entry.member, schedule: entry.schedule) }
            try await tx.save(rules)
            return true
        }
    }

    /// Saves a staff member's schedule (working hours, buffer, days off, special days, services).
    public func saveSchedule(_ schedule: StaffSchedule, name: String) async throws {
        let schedule = try schedule.validated()
        let name = try Client.validatedName(name)
        try await self.store.write { tx in
            let known = Set(try await tx.services().map(\.id))
            if let unknown = schedule.serviceIDs.first(where: { !known.contains($0) }) {
                throw BookingError.invalidField(field: "serviceIds", reason: "unknown service \(unknown)")
            }
            try await tx.save(StaffMember(id: schedule.staffID, name: name), schedule: schedule)
        }
    }

    /// Saves the booking rules. Existing bookings keep the copy they were made with.
    public func saveRules(_ rules: BookingRules) async throws {
        let rules = try rules.validated()
        try await self.store.write { tx in try await tx.save(rules) }
    }

    /// Adds or edits a service of the catalog.
    public func saveService(_ service: Service) async throws {
        let service = try service.validated()
        try await self.store.write { tx in try await tx.save(service) }
    }

    /// The current rules.
    public func rules() async throws -> BookingRules { try await self.store.read { try await $0.rules() } }

    /// The catalog, in display order.
    public func services() async throws -> [Service] { try await self.store.read { try await $0.services() } }

    /// Staff schedules, in order of preference.
    public func schedules() async throws -> [StaffSchedule] { try await self.store.read { try await $0.schedules() } }

    /// The staff members, in schedule order.
    public func staff() async throws -> [StaffMember] { try await self.store.read { try await $0.staff() } }
}
