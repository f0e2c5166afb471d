import Foundation

/// Where a staff member works during an interval.
public enum WorkLocation: String, Hashable, Sendable, Codable, CaseIterable {
    case office
    case home
    case online
}

/// A span of working time within one local day, with its location.
public struct WorkingInterval: Hashable, Sendable, Codable {
    public var start: LocalTime
    public var end: LocalTime
    public var location: WorkLocation

    /// Creates an interval; `start` must be before `end`.
    public init(start: LocalTime, end: LocalTime, location: WorkLocation = .office) throws(BookingError) {
        guard start < end else { throw .invalidField(field: "workingHours", reason: "\(start) is not before \(end)") }
        self.start = start
        self.end = end
        self.location = location
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let start = try container.decode(LocalTime.self, forKey: .start)
        let end = try container.decode(LocalTime.self, forKey: .end)
        let location = try container.decodeIfPresent(WorkLocation.self, forKey: .location) ?? .office
        do { try self.init(start: start, end: end, location: location) } catch {
            throw DecodingError.dataCorruptedError(forKey: .end, in: container, debugDescription: error.message)
        }
    }
}

/// A date whose working hours replace those of its weekday (an empty list closes the day).
public struct SpecialDay: Hashable, Sendable, Codable {
    public var date: LocalDate
    public var intervals: [WorkingInterval]

    public init(date: LocalDate, intervals: [WorkingInterval]) {
        self.date = date
        self.intervals = intervals
    }
}

/// A staff member who takes sessions.
public struct StaffMember: Hashable, Sendable, Codable, Identifiable {
    public var id: StaffID
    public var name: String
    /// How the practice reaches this staff member (not shown to clients).
    public var email: EmailAddress?
    public var phone: String?

    public init(id: StaffID, name: String, email: EmailAddress? = nil, phone: String? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
    }
}

/// When and where a staff member works, which services they offer, and the buffer between appointments.
public struct StaffSchedule: Hashable, Sendable, Codable {
    /// The staff member this schedule belongs to.
    public var staffID: StaffID
    /// IANA time zone the hours are written in (`Europe/Paris`).
    public var timeZone: String
    /// Working intervals for each weekday; a missing weekday is a day off.
    public var weeklyHours: [Weekday: [WorkingInterval]]
    /// Free minutes kept before and after every appointment.
    public var bufferMinutes: Int
    /// Date ranges with no work at all; they win over special days.
    public var daysOff: [DateRange]
    /// Dates with their own hours, overriding the weekday.
    public var specialDays: [SpecialDay]
    /// The services this staff member takes.
    public var serviceIDs: Set<ServiceID>

    public init(
        staffID: StaffID, timeZone: String, weeklyHours: [Weekday: [WorkingInterval]],
        bufferMinutes: Int = 60, daysOff: [DateRange] = [], specialDays: [SpecialDay] = [],
        serviceIDs: Set<ServiceID>
    ) {
        self.staffID = staffID
        self.timeZone = timeZone
        self.weeklyHours = weeklyHours
        self.bufferMinutes = bufferMinutes
        self.daysOff = daysOff
        self.specialDays = specialDays
        self.serviceIDs = serviceIDs
    }

    /// The default schedule: Monday to Friday, 09:00–17:00 at the office, a one-hour buffer.
    public static func standard(staffID: StaffID, timeZone: String, serviceIDs: Set<ServiceID>) -> StaffSchedule {
        let nineToFive = [try! WorkingInterval(start: LocalTime(hour: 9)!, end: LocalTime(hour: 17)!)]
        let weekdays: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday]
        return StaffSchedule(
            staffID: staffID, timeZone: timeZone,
            weeklyHours: Dictionary(uniqueKeysWithValues: weekdays.map { ($0, nineToFive) }),
            serviceIDs: serviceIDs
        )
    }

    /// The working intervals of one local date: none on a day off, a special day's own, else the weekday's.
    public func intervals(on date: LocalDate) -> [WorkingInterval] {
        if self.daysOff.contains(where: { $0.contains(date) }) { return [] }
        if let special = self.specialDays.first(where: { $0.date == date }) { return special.intervals }
        return self.weeklyHours[date.weekday] ?? []
    }

    /// Where this staff member works at `instant` (the working interval it falls in), if they work then.
    public func location(at instant: Date) -> WorkLocation? {
        guard let zone = ZonedCalendar(identifier: self.timeZone) else { return nil }
        let day = zone.localDate(of: instant)
        let minutes = Int(instant.timeIntervalSince(zone.startOfDay(day)) / 60)
        return self.intervals(on: day).first { $0.start.minutes <= minutes && minutes < $0.end.minutes }?.location
    }

    /// Whether this staff member offers every one of the services.
    public func offers(_ services: some Sequence<ServiceID>) -> Bool {
        services.allSatisfy { self.serviceIDs.contains($0) }
    }

    /// The buffer as a time interval.
    public var buffer: TimeInterval { TimeInterval(self.bufferMinutes * 60) }

    /// Checks what an admin may edit: a known time zone, a sane buffer, no overlapping intervals in a day.
    public func validated() throws(BookingError) -> StaffSchedule {
        guard ZonedCalendar(identifier: self.timeZone) != nil else {
            throw .invalidField(field: "timeZone", reason: "unknown IANA time zone \(self.timeZone)")
        }
        guard (0...(8 * 60)).contains(self.bufferMinutes) else {
            throw .invalidField(field: "bufferMinutes", reason: "must be between 0 and 480")
        }
        let days = Array(self.weeklyHours.values) + self.specialDays.map(\.intervals)
        for intervals in days {
            let sorted = intervals.sorted { $0.start < $1.start }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.start < earlier.end {
                throw .invalidField(
                    field: "workingHours",
                    reason: "intervals \(earlier.start)–\(earlier.end) and \(later.start)–\(later.end) overlap")
            }
        }
        guard Set(self.specialDays.map(\.date)).count == self.specialDays.count else {
            throw .invalidField(field: "specialDays", reason: "a date appears twice")
        }
        return self
    }
}
