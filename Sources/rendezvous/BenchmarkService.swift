import ArgumentParser
import Booking
import Foundation
import Logging
import NIOCore
import Payments
import PostgresStore
import ServiceLifecycle
import Storage
import Synchronization
import Web
import Workflow

/// A service on a loopback port, on a SQLite file in a folder of its own or on a fresh PostgreSQL database (created on
/// the server `--database` names), for the HTTP benchmarks. Either is removed when it stops, or when it cannot start.
struct BenchmarkService {
    /// The loopback port it listens on.
    let port: Int
    let baseURL: String
    let workflow: BookingWorkflow
    let store: any BookingStore
    /// The fresh PostgreSQL database, when the benchmark runs on one.
    let postgres: (settings: PostgresSettings, database: String)?
    /// The SQLite file's folder, when the benchmark runs on SQLite.
    let folder: URL?
    let secret = "whsec_benchmark_secret"
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Which store the figures are for.
    var storeName: String { self.postgres == nil ? "SQLite" : "PostgreSQL" }

    /// Starts it on `port` (0: any free port, which `port` then tells) and returns once it listens; throws what
    /// stopped it otherwise (the port being taken, say). A SQLite file goes in a new folder inside `scratch`.
    static func start(
        port: Int, database: String? = nil, scratch: URL = FileManager.default.temporaryDirectory
    ) async throws -> BenchmarkService {
        let store: any BookingStore
        var postgres: (settings: PostgresSettings, database: String)?
        var folder: URL?
        if let database {
            let server = try PostgresSettings(url: database)
            let name = "rendezvous_bench_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
            try await server.createDatabase(name)
            var settings = server.database(name)
            settings.poolSize = 40
            store = try await PostgresBookingStore(settings: settings)
            postgres = (server, name)
        } else {
            let own = scratch.appendingPathComponent("rendezvous-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            folder = own
            store = try SQLiteBookingStore(path: own.appendingPathComponent("bench.sqlite").path)
        }
        // Nothing measured here calls the provider or follows a link (their base names the loopback host without its
        // port, known only once the service listens).
        let workflow = BookingWorkflow(
            store: store, provider: NoPaymentProvider(), links: PublicLinks(base: "http://127.0.0.1"))
        var rules = BookingRules.standard
        rules.maxBookingsPerClientPerDay = nil
        rules.maxBookingsPerClientPerWeek = nil
        rules.minimumLeadTimeMinutes = 0
        try await workflow.practice.installIfEmpty(
            PracticeSetup(
                services: [
                    Service(
                        id: ServiceID(rawValue: "svc_bench"), name: "Bench session", category: .chat, kind: .initial,
                        durationMinutes: 45,
                        price: Money(minorUnits: 4500, currency: .eur))
                ],
                staff: [
                    .init(
                        member: StaffMember(id: StaffID(rawValue: "stf_bench"), name: "Bench"),
                        schedule: .standard(
                            staffID: StaffID(rawValue: "stf_bench"), timeZone: "UTC",
                            serviceIDs: [ServiceID(rawValue: "svc_bench")]))
                ], rules: rules))
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        // No background services: nothing measured here waits on them.
        let (listening, listens) = AsyncStream.makeStream(of: Int.self)
        let app = try buildApplication(
            workflow: workflow, configuration: WebConfiguration(webhookSecrets: ["whsec_benchmark_secret"]),
            loginThrottle: LoginThrottle(), host: "127.0.0.1", port: port, logger: logger,
            onServerRunning: { listens.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            defer { listens.finish() }
            try await group.run()
        }
        guard let bound = await listening.first(where: { _ in true }) else {
            // Its fresh database goes too.
            try? await Self.removeStorage(store: store, postgres: postgres, folder: folder)
            try await task.value
            throw ValidationError("the benchmark service stopped before listening on port \(port)")
        }
        return BenchmarkService(
            port: bound, baseURL: "http://127.0.0.1:\(bound)", workflow: workflow, store: store, postgres: postgres,
            folder: folder, group: group, task: task)
    }

    /// Drops the fresh PostgreSQL database, or deletes the SQLite file's folder.
    private static func removeStorage(
        store: any BookingStore, postgres: (settings: PostgresSettings, database: String)?, folder: URL?
    ) async throws {
        if let postgres {
            (store as? PostgresBookingStore)?.shutdown()
            try await postgres.settings.dropDatabase(postgres.database)
        }
        if let folder { try FileManager.default.removeItem(at: folder) }
    }

    /// On PostgreSQL, a checkpoint before a measured phase: the setup's writes call for one, and it would otherwise
    /// land inside one run and not another (a checkpoint makes the next write of every page log the whole page).
    func checkpoint() async {
        guard let postgres = self.postgres else { return }
        do {
            try await postgres.settings.checkpoint()
        } catch {
            print("no checkpoint before measuring (\(String(reflecting: error))): a checkpoint may fall inside a run")
        }
    }

    func stop() async throws {
        await self.group.triggerGracefulShutdown()
        try await self.task.value
        try await Self.removeStorage(store: self.store, postgres: self.postgres, folder: self.folder)
    }
}

/// A store whose every write is a locking one: `writeOptimistically` falls back to the protocol's default, `write`
/// (the webhooks benchmark's baseline for PostgreSQL's optimistic payment write).
struct LockingWritesOnly: BookingStore {
    let base: any BookingStore

    func write<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T) async throws
        -> T
    {
        try await self.base.write(body)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreReader) async throws -> T) async throws -> T {
        try await self.base.read(body)
    }
}

