import Foundation
import Notifications
import PostgresStore
import Storage
import TestSupport
import Testing
import Web
import Workflow

@testable import rendezvous

/// The command line, driven as a person would type it.
@Suite struct CommandLineTests {
    @Test func helpListsTheCommands() {
        let help = Rendezvous.helpMessage()
        #expect(help.contains("migrate"))
        #expect(help.contains("bench"))
    }

    @Test func migrateCreatesTheDatabaseAtTheGivenPath() async throws {
        let path = try TemporaryDirectory.make().appendingPathComponent("fresh.sqlite").path
        #expect(!FileManager.default.fileExists(atPath: path))
        let command = try #require(try Rendezvous.parseAsRoot(["migrate", "--database", path]) as? MigrateCommand)
        try await command.run()
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(
            try await SQLiteBookingStore(path: path).appliedMigrations() == [
                "2026-11-23-initial", "2026-11-23-admins", "2026-11-24-client-time-zone",
                "2026-11-24-idempotency-by-booking", "2026-11-25-unpaid-checkouts", "2026-11-25-client-accounts",
                "2026-11-25-client-language", "2026-11-25-staff-calendar-feeds", "2026-11-25-history-note-for-client",
                "2026-11-25-staff-contact", "2026-11-25-login-failures",
            ])
    }

