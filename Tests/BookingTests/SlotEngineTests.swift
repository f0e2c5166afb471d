import Booking
import Foundation
import TestSupport
import Testing

@Suite struct SlotEngineTests {
    let paris = ZonedCalendar(identifier: "Europe/Paris")!
    let rules: BookingRules = {
        var rules = BookingRules.standard
        rules.minimumLeadTimeMinutes = 0
        rules.maximumAdvanceDays = 365
        return rules
    }()
    /// Well before everything the tests ask for.
    let now = Instants.utc("2026-01-01T00:00:00Z")

    func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }
    func range(_ first: String, _ last: String? = nil) -> DateRange {
        try! DateRange(first: self.day(first), last: self.day(last ?? first))
    }
    func localTimes(_ slots: [Slot], in zone: ZonedCalendar) -> [String] {
        slots.map { LocalTime(minutes: zone.localMinutes(of: $0.start))!.description }
    }
    func selection(_ services: Service...) -> ServiceSelection { try! ServiceSelection(services) }

    /// A schedule open around the clock every day, to see what the clocks do.
    func allDaySchedule(_ zone: String = "Europe/Paris") -> StaffSchedule {
        var schedule = StaffSchedule.paris()
        schedule.timeZone = zone
        let allDay = [try! WorkingInterval(start: LocalTime(hour: 0)!, end: LocalTime(hour: 24)!)]
        schedule.weeklyHours = Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, allDay) })
        return schedule
    }

    @Test func theDefaultScheduleOffersWeekdaysNineToFive() {
        let engine = SlotEngine(schedules: [.paris()], busy: [])
        // Tuesday 2026-12-01: 45-minute sessions from 09:00, the last one ending at 17:00.
        let slots = engine.slots(
            for: self.selection(.chatFirst), dates: self.range("2026-12-01"), displayTimeZone: self.paris,
            rules: self.rules, now: self.now)
        let times = self.localTimes(slots, in: self.paris)
        #expect(times.first == "09:00")
        #expect(times.last == "16:15")
        #expect(times.count == 30)
        #expect(
            slots.allSatisfy { $0.staffID == StaffMember.camille.id && $0.end.timeIntervalSince($0.start) == 45 * 60 })
        // Saturday and Sunday are closed.
        #expect(
            engine.slots(
                for: self.selection(.chatFirst), dates: self.range("2026-12-05", "2026-12-06"),
                displayTimeZone: self.paris, rules: self.rules, now: self.now
            ).isEmpty)
    }

    @Test func springForwardHasNoSlotInTheMissingHour() {
        // 2026-03-29 in Paris: 02:00 jumps to 03:00.
        let engine = SlotEngine(schedules: [self.allDaySchedule()], busy: [])
        let slots = engine.slots(
            for: self.selection(.freeIntro), dates: self.range("2026-03-29"), displayTimeZone: self.paris,
            rules: self.rules, now: self.now)
        let times = self.localTimes(slots, in: self.paris)
        #expect(slots.count == 92)
        #expect(!times.contains { $0.hasPrefix("02:") })
        #expect(Set(slots.map(\.start)).count == slots.count)
        #expect(times.contains("01:45") && times.contains("03:00"))
        // The slot before the gap lasts its real 15 minutes.
        let beforeGap = slots.first { self.paris.localMinutes(of: $0.start) == 105 }!
        #expect(self.paris.localMinutes(of: beforeGap.end) == 180)
    }

    @Test func fallBackShowsEachLocalTimeOnce() {
        // 2026-10-25 in Paris: 03:00 goes back to 02:00; 02:00–02:59 happen twice.
        let engine = SlotEngine(schedules: [self.allDaySchedule()], busy: [])
        let slots = engine.slots(
            for: self.selection(.freeIntro), dates: self.range("2026-10-25"), displayTimeZone: self.paris,
            rules: self.rules, now: self.now)
        let times = self.localTimes(slots, in: self.paris)
        #expect(slots.count == 96)
        #expect(Set(times).count == times.count, "no local time twice")
        #expect(Set(slots.map(\.start)).count == slots.count, "no instant twice")
        #expect(slots.allSatisfy { self.paris.localDate(of: $0.start) == self.day("2026-10-25") })
        #expect(times.filter { $0.hasPrefix("02:") }.count == 4)
    }

    /// Zones whose clocks change at midnight (Santiago, Havana, Beirut), by half an hour (Lord Howe), or skip a
    /// whole day (Apia, 2011-12-30): over a year, every start is a wall time of the 15-minute grid that exists, the
    /// calendar's own instant for it, and no instant comes twice.
    @Test(arguments: ["America/Santiago", "America/Havana", "Asia/Beirut", "Australia/Lord_Howe", "Pacific/Apia"])
    func everyStartIsTheCalendarsInstantOfAGridTime(zoneName: String) throws {
        let zone = try #require(ZonedCalendar(identifier: zoneName))
        let engine = SlotEngine(schedules: [self.allDaySchedule(zoneName)], busy: [])
        var rules = self.rules
        rules.maximumAdvanceDays = 800
        let first = zoneName == "Pacific/Apia" ? "2011-12-25" : "2026-01-01"
        let last = zoneName == "Pacific/Apia" ? "2012-01-05" : "2026-12-31"
        let slots = engine.slots(
            for: self.selection(.freeIntro), dates: self.range(first, last), displayTimeZone: zone, rules: rules,
            now: zoneName == "Pacific/Apia" ? Instants.utc("2011-01-01T00:00:00Z") : self.now)
        #expect(Set(slots.map(\.start)).count == slots.count)
        for slot in slots {
            let minutes = zone.localMinutes(of: slot.start)
            #expect(minutes % 15 == 0)
            let expected = zone.instant(on: zone.localDate(of: slot.start), at: LocalTime(minutes: minutes)!)
            #expect(expected == slot.start, "\(zoneName) \(slot.start)")
        }
        // Every day that exists is open around the clock: 96 starts each (fewer or more on a day of a clock change).
        let days = Set(slots.map { zone.localDate(of: $0.start) })
        #expect(days.count == (zoneName == "Pacific/Apia" ? 11 : 365))
    }

    @Test func slotsAreListedByTheDisplayTimeZonesDates() {
        let newYork = ZonedCalendar(identifier: "America/New_York")!
        let engine = SlotEngine(schedules: [.paris()], busy: [])
        // Tuesday 2026-12-01 in New York runs 06:00 Paris Tuesday to 06:00 Paris Wednesday.
        let slots = engine.slots(
            for: self.selection(.chatFirst), dates: self.range("2026-12-01"), displayTimeZone: newYork,
            rules: self.rules, now: self.now)
        #expect(slots.allSatisfy { newYork.localDate(of: $0.start) == self.day("2026-12-01") })
        #expect(slots.count == 30)
        #expect(self.localTimes(slots, in: newYork).first == "03:00")
    }

    @Test func buffersKeepTimeFreeAroundExistingBookings() {
        let start = self.paris.instant(on: self.day("2026-12-01"), at: LocalTime(hour: 11)!)!
        let busy = BusyTime(staffID: StaffMember.camille.id, start: start, end: start.addingTimeInterval(45 * 60))
        let engine = SlotEngine(schedules: [.paris()], busy: [busy])
        let times = self.localTimes(
            engine.slots(
                for: self.selection(.chatFirst), dates: self.range("2026-12-01"), displayTimeZone: self.paris,
                rules: self.rules, now: self.now),
            in: self.paris)
        // A 45-minute session needs an hour free on each side of 11:00–11:45.
        #expect(times.contains("09:15"))
        #expect(!times.contains("09:30"))
        #expect(!times.contains("12:30"))
        #expect(times.contains("12:45"))
    }

    @Test func specialDaysReplaceTheWeekdayAndDaysOffWin() throws {
        var schedule = StaffSchedule.paris()
        // Saturday 2026-12-05 opens 10:00–12:00; Tuesday 2026-12-01 opens only 14:00–15:00.
        schedule.specialDays = [
            SpecialDay(
                date: self.day("2026-12-05"),
                intervals: [
                    try WorkingInterval(start: LocalTime(hour: 10)!, end: LocalTime(hour: 12)!, location: .online)
                ]),
            SpecialDay(
                date: self.day("2026-12-01"),
                intervals: [try WorkingInterval(start: LocalTime(hour: 14)!, end: LocalTime(hour: 15)!)]),
            SpecialDay(
                date: self.day("2026-12-10"),
                intervals: [try WorkingInterval(start: LocalTime(hour: 14)!, end: LocalTime(hour: 15)!)]),
        ]
        schedule.daysOff = [try DateRange(first: self.day("2026-12-08"), last: self.day("2026-12-10"))]
        let engine = SlotEngine(schedules: [schedule], busy: [])
        func times(_ date: String) -> [String] {
            self.localTimes(
                engine.slots(
                    for: self.selection(.freeIntro), dates: self.range(date), displayTimeZone: self.paris,
                    rules: self.rules, now: self.now), in: self.paris)
        }
        #expect(times("2026-12-05") == ["10:00", "10:15", "10:30", "10:45", "11:00", "11:15", "11:30", "11:45"])
        #expect(times("2026-12-01") == ["14:00", "14:15", "14:30", "14:45"])
        #expect(times("2026-12-08").isEmpty)
        #expect(times("2026-12-10").isEmpty, "a day off wins over a special day")
        #expect(times("2026-12-11").count == 32)
        let saturday = engine.slots(
            for: self.selection(.freeIntro), dates: self.range("2026-12-05"), displayTimeZone: self.paris,
            rules: self.rules, now: self.now)
        #expect(saturday.allSatisfy { $0.location == .online })
    }

    @Test func leadTimeAndAdvanceWindowBoundTheSlots() {
        var rules = self.rules
        rules.minimumLeadTimeMinutes = 120
        rules.maximumAdvanceDays = 7
        // Now: Tuesday 2026-12-01 09:30 Paris.
        let now = self.paris.instant(on: self.day("2026-12-01"), at: LocalTime(hour: 9, minute: 30)!)!
        let engine = SlotEngine(schedules: [.paris()], busy: [])
        let slots = engine.slots(
            for: self.selection(.chatFirst), dates: self.range("2026-12-01", "2026-12-31"), displayTimeZone: self.paris,
            rules: rules, now: now)
        #expect(self.localTimes([slots.first!], in: self.paris) == ["11:30"])
        #expect(slots.allSatisfy { $0.start <= now.addingTimeInterval(7 * 86_400) })
        #expect(self.paris.localDate(of: slots.last!.start) == self.day("2026-12-08"))
    }

    @Test func combinedServicesNeedTheirTotalLength() {
        let engine = SlotEngine(schedules: [.paris()], busy: [])
        let slots = engine.slots(
            for: self.selection(.chatFirst, .chatMore), dates: self.range("2026-12-01"), displayTimeZone: self.paris,
            rules: self.rules, now: self.now)
        #expect(self.localTimes(slots, in: self.paris).last == "15:45")
        #expect(slots.allSatisfy { $0.end.timeIntervalSince($0.start) == 75 * 60 })
    }

    @Test func aStaffMemberWhoDoesNotOfferTheServiceIsSkipped() {
        var schedule = StaffSchedule.paris()
        schedule.serviceIDs = [Service.callFirst.id]
        let engine = SlotEngine(schedules: [schedule], busy: [])
        #expect(
            engine.slots(
                for: self.selection(.chatFirst), dates: self.range("2026-12-01"), displayTimeZone: self.paris,
                rules: self.rules, now: self.now
            ).isEmpty)
    }

    @Test func aSecondStaffMemberTakesWhatTheFirstCannot() {
        let start = self.paris.instant(on: self.day("2026-12-01"), at: LocalTime(hour: 9)!)!
        let busy = BusyTime(staffID: StaffMember.camille.id, start: start, end: start.addingTimeInterval(8 * 3600))
        let engine = SlotEngine(schedules: [.paris(.camille), .paris(.noor)], busy: [busy])
        let slots = engine.slots(
            for: self.selection(.chatFirst), dates: self.range("2026-12-01"), displayTimeZone: self.paris,
            rules: self.rules, now: self.now)
        #expect(slots.count == 30)
        #expect(slots.allSatisfy { $0.staffID == StaffMember.noor.id })
    }

    @Test func availabilityTellsTakenFromUnavailable() {
        let ten = self.paris.instant(on: self.day("2026-12-01"), at: LocalTime(hour: 10)!)!
        let engine = SlotEngine(
            schedules: [.paris()],
            busy: [BusyTime(staffID: StaffMember.camille.id, start: ten, end: ten.addingTimeInterval(2700))])
        let selection = self.selection(.chatFirst)
        #expect(engine.availability(of: selection, at: ten, rules: self.rules, now: self.now) == .taken)
        #expect(
            engine.availability(of: selection, at: ten.addingTimeInterval(7 * 60), rules: self.rules, now: self.now)
                == .unavailable, "off the grid")
        #expect(
            engine.availability(
                of: selection, at: ten.addingTimeInterval(-86_400 * 3), rules: self.rules, now: self.now)
                == .unavailable, "a Saturday")
        guard
            case .available(let slot) = engine.availability(
                of: selection, at: ten.addingTimeInterval(3 * 3600), rules: self.rules, now: self.now)
        else {
            Issue.record("13:00 should be free")
            return
        }
        #expect(slot.staffID == StaffMember.camille.id)
    }

    @Test func perClientCapsCloseFullDaysAndWeeks() throws {
        var rules = self.rules
        rules.maxBookingsPerClientPerDay = 1
        rules.maxBookingsPerClientPerWeek = 2
        // The client holds approved bookings on Tuesday 2026-12-01 and Thursday 2026-12-03.
        func approved(_ date: String) -> Booking {
            let start = self.paris.instant(on: self.day(date), at: LocalTime(hour: 9)!)!
            let lifecycle = BookingLifecycle.open(
                confirmation: .none, payment: .free, approval: .automatic, price: .zero(.eur)
            ).lifecycle
            return Booking(
                id: BookingID(rawValue: "bk_\(date)"), accessToken: AccessToken(rawValue: "tok"),
                clientID: ClientID(rawValue: "cl_1"),
                staffID: StaffMember.noor.id, lines: [BookingLine(.freeIntro)], start: start,
                end: start.addingTimeInterval(900),
                rules: rules, bufferMinutes: 0, origin: .client, lifecycle: lifecycle, holdUntil: nil,
                createdAt: self.now, updatedAt: self.now)
        }
        let engine = SlotEngine(
            schedules: [.paris()], busy: [], clientBookings: [approved("2026-12-01"), approved("2026-12-03")])
        let slots = engine.slots(
            for: self.selection(.chatFirst), dates: self.range("2026-11-30", "2026-12-08"), displayTimeZone: self.paris,
            rules: rules, now: self.now)
        let days = Set(slots.map { self.paris.localDate(of: $0.start).description })
        // That week is full (two bookings); the next Monday and Tuesday are open.
        #expect(days == ["2026-12-07", "2026-12-08"])
        #expect(
            !engine.clientHasRoom(
                at: slots[0].start.addingTimeInterval(-6 * 86_400), in: self.paris, rules: rules, now: self.now))
    }
}

/// Where a staff member works at an instant.
@Suite struct ScheduleLocationTests {
    @Test func theIntervalAnInstantFallsInSaysWhere() throws {
        var schedule = StaffSchedule.paris()
        schedule.weeklyHours[.tuesday] = [
            try WorkingInterval(start: LocalTime(hour: 9)!, end: LocalTime(hour: 12)!, location: .office),
            try WorkingInterval(start: LocalTime(hour: 14)!, end: LocalTime(hour: 17)!, location: .home),
        ]
        #expect(schedule.location(at: Instants.utc("2026-12-01T08:00:00Z")) == .office)  // 09:00 in Paris
        #expect(schedule.location(at: Instants.utc("2026-12-01T13:30:00Z")) == .home)  // 14:30
        #expect(schedule.location(at: Instants.utc("2026-12-01T11:30:00Z")) == nil)  // 12:30, the break
        #expect(schedule.location(at: Instants.utc("2026-12-05T09:00:00Z")) == nil)  // a Saturday
    }
}