/// `count` results of `make`, in index order, made by `concurrency` workers (worker `w` makes `w`, `w + concurrency`,
/// and so on).
func makeConcurrently<T: Sendable>(
    count: Int, concurrency: Int = 8, _ make: @escaping @Sendable (Int) async throws -> T
) async throws -> [T] {
    try await withThrowingTaskGroup(of: [(Int, T)].self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var made: [(Int, T)] = []
                for index in stride(from: worker, to: count, by: concurrency) {
                    made.append((index, try await make(index)))
                }
                return made
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

/// Runs `count` jobs with `concurrency` workers; returns each job's latency and the wall time.
func runConcurrently(
    count: Int, concurrency: Int, _ job: @escaping @Sendable (Int) async throws -> Void
) async throws -> (latencies: [Duration], wall: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let latencies = try await makeConcurrently(count: count, concurrency: concurrency) { index in
        let begin = clock.now
        try await job(index)
        return clock.now - begin
    }
    return (latencies, clock.now - start)
}

func perSecond(_ count: Int, _ wall: Duration) -> String {
    let (seconds, atto) = wall.components
    return String(format: "%.0f", Double(count) / (Double(seconds) + Double(atto) / 1e18))
}

/// On PostgreSQL, how the payments' commits were grouped between two points of a run.
struct BatchCount {
    private let store: PostgresBookingStore?
    private var last: (batches: Int, commits: Int)

    init(store: any BookingStore) {
        self.store = store as? PostgresBookingStore
        self.last = self.store?.optimisticCommitTotals ?? (0, 0)
    }

    /// "their commits went in N batches (M payments each on average)" since the last call (or the start); nil on
    /// SQLite or when no batch went.
    mutating func sinceLast() -> String? {
        guard let now = self.store?.optimisticCommitTotals else { return nil }
        defer { self.last = now }
        let (batches, commits) = (now.batches - self.last.batches, now.commits - self.last.commits)
        guard batches > 0 else { return nil }
        let average = String(format: "%.1f", Double(commits) / Double(batches))
        return "their commits went in \(batches) batches (\(average) payments each on average)"
    }
}

/// The CPU time used so far by this process and by the whole machine: over a run, per event, a measure of the
/// service's cost that a slower minute of the machine changes less than the rate. The machine's includes a database
/// on the same machine, whose part of the cost a process's own time cannot see.
struct CPUTimes {
    /// This process's, user and system (`getrusage`).
    var process: Duration
    /// Every core's time at work, and the time the hypervisor gave their physical cores to other machines (see
    /// `machineTimes`); nil where `/proc/stat` cannot be read.
    var machine: MachineTimes?

    struct MachineTimes: Equatable {
        /// User, nice, system, irq, softirq: not idle, I/O wait, or steal.
        var busy: Duration
        /// Steal: this machine's cores wanted to run and the host ran another machine.
        var stolen: Duration

        static func - (after: MachineTimes, before: MachineTimes) -> MachineTimes {
            MachineTimes(busy: after.busy - before.busy, stolen: after.stolen - before.stolen)
        }
    }

    static func now() -> CPUTimes {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
        let machine = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)).flatMap {
            Self.machineTimes(procStat: $0, ticksPerSecond: Int64(sysconf(Int32(_SC_CLK_TCK))))
        }
        return CPUTimes(process: duration(usage.ru_utime) + duration(usage.ru_stime), machine: machine)
    }

    static func - (after: CPUTimes, before: CPUTimes) -> CPUTimes {
        CPUTimes(
            process: after.process - before.process,
            machine: after.machine.flatMap { later in before.machine.map { later - $0 } })
    }

    /// The line the webhooks benchmark prints for a run of `events`.
    func line(events: Int) -> String {
        func each(_ time: Duration) -> String { String(format: "%.0f", time / .microseconds(1) / Double(events)) }
        let machine =
            self.machine.map {
                "; the whole machine's: \(each($0.busy)) µs (a local database's included); "
                    + "taken by the host: \(String(format: "%.0f", $0.stolen / .milliseconds(1))) ms"
            } ?? ""
        return "  this process's CPU time: \(each(self.process)) µs an event (the load client's included)\(machine)"
    }

    /// The times of all cores in `/proc/stat`'s first line, `cpu  user nice system idle iowait irq softirq steal
    /// ...`, counted in clock ticks (`USER_HZ`, 100 on Linux); nil for text not of that form.
    static func machineTimes(procStat: String, ticksPerSecond: Int64) -> MachineTimes? {
        guard ticksPerSecond > 0, let first = procStat.split(separator: "\n", maxSplits: 1).first,
            first.hasPrefix("cpu ")
        else { return nil }
        let ticks = first.split(separator: " ").dropFirst().prefix(8).compactMap { Int64($0) }
        guard ticks.count == 8 else { return nil }
        let (user, nice, system, irq, softirq, steal) = (ticks[0], ticks[1], ticks[2], ticks[5], ticks[6], ticks[7])
        return MachineTimes(
            busy: .milliseconds((user + nice + system + irq + softirq) * 1000 / ticksPerSecond),
            stolen: .milliseconds(steal * 1000 / ticksPerSecond))
    }
}