    @Test func migrateLoadsAPracticeSetupOnce() async throws {
        let path = try TemporaryDirectory.make().appendingPathComponent("demo.sqlite").path
        let command = try #require(
            try Rendezvous.parseAsRoot(["migrate", "--database", path, "--demo"]) as? MigrateCommand)
        try await command.run()
        try await command.run()
        let workflow = BookingWorkflow.testing(store: try SQLiteBookingStore(path: path))
        let services = try await workflow.practice.services()
        #expect(services.map(\.id.rawValue) == ["svc_chat_first", "svc_chat_more", "svc_call_first", "svc_call_more"])
        #expect(Set(services.map(\.category)) == [.chat, .call])
        #expect(Set(services.map(\.kind)) == [.initial, .additionalTime])
        let schedules = try await workflow.practice.schedules()
        #expect(schedules.count == 1)
        #expect(schedules.first?.bufferMinutes == 60)
    }

    @Test func aSetupFileIsReadFromThePathGivenAndABadOneIsNamed() async throws {
        let folder = try TemporaryDirectory.make()
        let database = folder.appendingPathComponent("setup.sqlite").path
        // A practice document of one's own, at a path outside any checkout.
        let own = folder.appendingPathComponent("practice.json")
        var setup = try PracticeSetup.demo()
        setup.services = Array(setup.services.prefix(2))
        try JSONEncoder().encode(setup).write(to: own)
        let command = try #require(
            try Rendezvous.parseAsRoot(["migrate", "--database", database, "--setup", own.path]) as? MigrateCommand)
        try await command.run()
        let services = try await BookingWorkflow.testing(store: try SQLiteBookingStore(path: database)).practice
            .services()
        #expect(services.count == 2)
        // A missing file and a file that is not a practice document stop with the path and the problem.
        let missing = folder.appendingPathComponent("nowhere.json").path
        let broken = folder.appendingPathComponent("broken.json")
        try Data(#"{"services": 3}"#.utf8).write(to: broken)
        for (path, problem) in [(missing, "cannot be read"), (broken.path, "is not a practice document")] {
            let failing = try #require(
                try Rendezvous.parseAsRoot(["migrate", "--database", database, "--setup", path]) as? MigrateCommand)
            do {
                try await failing.run()
                Issue.record("\(path) was accepted")
            } catch {
                #expect("\(error)".contains(path))
                #expect("\(error)".contains(problem))
            }
        }
    }

    @Test(arguments: [
        ("postgres://localhost/rendezvous", "names no user"),
        ("postgres://app@localhost/", "names no database"),
        ("postgres://app:secret@localhost/rendezvous?sslmode=maybe", "sslmode must be"),
        ("postgres://app:secret@localhost/rendezvous?pool=0", "pool must be"),
        ("postgres://app:secret@localhost/rendezvous?lanes=0", "lanes must be"),
        ("postgres://app:secret@localhost/rendezvous?lanes=65", "lanes must be"),
        ("postgres://app:secret@localhost/rendezvous?lanes=two", "lanes must be"),
        ("postgres://app:secret@localhost/rendezvous?migration_timeout=0", "migration_timeout must be"),
        ("postgres://app:secret@localhost/rendezvous?migration_timeout=a%20while", "migration_timeout must be"),
        ("postgres://app:secret@localhost/rendezvous?migrations=60", "unknown setting migrations"),
        ("postgres://app@localhost/rendezvous?sslmode=disable&password=secret", "unknown setting password"),
        ("postgres://app:secret@/rendezvous?host=var/run/postgresql", "directory of the server's Unix socket"),
    ])
    func aPostgresURLThatCannotBeUsedIsRefusedSayingWhy(url: String, problem: String) {
        #expect {
            _ = try Rendezvous.parseAsRoot(["migrate", "--database", url])
        } throws: { error in
            let message = Rendezvous.message(for: error)
            // The message names the problem and the URL, and never repeats the password.
            return message.contains(problem) && message.contains(url.replacingOccurrences(of: "secret", with: "***"))
                && !message.contains("secret")
        }
    }

    @Test func aPostgresURLIsAccepted() throws {
        let command = try #require(
            try Rendezvous.parseAsRoot(["migrate", "--database", "postgres://app:secret@db.internal:6432/rendezvous"])
                as? MigrateCommand)
        #expect(command.database.isPostgres)
        #expect(command.database.shown == "postgres://app@db.internal:6432/rendezvous")
    }

    /// The machine's time at work, as the webhooks benchmark reads it: user, nice, system, irq and softirq; not idle,
    /// I/O wait or steal. Steal is told apart: the time the host ran another machine instead.
    @Test func theMachinesBusyTimeCountsOnlyWork() {
        let stat = "cpu  100 20 30 4000 500 6 7 800 0 0\ncpu0 50 10 15 2000 250 3 3 400 0 0\n"
        #expect(
            CPUTimes.machineTimes(procStat: stat, ticksPerSecond: 100)
                == CPUTimes.MachineTimes(busy: .milliseconds(1630), stolen: .milliseconds(8000)))
        #expect(CPUTimes.machineTimes(procStat: "cpu0 1 2 3 4 5 6 7 8\n", ticksPerSecond: 100) == nil)
        #expect(CPUTimes.machineTimes(procStat: "cpu  1 2 3 4 5 6 7\n", ticksPerSecond: 100) == nil)
        #expect(CPUTimes.machineTimes(procStat: stat, ticksPerSecond: 0) == nil)
    }

    /// The stall meter's thread sleeps 1 ms at a time: over a quarter of a second it wakes late, if only by the
    /// timer's slack, and never by more than the time it ran.
    @Test func theStallMeterTellsHowLateItsSleeperWokeAtWorst() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let meter = StallMeter()
        try await Task.sleep(for: .milliseconds(250))
        let worst = meter.stop()
        let ran = clock.now - began
        #expect(worst > .zero && worst < .milliseconds(250))
        #expect(worst < ran)
    }

    /// One lane of payment batches unless the URL says otherwise (see `PostgresSettings.batchLanes`).
    @Test func aPostgresURLMayNameItsBatchLanes() throws {
        #expect(try PostgresSettings(url: "postgres://app@localhost/rendezvous").batchLanes == 1)
        #expect(try PostgresSettings(url: "postgres://app@localhost/rendezvous?lanes=3").batchLanes == 3)
        #expect(try PostgresSettings(url: "postgres://app@localhost/rendezvous?pool=30&lanes=8").batchLanes == 8)
    }

    /// Five minutes for migrations unless the URL says otherwise; a call's own timeout is apart.
    @Test func aPostgresURLMayNameItsMigrationTimeout() throws {
        let defaults = try PostgresSettings(url: "postgres://app@localhost/rendezvous")
        #expect(defaults.migrationTimeout == .seconds(300))
        #expect(defaults.operationTimeout == .seconds(10))
        let long = try PostgresSettings(url: "postgres://app@localhost/rendezvous?timeout=5&migration_timeout=3600")
        #expect(long.migrationTimeout == .seconds(3600))
        #expect(long.operationTimeout == .seconds(5))
    }

    @Test(arguments: [
        "postgres://app:secret@:5433/rendezvous?host=/var/run/postgresql",
        "postgres://app:secret@%2Fvar%2Frun%2Fpostgresql:5433/rendezvous",
    ])
    func aPostgresURLMayNameTheServersUnixSocketDirectory(url: String) throws {
        let settings = try PostgresSettings(url: url)
        #expect(settings.isUnixSocket)
        #expect(settings.host == "/var/run/postgresql")
        #expect(settings.port == 5433)
        #expect(settings.description == "postgres://app@:5433/rendezvous?host=/var/run/postgresql")
    }

    @Test func theSlotBenchmarkRunsAndReportsPercentiles() async throws {
        let command = try #require(
            try Rendezvous.parseAsRoot(["bench", "slots", "--iterations", "3"]) as? SlotsBenchmark)
        try await command.run()
        let summary = LatencySummary(samples: [
            .milliseconds(1), .milliseconds(2), .milliseconds(3), .milliseconds(100),
        ])
        #expect(summary.percentile(50) == .milliseconds(2))
        #expect(summary.percentile(99) == .milliseconds(100))
    }

    /// A small race (it throws when a slot is sold twice, a booking is lost or an answer is neither 201 nor 409).
    @Test func theBookingsBenchmarkRacesWarmsUpAndChecksEverySlotIsSoldOnce() async throws {
        let command = try #require(
            try Rendezvous.parseAsRoot([
                "bench", "bookings", "--clients", "8", "--slots", "3", "--attempts", "3", "--warmup", "6",
            ]) as? BookingsBenchmark)
        try await command.run()
        #expect(throws: (any Error).self) { try Rendezvous.parseAsRoot(["bench", "bookings", "--slots", "0"]) }
    }

    @Test func theWebhooksBenchmarkPaysEveryBookingOnceAtBothPaces() async throws {
        let command = try #require(
            try Rendezvous.parseAsRoot([
                "bench", "webhooks", "--events", "20", "--warmup", "5", "--concurrency", "4", "--rate", "200",
                "--connections", "4", "--steady-seconds", "0.1",
            ]) as? WebhooksBenchmark)
        #expect(command.steadyEvents == 20)
        // It throws unless every request was answered 200 and every booking was paid exactly once.
        try await command.run()
        #expect(throws: (any Error).self) { try Rendezvous.parseAsRoot(["bench", "webhooks", "--rate", "0"]) }
        #expect(throws: (any Error).self) {
            try Rendezvous.parseAsRoot(["bench", "webhooks", "--steady-seconds", "0.0001"])
        }
        #expect(throws: (any Error).self) {
            try Rendezvous.parseAsRoot(["bench", "webhooks", "--steady-seconds", "nan"])
        }
        let defaults = try #require(try Rendezvous.parseAsRoot(["bench", "webhooks"]) as? WebhooksBenchmark)
        #expect((defaults.concurrency, defaults.connections, defaults.steadyEvents) == (64, 64, 10_000))
    }

    /// A benchmark's service takes any free port, and says at once when the port it was given is taken.
    @Test func aBenchmarkServiceListensOnAFreePortOrSaysWhyNot() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-scratch-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func folders() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: scratch.path) }
        let first = try await BenchmarkService.start(port: 0, scratch: scratch)
        #expect(first.port > 0)
        #expect(first.baseURL == "http://127.0.0.1:\(first.port)")
        #expect(try folders().count == 1)
        let clock = ContinuousClock()
        let began = clock.now
        await #expect(throws: (any Error).self) {
            try await BenchmarkService.start(port: first.port, scratch: scratch).stop()
        }
        #expect(clock.now - began < .seconds(10), "a taken port is told when the bind fails, not after a wait")
        #expect(try folders().count == 1, "the service that could not listen leaves no SQLite file behind")
        try await first.stop()
        #expect(try folders().isEmpty, "a stopped service removes its SQLite file")
    }

    @Test func aSteadyPaceSendsEachRequestWhenItIsDueAndTimesItFromThen() async throws {
        let service = try await BenchmarkService.start(port: 0)
        let port = service.port
        do {
            let health: @Sendable (Int) -> LoadRequest = { _ in
                LoadRequest(method: .GET, path: "/health", headers: [], body: [])
            }
            // 40 requests at 100 a second over 8 connections: the last is due 390 ms after the start.
            let steady = try await LoadClient.run(
                host: "127.0.0.1", port: port, count: 40, concurrency: 8, pace: .steady(perSecond: 100),
                request: health)
            #expect(steady.statuses == [200: 40])
            #expect(steady.latencies.count == 40)
            #expect(steady.wall >= .milliseconds(390))
            // 200 requests due within 2 ms on one connection: it falls behind, and the wait counts. The last to be
            // sent waited for nearly the whole run (timed from its sending, it would take a millisecond or so).
            let behind = try await LoadClient.run(
                host: "127.0.0.1", port: port, count: 200, concurrency: 1, pace: .steady(perSecond: 100_000),
                request: health)
            #expect(behind.statuses == [200: 200])
            #expect(try #require(behind.latencies.max()) >= behind.wall / 2)
            let asAnswered = try await LoadClient.run(
                host: "127.0.0.1", port: port, count: 40, concurrency: 8, request: health)
            #expect(asAnswered.statuses == [200: 40])
        } catch {
            try await service.stop()
            throw error
        }
        try await service.stop()
    }
}

