import Foundation

/// A calendar date with no time zone (`2026-03-29`), as people write days off and special days.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, CodingKeyRepresentable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date, refusing impossible ones (`2026-02-30`).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= Self.daysInMonth(year: year, month: month)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The date `daysSinceEpoch` days after 1970-01-01 (proleptic Gregorian; Howard Hinnant's civil algorithm).
    public init(daysSinceEpoch: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int {
        let y = self.month <= 2 ? self.year - 1 : self.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (self.month > 2 ? self.month - 3 : self.month + 9) + 2) / 5 + self.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` later (or earlier when negative).
    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: self.daysSinceEpoch + days) }

    /// The first day of this date's month.
    public var firstOfMonth: LocalDate { LocalDate(year: self.year, month: self.month, day: 1)! }

    /// The first day of the month `months` later (or earlier when negative).
    public func adding(months: Int) -> LocalDate {
        let index = self.year * 12 + (self.month - 1) + months
        return LocalDate(year: index / 12, month: index % 12 + 1, day: 1)!
    }

    /// The month as `YYYY-MM`.
    public var monthISO: String { String(self.description.prefix(7)) }

    /// Parses a month `YYYY-MM` as its first day.
    public init?(month text: String) {
        guard text.count == 7 else { return nil }
        self.init(iso: text + "-01")
    }

    /// The day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday.
        let index = ((self.daysSinceEpoch % 7) + 7 + 3) % 7  // 0 = Monday
        return Weekday.allCases[index]
    }

    /// The Monday of this date's ISO week.
    public var startOfWeek: LocalDate { self.adding(days: -(self.weekday.isoNumber - 1)) }

    public var description: String {
        let month = self.month < 10 ? "0\(self.month)" : "\(self.month)"
        let day = self.day < 10 ? "0\(self.day)" : "\(self.day)"
        return "\(self.year)-\(month)-\(day)"
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date: \(text)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }

    public var codingKey: any CodingKey { DateKey(stringValue: self.description) }
    public init?<T: CodingKey>(codingKey: T) { self.init(iso: codingKey.stringValue) }

    private struct DateKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A day of the week, Monday first as in ISO 8601.
public enum Weekday: String, Hashable, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    case monday, tuesday, wednesday, thursday, friday, saturday, sunday

    /// 1 for Monday through 7 for Sunday.
    public var isoNumber: Int { Weekday.allCases.firstIndex(of: self)! + 1 }
}

/// A time of day in minutes after midnight, `00:00` to `24:00` inclusive (so a day can end at midnight).
public struct LocalTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Minutes after midnight, 0...1440.
    public let minutes: Int

    /// Creates a time from minutes after midnight.
    public init?(minutes: Int) {
        guard (0...1440).contains(minutes) else { return nil }
        self.minutes = minutes
    }

    /// Creates a time from hours and minutes.
    public init?(hour: Int, minute: Int = 0) {
        guard (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else { return nil }
        self.minutes = hour * 60 + minute
    }

    /// Parses `HH:MM`.
    public init?(iso text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1])
        else { return nil }
        self.init(hour: hour, minute: minute)
    }

    public var hour: Int { self.minutes / 60 }
    public var minute: Int { self.minutes % 60 }

    public var description: String {
        "\(self.hour < 10 ? "0" : "")\(self.hour):\(self.minute < 10 ? "0" : "")\(self.minute)"
    }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool { lhs.minutes < rhs.minutes }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let time = LocalTime(iso: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an HH:MM time: \(text)"))
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}

/// An inclusive range of local dates (`2026-08-01` through `2026-08-15`).
public struct DateRange: Hashable, Sendable, Codable {
    public var first: LocalDate
    public var last: LocalDate

    /// Creates a range; `last` must not be before `first`.
    public init(first: LocalDate, last: LocalDate) throws(BookingError) {
        guard first <= last else { throw .invalidField(field: "dateRange", reason: "\(last) is before \(first)") }
        self.first = first
        self.last = last
    }

    /// Whether the date falls inside the range.
    public func contains(_ date: LocalDate) -> Bool { self.first <= date && date <= self.last }

    /// Number of days in the range.
    public var dayCount: Int { self.last.daysSinceEpoch - self.first.daysSinceEpoch + 1 }
}

/// Converts between instants and local wall-clock times in one IANA time zone.
public struct ZonedCalendar: Sendable {
    /// The zone.
    public let timeZone: TimeZone

    /// Looks up an IANA identifier (`Europe/Paris`); nil for an unknown one.
    public init?(identifier: String) {
        guard !identifier.isEmpty, let zone = TimeZone(identifier: identifier) else { return nil }
        self.init(timeZone: zone)
    }

    /// Uses the given zone.
    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// The local date of an instant.
    public func localDate(of instant: Date) -> LocalDate {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + self.timeZone.secondsFromGMT(for: instant)
        return LocalDate(daysSinceEpoch: Int((Double(seconds) / 86_400).rounded(.down)))
    }

    /// The local minutes after midnight of an instant.
    public func localMinutes(of instant: Date) -> Int {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + self.timeZone.secondsFromGMT(for: instant)
        return ((seconds % 86_400 + 86_400) % 86_400) / 60
    }

    /// The instant the wall clock shows `time` on `date`, or nil when that local time does not exist (the hour
    /// skipped when clocks go forward). A time shown twice (clocks going back) gives its first occurrence.
    /// `24:00` is midnight of the next day.
    public func instant(on date: LocalDate, at time: LocalTime) -> Date? {
        if time.minutes == 1440 { return self.instant(on: date.adding(days: 1), at: LocalTime(minutes: 0)!) }
        let wall = Double(date.daysSinceEpoch * 86_400 + time.minutes * 60)
        // NB: try the offsets in force a day either side of the wall time; the earliest candidate that maps back to
        // the same wall time is the first occurrence. Offsets never change twice within two days.
        let guess = Date(timeIntervalSince1970: wall)
        let offsets = Set([
            self.timeZone.secondsFromGMT(for: guess.addingTimeInterval(-86_400)),
            self.timeZone.secondsFromGMT(for: guess),
            self.timeZone.secondsFromGMT(for: guess.addingTimeInterval(86_400)),
        ])
        let candidates = offsets.map { Date(timeIntervalSince1970: wall - Double($0)) }
            .filter { self.timeZone.secondsFromGMT(for: $0) == Int(wall - $0.timeIntervalSince1970) }
        return candidates.min()
    }

    /// The first instant of a local day (its midnight, or the first existing time after it).
    public func startOfDay(_ date: LocalDate) -> Date {
        if let midnight = self.instant(on: date, at: LocalTime(minutes: 0)!) { return midnight }
        // A zone that skips midnight itself: the day starts at the end of the gap.
        let wall = Double(date.daysSinceEpoch * 86_400)
        return Date(
            timeIntervalSince1970: wall - Double(self.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wall))))
    }
}
