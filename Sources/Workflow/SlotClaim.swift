import Booking
import Foundation

/// A slot found free inside the current write transaction, with its staff member's buffer.
struct ClaimedSlot {
    var slot: Slot
    var bufferMinutes: Int
}

extension UseCase {
    /// Claims a start inside the write transaction: the staff member who takes it is chosen by the context's
    /// `StaffAssignment` (through `SlotEngine`), or `staffID` when given. Throws `slotTaken` / `slotUnavailable` /
    /// `clientLimitReached`. With `anyTime` (admins) working hours are not required, only freedom from overlap.
    func claim(
        _ selection: ServiceSelection, at start: Date, staffID: StaffID?, rules: BookingRules,
        clientBookings: [Booking]?, now: Date, anyTime: Bool = false, in tx: any BookingStoreReader
    ) async throws -> ClaimedSlot {
        let schedules = try await tx.schedules().filter { schedule in
            schedule.offers(selection.serviceIDs) && (staffID == nil || schedule.staffID == staffID)
        }
        guard !schedules.isEmpty else {
            throw staffID == nil
                ? BookingError.slotUnavailable(reason: "no staff member offers these services")
                : BookingError.invalidField(field: "staffId", reason: "this staff member does not offer these services")
        }
        let end = start.addingTimeInterval(selection.duration)
        let widest = TimeInterval((schedules.map(\.bufferMinutes).max() ?? 0) * 60)
        let window = DateInterval(start: start.addingTimeInterval(-widest), end: end.addingTimeInterval(widest))
        let busy = try await tx.busyTimes(
            staffIDs: schedules.map(\.staffID), overlapping: window, at: now, excluding: nil)
        let engine = SlotEngine(
            schedules: schedules, busy: busy, clientBookings: clientBookings, assignment: self.context.assignment)
        let claimed: Slot
        if anyTime {
            guard let slot = engine.freeAtAnyHour(selection, at: start) else { throw BookingError.slotTaken }
            claimed = slot
        } else {
            switch engine.availability(of: selection, at: start, rules: rules, now: now) {
            case .available(let slot):
                claimed = slot
            case .taken:
                throw BookingError.slotTaken
            case .unavailable:
                throw BookingError.slotUnavailable(
                    reason: "it is outside working hours or not on the \(rules.slotStepMinutes)-minute grid")
            }
        }
        let schedule = schedules.first { $0.staffID == claimed.staffID }!
        if !anyTime, let zone = ZonedCalendar(identifier: schedule.timeZone),
            !engine.clientHasRoom(at: start, in: zone, rules: rules, now: now)
        {
            throw BookingError.clientLimitReached(reason: Self.capDescription(rules))
        }
        return ClaimedSlot(slot: claimed, bufferMinutes: schedule.bufferMinutes)
    }

    static func checkWindow(start: Date, rules: BookingRules, now: Date) throws(BookingError) {
        if start < now.addingTimeInterval(TimeInterval(rules.minimumLeadTimeMinutes * 60)) {
            throw .outsideBookingWindow(
                reason: "sessions must be booked at least \(rules.minimumLeadTimeMinutes) minutes ahead")
        }
        if start > now.addingTimeInterval(TimeInterval(rules.maximumAdvanceDays * 86_400)) {
            throw .outsideBookingWindow(reason: "sessions can be booked at most \(rules.maximumAdvanceDays) days ahead")
        }
    }

    static func capDescription(_ rules: BookingRules) -> String {
        var parts: [String] = []
        if let perDay = rules.maxBookingsPerClientPerDay { parts.append("\(perDay) per day") }
        if let perWeek = rules.maxBookingsPerClientPerWeek { parts.append("\(perWeek) per week") }
        return "at most " + parts.joined(separator: " and ")
    }
}
