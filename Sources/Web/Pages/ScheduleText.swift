import Booking
import Foundation

/// A staff member's hours as an admin types them on the profile page, one line of text each:
/// - a day's hours: `09:00-12:00 office, 13:00-17:00 home` (location `office`, `home` or `online`, in English or
///   French — `cabinet`, `domicile`, `en ligne`; `office` when left out); empty for a day off;
/// - days off, one per line: `2026-12-24` or `2026-12-24 2026-12-31`;
/// - special days, one per line: `2026-12-31 09:00-12:00 office`.
enum ScheduleText {
    static let locations: [String: WorkLocation] = [
        "office": .office, "cabinet": .office, "home": .home, "domicile": .home, "online": .online,
        "en ligne": .online, "enligne": .online,
    ]

    /// The word for `location` in `language`, as the page writes hours back (either language's word is read).
    static func word(for location: WorkLocation, in language: Language) -> String {
        switch (location, language) {
        case (.office, .en): "office"
        case (.home, .en): "home"
        case (.online, .en): "online"
        case (.office, .fr): "cabinet"
        case (.home, .fr): "domicile"
        case (.online, .fr): "en ligne"
        }
    }

    /// `09:00-12:00 office, 13:00-17:00 home`; in French `09:00-12:00 cabinet, 13:00-17:00 domicile`.
    static func format(_ intervals: [WorkingInterval], in language: Language) -> String {
        intervals.sorted { $0.start < $1.start }.map {
            "\($0.start)-\($0.end) \(Self.word(for: $0.location, in: language))"
        }.joined(separator: ", ")
    }

    /// The intervals of one day's line; the field names the day in the error.
    static func intervals(_ text: String, field: String) throws(BookingError) -> [WorkingInterval] {
        var intervals: [WorkingInterval] = []
        for part in text.split(separator: ",") {
            let piece = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "–", with: "-")
            if piece.isEmpty { continue }
            let words = piece.split(separator: " ", maxSplits: 1).map(String.init)
            let times = words[0].split(separator: "-").map { String($0) }
            guard times.count == 2, let start = LocalTime(iso: times[0]), let end = LocalTime(iso: times[1]) else {
                throw .invalidField(field: field, reason: "write hours as 09:00-12:00, not \(piece)")
            }
            var location = WorkLocation.office
            if words.count == 2 {
                guard let named = Self.locations[words[1].lowercased().trimmingCharacters(in: .whitespaces)] else {
                    throw .invalidField(field: field, reason: "the place is office, home or online, not \(words[1])")
                }
                location = named
            }
            intervals.append(try WorkingInterval(start: start, end: end, location: location))
        }
        return intervals
    }

    /// Days off, one range per line.
    static func daysOff(_ text: String) throws(BookingError) -> [DateRange] {
        var ranges: [DateRange] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let dates = line.split(whereSeparator: { $0 == " " || $0 == "–" }).map(String.init).filter { $0 != "-" }
            guard (1...2).contains(dates.count), let first = LocalDate(iso: dates[0]),
                let last = LocalDate(iso: dates.count == 2 ? dates[1] : dates[0])
            else {
                throw .invalidField(field: "daysOff", reason: "write a day off as 2026-12-24 or 2026-12-24 2026-12-31")
            }
            ranges.append(try DateRange(first: first, last: last))
        }
        return ranges
    }

    static func format(_ ranges: [DateRange]) -> String {
        ranges.map { $0.first == $0.last ? "\($0.first)" : "\($0.first) \($0.last)" }.joined(separator: "\n")
    }

    /// Special days, one per line.
    static func specialDays(_ text: String) throws(BookingError) -> [SpecialDay] {
        var days: [SpecialDay] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard let date = parts.first.flatMap(LocalDate.init(iso:)) else {
                throw .invalidField(field: "specialDays", reason: "start each special day with its date, 2026-12-31")
            }
            days.append(
                SpecialDay(
                    date: date, intervals: try Self.intervals(parts.count == 2 ? parts[1] : "", field: "specialDays")))
        }
        return days
    }

    static func format(_ days: [SpecialDay], in language: Language) -> String {
        days.sorted { $0.date < $1.date }.map {
            "\($0.date) \(Self.format($0.intervals, in: language))".trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
