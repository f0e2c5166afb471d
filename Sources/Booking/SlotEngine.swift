import Foundation

/// Time a staff member is already taken: a booking that occupies its slot, or a live hold.
public struct BusyTime: Hashable, Sendable {
    public var staffID: StaffID
    public var start: Date
    public var end: Date

    public init(staffID: StaffID, start: Date, end: Date) {
        self.staffID = staffID
        self.start = start
        self.end = end
    }
}

/// A bookable start time and the staff member who would take it.
public struct Slot: Hashable, Sendable, Codable {
    public var start: Date
    public var end: Date
    public var staffID: StaffID
    public var location: WorkLocation

    public init(start: Date, end: Date, staffID: StaffID, location: WorkLocation) {
        self.start = start
        self.end = end
        self.staffID = staffID
        self.location = location
    }
}

/// What the slot engine says about one requested start time.
public enum SlotAvailability: Hashable, Sendable {
    case available(Slot)
    /// Working time, but another booking or hold (or its buffer) is in the way for every staff member.
    case taken
    /// Not a bookable start for these services (outside hours, a day off, off the step).
    case unavailable
}

/// Computes bookable start times from schedules, existing bookings and the rules. Pure: `now` comes in.
///
/// Slots are built per local day of each staff member's time zone, stepping the wall clock, so a day when clocks
/// change has no slot at a local time that does not exist and none twice.
public struct SlotEngine: Sendable {
    /// The staff members to consider, in order of preference when several can take a start.
    public let schedules: [StaffSchedule]
    /// The client's own bookings that count towards the per-client caps (nil: no client known, no caps).
    public let clientBookings: [Booking]?
    /// Who takes a start several staff members could take.
    public let assignment: StaffAssignment
    private let busyByStaff: [StaffID: BusyIndex]

    public init(
        schedules: [StaffSchedule], busy: [BusyTime], clientBookings: [Booking]? = nil,
        assignment: StaffAssignment = .firstInScheduleOrder
    ) {
        self.schedules = schedules
        self.clientBookings = clientBookings
        self.assignment = assignment
        self.busyByStaff = Dictionary(grouping: busy, by: \.staffID).mapValues(BusyIndex.init)
    }

    /// All bookable starts for the selection whose start falls on the given dates of `displayTimeZone`.
    public func slots(
        for selection: ServiceSelection, dates: DateRange, displayTimeZone: ZonedCalendar, rules: BookingRules,
        now: Date
    ) -> [Slot] {
        let windowStart = displayTimeZone.startOfDay(dates.first)
        let windowEnd = displayTimeZone.startOfDay(dates.last.adding(days: 1))
        let earliest = max(windowStart, now.addingTimeInterval(TimeInterval(rules.minimumLeadTimeMinutes * 60)))
        let latest = min(windowEnd, now.addingTimeInterval(TimeInterval(rules.maximumAdvanceDays * 86_400)))
        guard earliest < latest else { return [] }
        var byStart: [Date: [Slot]] = [:]
        for schedule in self.schedules where schedule.offers(selection.serviceIDs) {
            for slot in self.candidates(
                for: selection, schedule: schedule, from: earliest, to: latest, rules: rules, now: now, checkBusy: true)
            {
                byStart[slot.start, default: []].append(slot)
            }
        }
        return byStart.values.compactMap(self.assignment.choose).sorted { $0.start < $1.start }
    }

    /// Whether one start can be booked, ignoring lead time and advance window (the caller checks those, to give a
    /// precise refusal). `staffID` restricts the answer to one staff member.
    public func availability(
        of selection: ServiceSelection, at start: Date, staffID: StaffID? = nil, rules: BookingRules, now: Date
    ) -> SlotAvailability {
        let end = start.addingTimeInterval(1)
        var sawFreeTime = false
        var free: [Slot] = []
        for schedule in self.schedules
        where schedule.offers(selection.serviceIDs) && (staffID == nil || staffID == schedule.staffID) {
            let working = self.candidates(
                for: selection, schedule: schedule, from: start, to: end, rules: rules, now: now, checkBusy: false)
            guard let slot = working.first(where: { $0.start == start }) else { continue }
            sawFreeTime = true
            if !self.isBusy(schedule: schedule, start: slot.start, end: slot.end) { free.append(slot) }
        }
        if let slot = self.assignment.choose(free) { return .available(slot) }
        return sawFreeTime ? .taken : .unavailable
    }

    /// A start an admin books by hand: working hours do not matter, only that the staff member (and the buffers
    /// around their other bookings) is free. Nil when every staff member offering the services is taken.
    public func freeAtAnyHour(_ selection: ServiceSelection, at start: Date, staffID: StaffID? = nil) -> Slot? {
        let end = start.addingTimeInterval(selection.duration)
        let free = self.schedules.filter { schedule in
            schedule.offers(selection.serviceIDs) && (staffID == nil || staffID == schedule.staffID)
                && !self.isBusy(schedule: schedule, start: start, end: end)
        }
        return self.assignment.choose(
            free.map { Slot(start: start, end: end, staffID: $0.staffID, location: .office) })
    }

