import Booking
import Foundation
import TestSupport
import Testing

@Suite struct DomainValueTests {
    @Test(arguments: ["zoe@example.com", "  Zoe.Dupre+seance@Example.FR ", "a@b.co"])
    func validEmails(raw: String) throws {
        let email = try EmailAddress(raw)
        #expect(email.normalized == raw.trimmingCharacters(in: .whitespaces).lowercased())
    }

    @Test(arguments: [
        "", "zoe", "zoe@", "@example.com", "zoe@example", "zo e@example.com", "zoe@@example.com", "zoe@-x.com",
        ".zoe@example.com",
    ])
    func invalidEmails(raw: String) {
        #expect(throws: BookingError.invalidField(field: "email", reason: "not an email address")) {
            try EmailAddress(raw)
        }
    }

    @Test func emailsMatchIgnoringCase() throws {
        #expect(try EmailAddress("Zoe@Example.com") == EmailAddress("zoe@example.COM"))
    }

    @Test func localDatesKnowTheirWeekdays() {
        #expect(LocalDate(iso: "2026-11-23")!.weekday == .monday)
        #expect(LocalDate(iso: "2026-03-29")!.weekday == .sunday)
        #expect(LocalDate(iso: "2024-02-29")!.weekday == .thursday)
        #expect(LocalDate(iso: "1970-01-01")!.weekday == .thursday)
        #expect(LocalDate(iso: "2026-12-03")!.startOfWeek == LocalDate(iso: "2026-11-30"))
    }

    @Test func localDatesRoundTripThroughDayNumbers() {
        for offset in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(LocalDate(daysSinceEpoch: offset).daysSinceEpoch == offset)
        }
    }

    @Test(arguments: ["2026-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026-04-31", "x"])
    func impossibleDatesAreRefused(text: String) {
        #expect(LocalDate(iso: text) == nil)
    }

    @Test func localTimesParseAndPrint() {
        #expect(LocalTime(iso: "09:05")?.minutes == 545)
        #expect(LocalTime(iso: "24:00")?.minutes == 1440)
        #expect(LocalTime(iso: "24:01") == nil)
        #expect(LocalTime(iso: "9:00") == nil)
        #expect(LocalTime(minutes: 545)?.description == "09:05")
    }

    @Test func zonedCalendarFindsTheFirstOccurrenceAndSkipsGaps() {
        let paris = ZonedCalendar(identifier: "Europe/Paris")!
        #expect(paris.instant(on: LocalDate(iso: "2026-03-29")!, at: LocalTime(iso: "02:30")!) == nil)
        #expect(
            paris.instant(on: LocalDate(iso: "2026-10-25")!, at: LocalTime(iso: "02:30")!)
                == Instants.utc("2026-10-25T00:30:00Z"))
        #expect(
            paris.instant(on: LocalDate(iso: "2026-07-01")!, at: LocalTime(iso: "12:00")!)
                == Instants.utc("2026-07-01T10:00:00Z"))
        #expect(paris.localDate(of: Instants.utc("2026-12-31T23:30:00Z")) == LocalDate(iso: "2027-01-01"))
        #expect(ZonedCalendar(identifier: "Mars/Olympus") == nil)
    }

    @Test func moneyPrintsTwoDecimals() {
        #expect(Money(minorUnits: 4500, currency: .eur).description == "45.00 EUR")
        #expect(Money(minorUnits: 5, currency: .eur).description == "0.05 EUR")
        #expect(Currency("eur") == .eur)
        #expect(Currency("EURO") == nil)
    }

    @Test func aSelectionHoldsOneToFiveActiveServicesInOneCurrency() throws {
        let five = try ServiceSelection([.chatFirst, .chatMore, .chatMore, .callMore, .callFirst])
        #expect(five.durationMinutes == 195)
        #expect(five.price == Money(minorUnits: 18_500, currency: .eur))
        #expect(throws: BookingError.self) { try ServiceSelection([]) }
        #expect(throws: BookingError.self) { try ServiceSelection(Array(repeating: .chatFirst, count: 6)) }
        var inactive = Service.chatFirst
        inactive.isActive = false
        #expect(throws: BookingError.self) { try ServiceSelection([inactive]) }
        var dollars = Service.chatMore
        dollars.price = Money(minorUnits: 2500, currency: Currency("USD")!)
        #expect(throws: BookingError.self) { try ServiceSelection([.chatFirst, dollars]) }
    }

    @Test(arguments: [
        ("*@example.com", "zoe@example.com", true), ("*@example.com", "zoe@example.org", false),
        ("*@*.example.com", "a@team.example.com", true), ("zoe@example.com", "ZOE@example.com", true),
        ("z*e@*", "zooe@x.fr", true),
        ("z*e@*", "zoa@x.fr", false),
    ])
    func allowedEmailPatterns(pattern: String, email: String, allowed: Bool) throws {
        var rules = BookingRules.standard
        rules.allowedEmailPattern = pattern
        #expect(rules.allows(email: try EmailAddress(email)) == allowed)
    }

    @Test func rulesDecodeWithDefaultsAndValidate() throws {
        let rules = try JSONDecoder().decode(
            BookingRules.self, from: Data(#"{"approvalMode":"automatic","maxBookingsPerClientPerDay":null}"#.utf8))
        #expect(rules.approvalMode == .automatic)
        #expect(rules.maxBookingsPerClientPerDay == nil)
        #expect(rules.clientPaymentWindowMinutes == 30)
        #expect(rules.adminPaymentWindowMinutes == 48 * 60)
        var bad = rules
        bad.slotStepMinutes = 0
        #expect(throws: BookingError.self) { try bad.validated() }
    }

    @Test func schedulesRefuseOverlapsAndUnknownZones() throws {
        var schedule = StaffSchedule.paris()
        schedule.weeklyHours[.monday] = [
            try WorkingInterval(start: LocalTime(hour: 9)!, end: LocalTime(hour: 12)!),
            try WorkingInterval(start: LocalTime(hour: 11)!, end: LocalTime(hour: 14)!),
        ]
        #expect(throws: BookingError.self) { try schedule.validated() }
        var unknownZone = StaffSchedule.paris()
        unknownZone.timeZone = "Europe/Atlantis"
        #expect(throws: BookingError.self) { try unknownZone.validated() }
        #expect(throws: BookingError.self) {
            try WorkingInterval(start: LocalTime(hour: 12)!, end: LocalTime(hour: 9)!)
        }
        _ = try StaffSchedule.paris().validated()
    }

    @Test func theDefaultScheduleIsWeekdaysNineToFiveWithAnHourBuffer() {
        let schedule = StaffSchedule.paris()
        #expect(schedule.bufferMinutes == 60)
        #expect(
            schedule.intervals(on: LocalDate(iso: "2026-11-23")!).map { "\($0.start)-\($0.end)" } == ["09:00-17:00"])
        #expect(schedule.intervals(on: LocalDate(iso: "2026-11-28")!).isEmpty)
    }

    @Test func identifiersFromOutsideAreChecked() {
        #expect(BookingID(validating: "bk_abc-123") != nil)
        #expect(BookingID(validating: "") == nil)
        #expect(BookingID(validating: "bk 1") == nil)
        #expect(BookingID(validating: String(repeating: "a", count: 129)) == nil)
    }
}
