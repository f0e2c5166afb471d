import Booking
import Foundation

/// A staff member's hours as an admin types them on the profile page, one line of text each:
/// - a day's hours: `09:00-12:00 office, 13:00-17:00 home` (location `office`, `home` or `online`, in English or
///   French — `cabinet`, `domicile`, `en ligne`; `office` when left out); empty for a day off;
/// - days off, one per line: `2026-12-24` or `2026-12-24 2026-12-31`;
/// - special days, one per line: `2026-12-31 09:00-12:00 office`.
enum ScheduleText {
    /// What is wrong in one field, for the page to say in the admin's language: the catalog's `schedule.<kind>`
    /// text with `field` (a weekday, `daysOff` or `specialDays`) named, and what was typed.
    struct Problem: Error, Equatable {
        enum Kind: String { case hours, place, order, dayOff, dayOffOrder, specialDayDate }
        var kind: Kind
        var field: String
        var values: [String: String]
    }

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

    /// The intervals of one day's line; the field names the day in the problem.
    static func intervals(_ text: String, field: String) throws(Problem) -> [WorkingInterval] {
        var intervals: [WorkingInterval] = []
        for part in text.split(separator: ",") {
            let piece = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "–", with: "-")
            if piece.isEmpty { continue }
            let words = piece.split(separator: " ", maxSplits: 1).map(String.init)
            let times = words[0].split(separator: "-").map { String($0) }
            guard times.count == 2, let start = LocalTime(iso: times[0]), let end = LocalTime(iso: times[1]) else {
                throw Problem(kind: .hours, field: field, values: ["text": piece])
            }
            var location = WorkLocation.office
            if words.count == 2 {
                guard let named = Self.locations[words[1].lowercased().trimmingCharacters(in: .whitespaces)] else {
                    throw Problem(kind: .place, field: field, values: ["text": words[1]])
                }
                location = named
            }
            guard let interval = try? WorkingInterval(start: start, end: end, location: location) else {
                throw Problem(kind: .order, field: field, values: ["start": "\(start)", "end": "\(end)"])
            }
            intervals.append(interval)
        }
        return intervals
    }

    /// Days off, one range per line.
    static func daysOff(_ text: String) throws(Problem) -> [DateRange] {
        var ranges: [DateRange] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let dates = line.split(whereSeparator: { $0 == " " || $0 == "–" }).map(String.init).filter { $0 != "-" }
            guard (1...2).contains(dates.count), let first = LocalDate(iso: dates[0]),
                let last = LocalDate(iso: dates.count == 2 ? dates[1] : dates[0])
            else {
                throw Problem(kind: .dayOff, field: "daysOff", values: ["text": String(line)])
            }
            guard let range = try? DateRange(first: first, last: last) else {
                throw Problem(kind: .dayOffOrder, field: "daysOff", values: ["first": "\(first)", "last": "\(last)"])
            }
            ranges.append(range)
        }
        return ranges
    }

    static func format(_ ranges: [DateRange]) -> String {
        ranges.map { $0.first == $0.last ? "\($0.first)" : "\($0.first) \($0.last)" }.joined(separator: "\n")
    }

    /// Special days, one per line.
    static func specialDays(_ text: String) throws(Problem) -> [SpecialDay] {
        var days: [SpecialDay] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard let date = parts.first.flatMap(LocalDate.init(iso:)) else {
                throw Problem(kind: .specialDayDate, field: "specialDays", values: ["text": String(line)])
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
