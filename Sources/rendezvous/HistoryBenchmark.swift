import ArgumentParser
import Booking
import Foundation
import Payments
import Storage
import Synchronization
import Workflow

/// `rendezvous bench history`: what a booking, a month of slots and a webhook cost with a small and with a large
/// history of past bookings, measured in the same run on the same machine. A practice keeps years of history;
/// none of these may slow down with it (target: the large history within 1.2× of the small one).
struct HistoryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Bookings, slot queries and webhooks with 100 and with 100,000 past bookings (within 1.2×)."
    )

    @Option(help: "Past bookings in the small history.")
    var small = 100

    @Option(help: "Past bookings in the large history.")
    var large = 100_000

    @Option(help: "Timed operations of each kind per history.")
    var operations = 300

    func run() async throws {
        var figures: [[Figure]] = []
        for past in [self.small, self.large] {
            figures.append(try await self.measure(past: past))
        }
        print("")
        for (small, large) in zip(figures[0], figures[1]) {
            let ratio = large.p50Milliseconds / max(small.p50Milliseconds, 0.000_001)
            print(
                String(
                    format: "%@: p50 %.3f ms with %d past, %.3f ms with %d past: %.2f× %@", small.name,
                    small.p50Milliseconds, self.small, large.p50Milliseconds, self.large, ratio,
                    ratio <= 1.2 ? "✔ (within 1.2×)" : "✘ (over 1.2×)"))
        }
        print("peak memory (resident): \(Self.peakResidentMegabytes()) MB")
    }

    struct Figure {
        var name: String
        var p50Milliseconds: Double
    }

    /// A clock the benchmark sets: "now" stays at the end of the seeded history.
    final class FixedClock: WallClock {
        let current: Mutex<Date>
        init(_ date: Date) { self.current = Mutex(date) }
        func now() -> Date { self.current.withLock { $0 } }
    }

    func measure(past: Int) async throws -> [Figure] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rendezvous-bench-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteBookingStore(path: folder.appendingPathComponent("history.sqlite").path)
        // Monday 2027-06-07 06:00 UTC: the history lies before, the bookings after.
        let now = Date(timeIntervalSince1970: 1_812_088_800)
        let workflow = BookingWorkflow(
            store: store, provider: NoPaymentProvider(), links: PublicLinks(base: "http://127.0.0.1"),
            clock: FixedClock(now))

        var setup = try PracticeSetup.demo()
        setup.rules.minimumLeadTimeMinutes = 0
        setup.rules.maximumAdvanceDays = 365
        setup.rules.maxBookingsPerClientPerDay = nil
        setup.rules.maxBookingsPerClientPerWeek = nil
        let allDay = [try WorkingInterval(start: LocalTime(hour: 0)!, end: LocalTime(hour: 24)!)]
        for index in setup.staff.indices {
            setup.staff[index].schedule.weeklyHours = Dictionary(
                uniqueKeysWithValues: Weekday.allCases.map { ($0, allDay) })
            setup.staff[index].schedule.bufferMinutes = 0
        }
        try await workflow.practice.installIfEmpty(setup)
        let service = try requireService(setup.services.first { $0.category == .chat && $0.kind == .initial })
        let staff = setup.staff[0].member.id

        let seeding = ContinuousClock.now
        try await Self.seed(past: past, before: now, service: service, staff: staff, into: store)
        print(
            "history of \(past) past bookings seeded in \(LatencySummary.milliseconds(ContinuousClock.now - seeding))")

        // Booking creation: one new client each, at successive free starts (back to back, 48 a day).
        let length = TimeInterval(service.durationMinutes * 60)
        var bookingTimes: [Duration] = []
        var booked: [Booking] = []
        for index in 0..<self.operations {
            let start = now.addingTimeInterval(3600 + Double(index) * length)
            let request = ClientBookingRequest(
                serviceIDs: [service.id], start: start, name: "Client \(index)", email: "new\(index)@example.com")
            let begin = ContinuousClock.now
            booked.append(try await workflow.clients.book(request).booking)
            bookingTimes.append(ContinuousClock.now - begin)
        }
        // A month of slots, as the booking page asks for it.
        let zone = ZonedCalendar(identifier: "Europe/Paris")!
        let first = zone.localDate(of: now)
        let month = try DateRange(first: first, last: first.adding(days: 30))
        var slotTimes: [Duration] = []
        for _ in 0..<min(self.operations, 100) {
            let begin = ContinuousClock.now
            _ = try await workflow.clients.availableSlots(
                serviceIDs: [service.id], dates: month, timeZone: "Europe/Paris")
            slotTimes.append(ContinuousClock.now - begin)
        }
        // Webhook intake: each new booking's payment event, verified already, recorded and applied.
        var webhookTimes: [Duration] = []
        for booking in booked {
            let event = PaymentEvent(
                id: "evt_\(booking.id)", type: "checkout.session.completed", bookingID: booking.id,
                kind: .succeeded(
                    PaymentReceipt(
                        amount: booking.price, checkoutSessionID: "cs_\(booking.id)",
                        paymentIntentID: "pi_\(booking.id)")))
            let begin = ContinuousClock.now
            _ = try await workflow.payments.applyPaymentEvent(event)
            webhookTimes.append(ContinuousClock.now - begin)
        }
        let figures = [
            ("booking creation", bookingTimes), ("a month of slots", slotTimes), ("webhook intake", webhookTimes),
        ]
        var result: [Figure] = []
        for (name, samples) in figures {
            let summary = LatencySummary(samples: samples)
            print("  \(past) past — \(name): \(perSecond(samples.count, samples.reduce(.zero, +)))/s; \(summary)")
            let (seconds, atto) = summary.percentile(50).components
            result.append(Figure(name: name, p50Milliseconds: Double(seconds) * 1000 + Double(atto) / 1e15))
        }
        return result
    }

    /// `past` completed bookings of `staff`, back to back before `now` (48 a day, over 1,000 clients).
    static func seed(past: Int, before now: Date, service: Service, staff: StaffID, into store: SQLiteBookingStore)
        async throws
    {
        let length = TimeInterval(service.durationMinutes * 60)
        let clients = (0..<min(past, 1000)).map {
            Client(
                id: ClientID(rawValue: "cl_past_\($0)"), name: "Past client \($0)",
                email: try! EmailAddress("past\($0)@example.com"), createdAt: now.addingTimeInterval(-86_400 * 3650))
        }
        try await store.write { tx in
            for client in clients { try await tx.insert(client) }
        }
        let batch = 2000
        for batchStart in stride(from: 0, to: past, by: batch) {
            try await store.write { tx in
                for index in batchStart..<min(past, batchStart + batch) {
                    let start = now.addingTimeInterval(-Double(index + 1) * length - 3600)
                    var opened = BookingLifecycle.open(
                        confirmation: .none, payment: .offline, approval: .automatic, price: service.price
                    ).lifecycle
                    _ = try opened.apply(.completed)
                    let booking = Booking(
                        id: BookingID(rawValue: "bk_past_\(index)"),
                        accessToken: AccessToken(rawValue: "tok_past_\(index)"),
                        clientID: clients[index % clients.count].id, staffID: staff, lines: [BookingLine(service)],
                        start: start, end: start.addingTimeInterval(length), rules: .standard, bufferMinutes: 0,
                        origin: .client, lifecycle: opened, holdUntil: nil,
                        createdAt: start.addingTimeInterval(-86_400),
                        updatedAt: start.addingTimeInterval(length))
                    try await tx.insert(booking)
                }
            }
        }
    }

    /// The process's peak resident memory so far, in megabytes.
    static func peakResidentMegabytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss / 1024  // NB: kilobytes on Linux.
    }
}

/// The demo practice's first-session Chat, or a clear failure.
func requireService(_ service: Service?) throws -> Service {
    guard let service else { throw ValidationError("the demo practice has no first-session Chat") }
    return service
}