/// `serve`'s settings: defaults, and a message naming the key for each bad value.
@Suite struct ServeSettingsTests {
    func settings(_ environment: [String: String]) throws -> ServeSettings {
        try ServeSettings(environment: environment, host: nil, port: nil, database: "x.sqlite", publicURL: nil)
    }

    @Test func withoutSMTPServeSaysLoudlyWhereEmailsGoAndWarnsWhenPublic() throws {
        let local = try self.settings([:])
        let banner = ServeSettings.mailboxBanner(settings: local, key: "k3y")
        #expect(banner.contains("Emails are NOT being sent"))
        #expect(banner.contains("http://127.0.0.1:8080/dev/mailbox?key=k3y"))
        #expect(!banner.contains("WARNING"))
        let remote = try self.settings(["RENDEZVOUS_PUBLIC_URL": "https://booking.practice.example"])
        let warning = ServeSettings.mailboxBanner(settings: remote, key: "k3y")
        #expect(
            warning.contains("WARNING: RENDEZVOUS_PUBLIC_URL (https://booking.practice.example) is not this machine"))
        #expect(warning.contains("Set SMTP_URL"))
        #expect(try self.settings(["RENDEZVOUS_PUBLIC_URL": "http://localhost:9000"]).publicURLIsLoopback)
    }

    @Test func forwardedForIsTrustedOnlyWhenAsked() throws {
        #expect(try self.settings([:]).trustForwardedFor == false)
        #expect(try self.settings(["RENDEZVOUS_TRUST_FORWARDED_FOR": "1"]).trustForwardedFor)
        #expect(throws: (any Error).self) { try self.settings(["RENDEZVOUS_TRUST_FORWARDED_FOR": "maybe"]) }
    }

    @Test func thePagesLanguageIsASetting() throws {
        #expect(try self.settings([:]).language == .en)
        #expect(try self.settings(["RENDEZVOUS_LANGUAGE": "FR"]).language == .fr)
        #expect(throws: (any Error).self) { try self.settings(["RENDEZVOUS_LANGUAGE": "de"]) }
    }

    @Test func noConfigurationAtAllMeansTheLocalDemo() throws {
        let settings = try self.settings([:])
        #expect(settings.host == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.publicURL == "http://127.0.0.1:8080")
        #expect(settings.stripeSecretKey == nil)
        #expect(settings.webhookSecrets.count == 1)
        #expect(settings.webhookSecrets[0].hasPrefix("whsec_"))
    }

    @Test func rotationSecretsAndAStripeKey() throws {
        let settings = try self.settings([
            "STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_WEBHOOK_SECRET": "whsec_new, whsec_old",
            "RENDEZVOUS_PUBLIC_URL": "https://book.example/",
        ])
        #expect(settings.webhookSecrets == ["whsec_new", "whsec_old"])
        #expect(settings.publicURL == "https://book.example")
    }

    @Test func smtpAndTheSenderAreReadFromTheEnvironment() throws {
        let settings = try self.settings([
            "SMTP_URL": "smtps://mailer:p%40ss@mail.example.com", "MAIL_FROM": "Cabinet Martin <hello@cabinet.example>",
            "RENDEZVOUS_BUSINESS_NAME": "Cabinet Martin", "RENDEZVOUS_EMAIL_SIGNATURE": "Warmly,\\nCamille",
        ])
        let smtp = try #require(settings.smtp)
        #expect(smtp.host == "mail.example.com")
        #expect(smtp.port == 465)
        #expect(smtp.security == .implicitTLS)
        #expect(smtp.username == "mailer")
        #expect(smtp.password == "p@ss")
        #expect(settings.mailFrom == Mailbox(name: "Cabinet Martin", address: "hello@cabinet.example"))
        #expect(settings.businessName == "Cabinet Martin")
        #expect(settings.emailSignature == "Warmly,\nCamille")
        // Without SMTP_URL: the development mailbox, beside the database.
        let plain = try self.settings([:])
        #expect(plain.smtp == nil)
        // Without MAIL_FROM, emails come from the practice's name.
        #expect(plain.mailFrom == Mailbox(name: "Rendezvous demo practice", address: "no-reply@rendezvous.localhost"))
        let named = try self.settings(["RENDEZVOUS_BUSINESS_NAME": "Cabinet Ré"])
        #expect(named.mailFrom == Mailbox(name: "Cabinet Ré", address: "no-reply@rendezvous.localhost"))
        #expect(plain.mailboxDirectory.hasSuffix("rendezvous-mailbox"))
    }

    @Test(arguments: [
        (["RENDEZVOUS_PORT": "eighty"], "RENDEZVOUS_PORT"),
        (["RENDEZVOUS_PORT": "70000"], "RENDEZVOUS_PORT"),
        (["RENDEZVOUS_PUBLIC_URL": "ftp://x"], "RENDEZVOUS_PUBLIC_URL"),
        (["STRIPE_SECRET_KEY": "pk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"], "STRIPE_SECRET_KEY"),
        (["STRIPE_SECRET_KEY": "sk_test_1"], "STRIPE_WEBHOOK_SECRET"),
        (["STRIPE_WEBHOOK_SECRET": "secret"], "STRIPE_WEBHOOK_SECRET"),
        (["STRIPE_API_BASE": "localhost:12111"], "STRIPE_API_BASE"),
        (["RENDEZVOUS_ADMIN_EMAIL": "admin"], "RENDEZVOUS_ADMIN_EMAIL"),
        (["RENDEZVOUS_ADMIN_PASSWORD": "short"], "RENDEZVOUS_ADMIN_PASSWORD"),
        (["SMTP_URL": "http://localhost:2525"], "SMTP_URL"),
        (["SMTP_URL": "smtp://"], "SMTP_URL"),
        (["SMTP_URL": "smtp://localhost", "SMTP_CA_FILE": "/nonexistent/ca.pem"], "SMTP_CA_FILE"),
        (["MAIL_FROM": "not an address"], "MAIL_FROM"),
    ])
    func aBadValueNamesItsKey(environment: [String: String], key: String) {
        #expect {
            _ = try self.settings(environment)
        } throws: { error in
            Rendezvous.message(for: error).contains(key)
        }
    }
}
