import ArgumentParser
import Booking
import Foundation
import Payments
import PostgresStore
import Workflow

/// `rendezvous bench webhooks`: signed events POSTed over HTTP by concurrent clients.
struct WebhooksBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract:
            "Signed checkout.session.completed events over HTTP: verified, deduplicated, applied, committed (synchronous=FULL)."
    )

    @Option(help: "Distinct events in the closed run, and in the pass without HTTP (each pays one booking).")
    var events = 3000

    /// NB: 64, as many as the steady run's connections. With 32, the closed run was bound by latency rather than by
    /// the machine (its cores about a quarter idle, commits of 12 payments a batch instead of 25): it measured how
    /// fast 32 senders are answered, not how many events the service takes.
    @Option(help: "Concurrent HTTP clients of the closed run (senders, as a provider delivers in parallel).")
    var concurrency = 64

    @Option(help: "Events delivered first and not measured: they open the service's connections and warm them.")
    var warmup = 500

    @Option(
        help:
            "Events per second offered in the steady run (an open loop: each event is due at its time, answered or not; its latency counts from then)."
    )
    var rate = 2000

    /// NB: 5 s, not the 1.5 s that the closed run's 3,000 events used to give it: a p99 over 3,000 requests is their
    /// 30 slowest, so one burst of queueing (requests piling up behind a slow batch) decided it alone.
    @Option(help: "Length of the steady run in seconds (it offers rate × seconds distinct events).")
    var steadySeconds = 5.0

    @Option(help: "Connections of the steady run (enough to carry the rate at the service's latency).")
    var connections = 64

    @OptionGroup var database: BenchDatabase

    @Option(help: "Loopback port for the service (0: any free one).")
    var port = 0

    func validate() throws {
        guard self.events >= 10, self.concurrency >= 1, self.warmup >= 0, self.rate >= 1, self.connections >= 1 else {
            throw ValidationError(
                "--events must be at least 10, --concurrency, --rate and --connections at least 1, --warmup 0 or more")
        }
        guard self.steadyEvents >= 1 else {
            throw ValidationError("--steady-seconds must offer 1 to 9,999,999 events at --rate")
        }
    }

    /// How many events the steady run offers.
    var steadyEvents: Int {
        let events = (Double(self.rate) * self.steadySeconds).rounded()
        return events.isFinite && events < 10_000_000 ? Int(events) : 0
    }

    func run() async throws {
        let service = try await BenchmarkService.start(port: self.port, database: self.database.database)
        // One booking awaiting payment per event, two hours apart, made by hand (no payment window pressure): the
        // measured events first, then the warm-up's, then the steady run's.
        let base = Date().addingTimeInterval(86_400).timeIntervalSince1970.rounded(.down)
        let overHTTP = self.events + self.warmup + self.steadyEvents
        let bookings = try await makeConcurrently(count: overHTTP) { [workflow = service.workflow] index in
            try await workflow.admin.createByHand(
                AdminBookingRequest(
                    client: .new(name: "Client \(index)", email: "client\(index)@bench.example", phone: nil),
                    serviceIDs: [ServiceID(rawValue: "svc_bench")],
                    start: Date(timeIntervalSince1970: base + Double(index) * 7200), notifyClient: false),
                by: AdminID(rawValue: "adm_bench")
            ).booking
        }
        let now = Date()
        // NB: the event as Stripe sends it (every member of a checkout session, some 3 KB), not trimmed to the
        // members we read: reading the whole of it is part of a webhook's cost.
        guard
            let template = Bundle.module.url(forResource: "checkout.session.completed", withExtension: "json")
                .flatMap({ try? String(contentsOf: $0, encoding: .utf8) })
        else { throw ValidationError("the benchmark's event (checkout.session.completed.json) is missing") }
        let payloads: [[UInt8]] = bookings.enumerated().map { index, booking in
            var json = template
            for (name, value) in [
                ("EVENT_ID", "evt_bench_\(index)"), ("SESSION_ID", "cs_bench_\(index)"),
                ("INTENT_ID", "pi_bench_\(index)"),
                ("BOOKING_ID", "\(booking.id)"), ("CREATED", "\(Int(now.timeIntervalSince1970))"),
            ] {
                json = json.replacingOccurrences(of: name, with: value)
            }
            return Array(json.utf8)
        }
        let headers = payloads.map {
            StripeWebhookSignature.header(payload: $0, secret: service.secret, timestamp: now)
        }

        // Baselines without HTTP or a store: every signature checked ten times over (one pass takes a few tens of
        // milliseconds, too short to measure alone), then the same with each event read as well (what the service
        // does with a body before its store sees it).
        let clock = ContinuousClock()
        let verifyRounds = 10
        func everyPayloadTenTimes(reading: Bool) throws -> Duration {
            try clock.measure {
                for _ in 0..<verifyRounds {
                    for (payload, header) in zip(payloads, headers) {
                        try StripeWebhookSignature.verify(
                            payload: payload, header: header, secrets: [service.secret], now: now)
                        if reading { _ = try ProviderEvent.decodeStripe(payload) }
                    }
                }
            }
        }
        let verifyWall = try everyPayloadTenTimes(reading: false)
        let readWall = try everyPayloadTenTimes(reading: true)

        // Events over HTTP, each once, then every tenth again (duplicates are acknowledged, not applied). The warm-up
        // events (the last ones) go first, unmeasured: a running service's connections are open and its statements
        // prepared.
        let webhook: @Sendable (Int) -> LoadRequest = { index in
            LoadRequest(
                method: .POST, path: "/webhooks/stripe",
                headers: [("Content-Type", "application/json"), ("Stripe-Signature", headers[index])],
                body: payloads[index])
        }
        await service.checkpoint()
        let warmups = try await LoadClient.run(
            host: "127.0.0.1", port: service.port, count: self.warmup, concurrency: self.concurrency
        ) { [events = self.events] in webhook(events + $0) }
        var batches = BatchCount(store: service.store)
        let cpuBefore = CPUTimes.now()
        let firstsStalls = StallMeter()
        let firsts = try await LoadClient.run(
            host: "127.0.0.1", port: service.port, count: self.events, concurrency: self.concurrency, request: webhook)
        let firstsCPU = CPUTimes.now() - cpuBefore
        let firstsStall = firstsStalls.stop()
        let firstsBatches = batches.sinceLast()
        // The same work offered at a steady rate, as a provider's deliveries arrive: does the service keep up, and how
        // long does an event wait for its answer then?
        await service.checkpoint()
        let steadyCPUBefore = CPUTimes.now()
        let steadyStalls = StallMeter()
        let steady = try await LoadClient.run(
            host: "127.0.0.1", port: service.port, count: self.steadyEvents, concurrency: self.connections,
            pace: .steady(perSecond: Double(self.rate))
        ) { [first = self.events + self.warmup] in webhook(first + $0) }
        let steadyCPU = CPUTimes.now() - steadyCPUBefore
        let steadyStall = steadyStalls.stop()
        let steadyBatches = batches.sinceLast()
        let duplicates = try await LoadClient.run(
            host: "127.0.0.1", port: service.port, count: self.events / 10, concurrency: self.concurrency
        ) { webhook($0 * 10) }
        for outcome in [warmups, firsts, steady, duplicates] where Set(outcome.statuses.keys) != [200] {
            throw ValidationError("webhooks answered \(outcome.statuses)")
        }

        // The same work without HTTP: events applied by concurrent callers straight through the workflow, on bookings
        // made for this pass; on PostgreSQL, then again through locking writes only (the baseline of its optimistic
        // payment write), on bookings made for that pass.
        let passes = service.postgres == nil ? 1 : 2
        let directBookings = try await makeConcurrently(count: self.events * passes) {
            [workflow = service.workflow, events = self.events] index in
            try await workflow.admin.createByHand(
                AdminBookingRequest(
                    client: .existing(bookings[index % events].clientID),
                    serviceIDs: [ServiceID(rawValue: "svc_bench")],
                    start: Date(timeIntervalSince1970: base + Double(overHTTP + index) * 7200),
                    notifyClient: false),
                by: AdminID(rawValue: "adm_bench")
            ).booking
        }
        let apply: @Sendable (BookingWorkflow, Int) async throws -> Void = { workflow, index in
            let booking = directBookings[index]
            _ = try await workflow.payments.applyPaymentEvent(
                PaymentEvent(
                    id: "evt_direct_\(index)", type: "checkout.session.completed", bookingID: booking.id,
                    kind: .succeeded(
                        PaymentReceipt(
                            amount: booking.price, checkoutSessionID: "cs_d\(index)", paymentIntentID: "pi_d\(index)")))
            )
        }
        _ = batches.sinceLast()  // from here on: the direct pass's commits only
        let (_, directWall) = try await runConcurrently(count: self.events, concurrency: self.concurrency) {
            [workflow = service.workflow] index in try await apply(workflow, index)
        }
        let directBatches = batches.sinceLast()
        var lockingWall: Duration?
        if passes == 2 {
            let locking = BookingWorkflow(
                store: LockingWritesOnly(base: service.store), provider: NoPaymentProvider(),
                links: PublicLinks(base: service.baseURL))
            lockingWall = try await runConcurrently(count: self.events, concurrency: self.concurrency) {
                [events = self.events] index in try await apply(locking, events + index)
            }.wall
        }

        // Raw commit rate of the same writes: one provider-event row per transaction, synchronous=FULL.
        let rawStart = clock.now
        for index in 0..<self.events {
            _ = try await service.store.write { tx in
                try await tx.recordProviderEvent(id: "evt_raw_\(index)", type: "raw", receivedAt: now)
            }
        }
        let rawWall = clock.now - rawStart

        let paid = try await service.workflow.admin.bookings(
            matching: BookingFilter(states: [.awaitingApproval], limit: 1_000_000)
        ).count
        try await service.stop()
        print("store: \(service.storeName)")
        let expected = overHTTP + passes * self.events
        guard paid == expected else { throw ValidationError("\(paid) of \(expected) bookings were paid") }
        print(
            "webhooks over HTTP (\(self.concurrency) clients, after \(self.warmup) unmeasured): \(perSecond(self.events, firsts.wall)) events/s; \(LatencySummary(samples: firsts.latencies))"
        )
        print(firstsCPU.line(events: self.events))
        print(StallMeter.line(firstsStall))
        firstsBatches.map { print("  \($0)") }
        print(
            "webhooks over HTTP at a steady \(self.rate) events/s offered (\(self.connections) connections, open loop, latency from when each was due): "
                + "\(perSecond(self.steadyEvents, steady.wall)) events/s achieved over \(self.steadyEvents) events; "
                + "\(LatencySummary(samples: steady.latencies))"
        )
        print(steadyCPU.line(events: self.steadyEvents))
        print(StallMeter.line(steadyStall))
        steadyBatches.map { print("  \($0)") }
        print(
            "duplicate deliveries: \(perSecond(duplicates.latencies.count, duplicates.wall)) events/s (acknowledged, nothing applied twice)"
        )
        print("verify-only baseline: \(perSecond(verifyRounds * payloads.count, verifyWall)) events/s")
        print(
            "verified and read (the event decoded), no store: \(perSecond(verifyRounds * payloads.count, readWall)) events/s"
        )
        print(
            "applied without HTTP (\(self.concurrency) concurrent callers): \(perSecond(self.events, directWall)) events/s"
        )
        directBatches.map { print("  \($0)") }
        if let lockingWall {
            print(
                "the same through locking writes only (BEGIN, read and lock, write, COMMIT): "
                    + "\(perSecond(self.events, lockingWall)) events/s")
        }
        print(
            "raw \(service.storeName) commits (one row per transaction\(service.postgres == nil ? ", synchronous=FULL" : ""), one at a time): "
                + "\(perSecond(self.events, rawWall)) commits/s")
        print("all \(paid) bookings paid exactly once")
        // NB: 32 clients whatever `--concurrency` says: the figure tells how fast the machine is in this run, and so
        // must stay comparable with earlier runs' (at 64, TPC-B's one branch row would make it a lock contention test).
        try await self.database.printPgbenchBaseline(clients: 32)
    }
}

