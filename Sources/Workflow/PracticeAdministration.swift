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
    /// The staff member's email and phone are kept; `saveStaffContact` changes them.
    public func saveSchedule(_ schedule: StaffSchedule, name: String) async throws {
        let schedule = try schedule.validated()
        let name = try Client.validatedName(name)
        try await self.store.write { tx in
            let known = Set(try await tx.services().map(\.id))
            if let unknown = schedule.serviceIDs.first(where: { !known.contains($0) }) {
                throw BookingError.invalidField(field: "serviceIds", reason: "unknown service \(unknown)")
            }
            let current = try await tx.staff().first { $0.id == schedule.staffID }
            try await tx.save(
                StaffMember(id: schedule.staffID, name: name, email: current?.email, phone: current?.phone),
                schedule: schedule)
        }
    }

    /// Saves how the practice reaches a staff member: an email and a phone (both optional).
    public func saveStaffContact(_ id: StaffID, email: String?, phone: String?) async throws {
        let email = try email.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try EmailAddress($0) }
        let phone = try Client.validatedPhone(phone)
        try await self.store.write { tx in
            guard var member = try await tx.staff().first(where: { $0.id == id }),
                let schedule = try await tx.schedules().first(where: { $0.staffID == id })
            else { throw BookingError.notFound(what: "staff member") }
            member.email = email
            member.phone = phone
            try await tx.save(member, schedule: schedule)
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

    // MARK: - Staff calendar feeds

    /// The secret address of a staff member's calendar feed, if it has one.
    public func calendarFeedSecret(_ staffID: StaffID) async throws -> String? {
        try await self.store.read { try await $0.calendarFeedSecret(staffID: staffID) }
    }

    /// Gives a staff member's calendar feed a new secret address (256 bits), revoking the old one.
    public func renewCalendarFeed(_ staffID: StaffID) async throws -> String {
        let secret = self.ids.token(length: 52)
        let now = self.clock.now()
        try await self.store.write { tx in
            guard try await tx.staff().contains(where: { $0.id == staffID }) else {
                throw BookingError.notFound(what: "staff member")
            }
            try await tx.setCalendarFeedSecret(staffID: staffID, secret: secret, at: now)
        }
        return secret
    }

    /// Revokes a staff member's calendar feed: its address answers 404 from now on.
    public func revokeCalendarFeed(_ staffID: StaffID) async throws {
        let now = self.clock.now()
        try await self.store.write { try await $0.setCalendarFeedSecret(staffID: staffID, secret: nil, at: now) }
    }

    /// What a calendar feed lists: its staff member, and their approved and pending bookings from 30 days ago to a
    /// year ahead with their clients. Nil for an unknown (or revoked) secret.
    public func calendarFeed(secret: String) async throws -> CalendarFeed? {
        let now = self.clock.now()
        return try await self.store.read { reader in
            guard let staffID = try await reader.staffID(calendarFeedSecret: secret),
                let member = try await reader.staff().first(where: { $0.id == staffID })
            else { return nil }
            var filter = BookingFilter(
                states: [.approved, .awaitingApproval, .awaitingPayment, .awaitingClientConfirmation],
                from: now.addingTimeInterval(-30 * 86_400), to: now.addingTimeInterval(365 * 86_400), limit: 5000)
            filter.staffID = staffID
            let bookings = try await reader.bookings(matching: filter).filter { $0.occupiesSlot(at: now) }
            let clients = try await reader.clients(Set(bookings.map(\.clientID)))
            return CalendarFeed(staff: member, bookings: bookings.map { ($0, clients[$0.clientID]) })
        }
    }
}

/// A staff member's calendar feed: their bookings that hold time, with their clients.
public struct CalendarFeed: Sendable {
    public var staff: StaffMember
    public var bookings: [(booking: Booking, client: Client?)]
}