/// A thread of its own that sleeps 1 ms, again and again, and keeps how late it woke at worst (as `jHiccup` does
/// for a JVM). It does none of the service's work, and the scheduler runs a thread that slept ahead of busy ones, so
/// a late wake-up is a stall of the whole machine (the host pausing it, say) rather than the service's own threads
/// waiting for a core: a latency far above it was the service's queueing, not the machine's pause.
final class StallMeter: Sendable {
    private let worst = Mutex(Duration.zero)
    private let running = Atomic(true)

    init() {
        let thread = Thread { [self] in
            let clock = ContinuousClock()
            while self.running.load(ordering: .relaxed) {
                let asleep = clock.now
                usleep(1000)
                let late = clock.now - asleep - .milliseconds(1)
                self.worst.withLock { $0 = max($0, late) }
            }
        }
        thread.start()
    }

    /// Stops the thread; how late it woke at worst.
    func stop() -> Duration {
        self.running.store(false, ordering: .relaxed)
        return self.worst.withLock { $0 }
    }

    /// The line the webhooks benchmark prints after a run.
    static func line(_ worst: Duration) -> String {
        "  a thread of its own sleeping 1 ms at a time woke at worst "
            + "\(LatencySummary.milliseconds(worst)) late (a stall of the whole machine)"
    }
}
