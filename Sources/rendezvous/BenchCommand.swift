import ArgumentParser
import Booking
import Foundation

/// `rendezvous bench ...`: performance measurements. Run them on a release build.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency (use a release build: swift run -c release rendezvous bench ...).",
        subcommands: [SlotsBenchmark.self, WebhooksBenchmark.self, BookingsBenchmark.self, HistoryBenchmark.self]
    )
}

/// Latency figures of a series of timed runs.
struct LatencySummary: CustomStringConvertible {
    let samples: [Duration]

    func percentile(_ p: Double) -> Duration {
        let sorted = self.samples.sorted()
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return String(format: "%.3f ms", ms)
    }

    var description: String {
        "n=\(self.samples.count) p50=\(Self.milliseconds(self.percentile(50))) p99=\(Self.milliseconds(self.percentile(99))) "
            + "max=\(Self.milliseconds(self.samples.max() ?? .zero))"
    }
}

/// `rendezvous bench slots`: the slot engine over 31 days, for one busy staff member and for 20 staff.
struct SlotsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slots",
        abstract: "Slot queries over 31 days: one staff member with 500 bookings, and 20 staff members."
    )

    @Option(help: "Timed queries per scenario.")
    var iterations = 200

    func run() async throws {
        let service = Service(
            id: ServiceID(rawValue: "svc_bench"), name: "Bench", category: .chat, kind: .initial, durationMinutes: 30,
            price: Money(minorUnits: 4500, currency: .eur))
        let selection = try ServiceSelection([service])
        let zone = ZonedCalendar(identifier: "Europe/Paris")!
        let first = LocalDate(year: 2026, month: 12, day: 1)!
        let dates = try DateRange(first: first, last: first.adding(days: 30))
        let now = zone.startOfDay(first).addingTimeInterval(-86_400)
        var rules = BookingRules.standard
        rules.slotStepMinutes = 15
        rules.maximumAdvanceDays = 365

        func schedules(_ count: Int) -> [StaffSchedule] {
            (0..<count).map { index in
                var schedule = StaffSchedule.standard(
                    staffID: StaffID(rawValue: "stf_\(index)"), timeZone: "Europe/Paris", serviceIDs: [service.id])
                // Around the clock, seven days a week, a 10-minute buffer: 96 candidates a day, and room between
                // 500 bookings for some slots to remain.
                let allDay = [try! WorkingInterval(start: LocalTime(hour: 0)!, end: LocalTime(hour: 24)!)]
                schedule.weeklyHours = Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, allDay) })
                schedule.bufferMinutes = 10
                return schedule
            }
        }

        /// `count` bookings of 30 minutes, one every 90 minutes (16 a day), round-robin over the staff.
        func busy(_ count: Int, staff: Int) -> [BusyTime] {
            (0..<count).map { index in
                let day = first.adding(days: (index / 16) % 31)
                let start = zone.instant(on: day, at: LocalTime(minutes: (index % 16) * 90)!)!
                return BusyTime(
                    staffID: StaffID(rawValue: "stf_\(index % staff)"), start: start,
                    end: start.addingTimeInterval(1800))
            }
        }

        for (label, staff, bookings) in [("1 staff, 500 bookings", 1, 500), ("20 staff, 500 bookings", 20, 500)] {
            let engine = SlotEngine(schedules: schedules(staff), busy: busy(bookings, staff: staff))
            var found = 0
            var samples: [Duration] = []
            let clock = ContinuousClock()
            for _ in 0..<self.iterations {
                let elapsed = clock.measure {
                    found =
                        engine.slots(for: selection, dates: dates, displayTimeZone: zone, rules: rules, now: now).count
                }
                samples.append(elapsed)
            }
            print(
                "slots over 31 days, \(label): \(found) slots per query; \(perSecond(samples.count, samples.reduce(.zero, +))) queries/s; "
                    + "\(LatencySummary(samples: samples))")
        }
    }
}