/// `rendezvous bench bookings`: 64 concurrent clients racing for 20 slots over HTTP.
struct BookingsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookings",
        abstract: "Concurrent clients racing for a few slots over HTTP; proves no slot is sold twice.")

    @Option(help: "Concurrent clients.")
    var clients = 64

    @Option(help: "Slots to race for.")
    var slots = 20

    @Option(help: "Attempts per client.")
    var attempts = 20

    @Option(
        help:
            "Requests sent first and not measured, racing for slots of their own after the raced ones: they open the service's connections and warm them."
    )
    var warmup = 256

    @Option(help: "Loopback port for the service (0: any free one).")
    var port = 0

    @OptionGroup var database: BenchDatabase

    func validate() throws {
        guard self.clients >= 1, self.slots >= 1, self.attempts >= 1 else {
            throw ValidationError("--clients, --slots and --attempts must be at least 1")
        }
        guard self.warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
    }

    func run() async throws {
        let service = try await BenchmarkService.start(port: self.port, database: self.database.database)
        let zone = ZonedCalendar(identifier: "UTC")!
        /// `slots` weekday slots from `first` on, two hours apart (so the one-hour buffer never joins two).
        func slots(from first: LocalDate) -> [Date] {
            var day = first
            var starts: [Date] = []
            while starts.count < self.slots {
                if ![.saturday, .sunday].contains(day.weekday) {
                    for hour in [9, 11, 13, 15] where starts.count < self.slots {
                        starts.append(zone.instant(on: day, at: LocalTime(hour: hour)!)!)
                    }
                }
                day = day.adding(days: 1)
            }
            return starts
        }
        let measured = slots(from: zone.localDate(of: Date()).adding(days: 2))
        let warming = slots(from: zone.localDate(of: measured.last!).adding(days: 1))
        // Each request encoded before the clock starts, sent by a keep-alive client (as the webhooks benchmark's).
        let race: @Sendable ([Date], String, Int) -> LoadRequest = { starts, label, index in
            let start = starts[index % starts.count]
            return LoadRequest(
                method: .POST, path: "/api/bookings", headers: [("Content-Type", "application/json")],
                body: Array(
                    """
                    {"serviceId":"svc_bench","start":"\(start.formatted(.iso8601))",\
                    "client":{"name":"Racer","email":"racer-\(label)-\(index)@bench.example"}}
                    """.utf8))
        }
        await service.checkpoint()
        let warmups = try await LoadClient.run(
            host: "127.0.0.1", port: service.port, count: self.warmup, concurrency: self.clients
        ) { race(warming, "warm", $0) }
        let outcome = try await LoadClient.run(
            host: "127.0.0.1", port: service.port, count: self.clients * self.attempts, concurrency: self.clients
        ) { race(measured, "race", $0) }
        let bookings = try await service.workflow.admin.bookings(matching: BookingFilter(limit: 1_000_000))
        try await service.stop()
        print("store: \(service.storeName)")
        let perStart = Dictionary(grouping: bookings, by: \.start)
        let doubled = perStart.values.filter { $0.count > 1 }.count
        let warmed = Set(warming).intersection(perStart.keys).count
        print(
            "bookings over HTTP (\(self.clients) clients, \(self.slots) slots, after \(self.warmup) unmeasured): \(perSecond(outcome.latencies.count, outcome.wall)) requests/s; "
                + "\(LatencySummary(samples: outcome.latencies))")
        print(
            "answers: \(outcome.statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))"
        )
        print(
            "bookings stored: \(bookings.count) for \(self.slots) raced slots and \(warmed) warm-up slots; slots sold twice: \(doubled)"
        )
        let expectedWarm = min(self.warmup, self.slots)
        guard doubled == 0, bookings.count == self.slots + expectedWarm, warmed == expectedWarm,
            outcome.statuses[201] == self.slots, Set(outcome.statuses.keys).isSubset(of: [201, 409]),
            Set(warmups.statuses.keys).isSubset(of: [201, 409])
        else {
            throw ValidationError("double booking, lost booking or unexpected answer detected")
        }
        try await self.database.printPgbenchBaseline(clients: self.clients)
    }
}
