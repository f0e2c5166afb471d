import Booking
import Foundation

/// Dates, times and prices as a page shows them: in the page's language and the viewer's time zone. The one place
/// pages format them.
struct PageFormat: Sendable {
    let language: Language
    let timeZone: TimeZone

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = self.timeZone
        calendar.locale = self.language.locale
        return calendar
    }

    /// `Tuesday 1 December 2026` / `mardi 1 décembre 2026`.
    func day(_ date: Date) -> String {
        date.formatted(
            Date.FormatStyle(
                date: .complete, time: .omitted, locale: self.language.locale, calendar: self.calendar,
                timeZone: self.timeZone))
    }

    /// `25 Nov 2026` / `25 nov. 2026`.
    func shortDay(_ date: Date) -> String {
        date.formatted(
            Date.FormatStyle(
                date: .abbreviated, time: .omitted, locale: self.language.locale, calendar: self.calendar,
                timeZone: self.timeZone))
    }

    /// `Monday 23 Nov` / `lundi 23 nov.`.
    func weekdayAndDay(_ date: Date) -> String {
        date.formatted(
            Date.FormatStyle(locale: self.language.locale, calendar: self.calendar, timeZone: self.timeZone).weekday(
                .wide
            ).day().month(.abbreviated))
    }

    /// `09:30` (24-hour in both languages).
    func time(_ date: Date) -> String {
        let components = self.calendar.dateComponents([.hour, .minute], from: date)
        let hour = components.hour ?? 0
        let minute = components.minute ?? 0
        return "\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
    }

    /// `09:30–10:15`, kept on one line: a word joiner (U+2060) after the dash, where a line could otherwise break.
    func timeRange(_ start: Date, _ end: Date) -> String {
        "\(self.time(start))–\u{2060}\(self.time(end))"
    }

    /// `December 2026` / `décembre 2026`.
    func month(_ date: Date) -> String {
        let text = date.formatted(
            Date.FormatStyle(locale: self.language.locale, calendar: self.calendar, timeZone: self.timeZone).month(
                .wide
            ).year())
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    /// `€45.00` / `45,00 €`.
    func money(_ money: Money) -> String { money.formatted(in: self.language) }

    /// A local date of the viewer's zone as the instant it starts.
    func start(of date: LocalDate) -> Date? {
        ZonedCalendar(identifier: self.timeZone.identifier)?.startOfDay(date)
    }
}