    /// Whether the per-client caps of `rules` leave room for one more booking on `start`'s local day and week.
    public func clientHasRoom(at start: Date, in zone: ZonedCalendar, rules: BookingRules, now: Date) -> Bool {
        guard let bookings = self.clientBookings else { return true }
        let day = zone.localDate(of: start)
        let counted = bookings.filter { $0.occupiesSlot(at: now) }.map { zone.localDate(of: $0.start) }
        if let perDay = rules.maxBookingsPerClientPerDay, counted.filter({ $0 == day }).count >= perDay { return false }
        if let perWeek = rules.maxBookingsPerClientPerWeek,
            counted.filter({ $0.startOfWeek == day.startOfWeek }).count >= perWeek
        {
            return false
        }
        return true
    }

    // MARK: - Candidates

    private func candidates(
        for selection: ServiceSelection, schedule: StaffSchedule, from earliest: Date, to latest: Date,
        rules: BookingRules, now: Date, checkBusy: Bool
    ) -> [Slot] {
        guard let zone = ZonedCalendar(identifier: schedule.timeZone) else { return [] }
        let duration = selection.duration
        let step = max(rules.slotStepMinutes, 1)
        var slots: [Slot] = []
        var day = zone.localDate(of: earliest)
        let lastDay = zone.localDate(of: latest)
        while day <= lastDay {
            defer { day = day.adding(days: 1) }
            let intervals = schedule.intervals(on: day)
            guard !intervals.isEmpty else { continue }
            if self.clientBookings != nil, checkBusy,
                !self.clientHasRoom(
                    at: zone.startOfDay(day).addingTimeInterval(43_200), in: zone, rules: rules, now: now)
            {
                continue
            }
            // On a day of 24 hours (no clock change) a wall time is midnight plus its minutes: no calendar
            // arithmetic per candidate. Days with a change take the calendar's answer for each start.
            let midnight = zone.startOfDay(day)
            let regularDay = zone.startOfDay(day.adding(days: 1)).timeIntervalSince(midnight) == 86_400
            for interval in intervals {
                // 24:00 is the next day's start, even when the next day begins late or not at all.
                let end =
                    interval.end.minutes >= 1440
                    ? zone.startOfDay(day.adding(days: 1)) : zone.instant(on: day, at: interval.end)
                guard let intervalEnd = end else { continue }
                // NB: starts are aligned to the step counted from midnight, not from the interval's start, so that
                // slots of different intervals and staff line up on one grid.
                var minute = (interval.start.minutes + step - 1) / step * step
                while minute < interval.end.minutes {
                    defer { minute += step }
                    // A wall time the clocks skip has no instant; one they show twice gives its first occurrence.
                    let start: Date
                    if regularDay {
                        start = midnight.addingTimeInterval(TimeInterval(minute * 60))
                    } else {
                        guard let time = LocalTime(minutes: minute), let instant = zone.instant(on: day, at: time)
                        else { continue }
                        start = instant
                    }
                    let end = start.addingTimeInterval(duration)
                    guard end <= intervalEnd, start >= earliest, start < latest else { continue }
                    if checkBusy, self.isBusy(schedule: schedule, start: start, end: end) { continue }
                    slots.append(Slot(start: start, end: end, staffID: schedule.staffID, location: interval.location))
                }
            }
        }
        return slots
    }

    private func isBusy(schedule: StaffSchedule, start: Date, end: Date) -> Bool {
        self.busyByStaff[schedule.staffID]?.conflicts(start: start, end: end, buffer: schedule.buffer) ?? false
    }
}

/// Busy times of one staff member sorted by start, with the running maximum of their ends, so a conflict test is
/// one binary search.
private struct BusyIndex: Sendable {
    private let starts: [Date]
    private let maxEndSoFar: [Date]

    init(_ busy: [BusyTime]) {
        let sorted = busy.sorted { $0.start < $1.start }
        self.starts = sorted.map(\.start)
        var running = Date.distantPast
        self.maxEndSoFar = sorted.map { item in
            running = max(running, item.end)
            return running
        }
    }

    /// Whether `[start, end)` widened by `buffer` on both sides overlaps any busy time.
    func conflicts(start: Date, end: Date, buffer: TimeInterval) -> Bool {
        let limit = end.addingTimeInterval(buffer)
        // Busy times starting before `limit` are candidates; the latest end among them decides.
        var low = 0
        var high = self.starts.count
        while low < high {
            let mid = (low + high) / 2
            if self.starts[mid] < limit { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return false }
        return self.maxEndSoFar[low - 1] > start.addingTimeInterval(-buffer)
    }
}
