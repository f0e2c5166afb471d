import ArgumentParser
import Booking
import FakeStripe
import Foundation
import Hummingbird
import Logging
import Metrics
import Notifications
import Payments
import Prometheus
import ServiceLifecycle
import Storage
import Web
import Workflow

/// `rendezvous serve`: the whole service. With no configuration at all: SQLite in `rendezvous.sqlite`, the built-in
/// fake payment provider at `/fake-stripe`, the demo practice, and a first admin.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the booking service (HTTP API, webhooks, background workers)."
    )

    @Option(help: "Address to listen on (env RENDEZVOUS_HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env RENDEZVOUS_PORT, default 8080).")
    var port: Int?

    @OptionGroup var database: DatabaseOptions

    @Option(
        name: .customLong("public-url"), help: "Base of the links in emails and redirects (env RENDEZVOUS_PUBLIC_URL).")
    var publicURL: String?

    @Option(
        name: .customLong("setup"),
        help: "Practice document loaded into an empty database (default: the demo practice built in).")
    var setupPath: String?

    @Flag(
        name: .customLong("fake-stripe-faults"),
        help: "Expose the built-in fake provider's fault injection at /fake-stripe/_fake/faults (testing only).")
    var fakeStripeFaults = false

    func run() async throws {
        let settings = try ServeSettings(
            environment: ProcessInfo.processInfo.environment, host: self.host, port: self.port,
            database: self.database.shown, databaseIsFile: !self.database.isPostgres,
            publicURL: self.publicURL)
        var logger = Logger(label: "rendezvous")
        logger.logLevel = .info

        let database = try await self.database.openWithServices(logger: Logger(label: "rendezvous.database"))
        let provider: StripeClient
        var fake: FakeStripe?
        if let secretKey = settings.stripeSecretKey {
            provider = StripeClient(
                configuration: StripeConfiguration(secretKey: secretKey, apiBase: settings.stripeAPIBase))
        } else {
            let fakeStripe = FakeStripe(
                configuration: FakeStripeConfiguration(
                    publicBaseURL: "\(settings.publicURL)/fake-stripe",
                    webhookURL: "\(settings.loopbackURL)/webhooks/stripe",
                    webhookSecret: settings.webhookSecrets[0]))
            provider = StripeClient(
                configuration: StripeConfiguration(
                    secretKey: "sk_test_builtin_fake", apiBase: "\(settings.loopbackURL)/fake-stripe"))
            fake = fakeStripe
        }
        let workflow = BookingWorkflow(
            store: database.store, provider: provider, links: PublicLinks(base: settings.publicURL),
            outboxLease: settings.outboxLease, workBell: database.bell)
        let setup: PracticeSetup
        do {
            setup = try self.setupPath.map { try PracticeSetup.load(from: URL(fileURLWithPath: $0)) } ?? .demo()
        } catch {
            throw StartupFailure("Cannot start: \(error).")
        }
        if try await workflow.practice.installIfEmpty(setup) {
            say(
                "Loaded \(self.setupPath.map { "the practice setup \($0)" } ?? "the demo practice") into \(settings.database)."
            )
        }
        let passwords = AdminPasswords()
        if try await workflow.accounts.adminCount() == 0 || settings.adminEmail != nil,
            try await workflow.accounts.adminAccount(email: settings.adminEmail ?? ServeSettings.defaultAdminEmail)
                == nil
        {
            let email = settings.adminEmail ?? ServeSettings.defaultAdminEmail
            let password = settings.adminPassword ?? ServeSettings.generatedPassword()
            try AdminPasswords.validate(password)
            do {
                _ = try await workflow.accounts.createAdmin(
                    email: email, passwordHash: try await passwords.hash(password))
            } catch let error as BookingError {
                // Another instance starting at the same moment created it first.
                guard try await workflow.accounts.adminAccount(email: email) != nil else { throw error }
            }
            if settings.adminPassword == nil {
                say(
                    "Created the admin \(email) with the password \(password) (shown once; set RENDEZVOUS_ADMIN_PASSWORD to choose)."
                )
            } else {
                say("Created the admin \(email).")
            }
        }

        var web = WebConfiguration(webhookSecrets: settings.webhookSecrets)
        web.trustForwardedFor = settings.trustForwardedFor
        web.defaultLanguage = settings.language
        let branding = EmailBranding(
            businessName: settings.businessName, signature: settings.emailSignature, from: settings.mailFrom,
            links: workflow.links, language: settings.language)
        let links = SignedLink(secret: try await workflow.accounts.linkSigningKey())
        let mail: MailSetup
        if let smtp = settings.smtp {
            mail = MailSetup(
                composer: try EmailComposer(branding: branding, links: links),
                transport: try SMTPTransport(configuration: smtp, logger: logger))
        } else {
            mail = try .developmentMailbox(
                directory: URL(fileURLWithPath: settings.mailboxDirectory), branding: branding, links: links)
        }
        let mailboxAccess = mail.mailboxAccess
        let faultControls = fake != nil && self.fakeStripeFaults
        // The built-in fake provider: its routes under /fake-stripe and its webhook dispatcher, mounted here.
        let mounts =
            fake.map { fake in
                [
                    Mount(
                        addRoutes: { fake.addRoutes(to: $0.group("fake-stripe"), faultControls: faultControls) },
                        services: [FakeStripeWebhookDispatcher(fake: fake, pollInterval: .milliseconds(100))])
                ]
            } ?? []
        // The background work: the workflow's own services and the email outbox worker (and the gauges).
        var services: [any ServiceLifecycle.Service] =
            workflow.backgroundServices(intervals: BackgroundIntervals())
            + [EmailOutboxWorker(workflow: workflow, composer: mail.composer, transport: mail.transport)]
            + database.services
        if let token = settings.metricsToken {
            // swift-metrics reports to this registry from now on: requests, webhooks, the outbox, the holds.
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            web.metrics = MetricsEndpoint(registry: registry, token: token)
            services.append(OperationsMetrics(workflow: workflow).service(every: .seconds(15)))
        }
        let app = try buildApplication(
            workflow: workflow, configuration: web, loginThrottle: LoginThrottle(), mail: mail, mounts: mounts,
            services: services,
            host: settings.host,
            port: settings.port,
            logger: logger,
            onServerRunning: { [fake] _ in
                say("Rendezvous is listening on \(settings.publicURL) (database \(settings.database)).")
                say(
                    fake == nil
                        ? "Payments: Stripe at \(settings.stripeAPIBase)."
                        : "Payments: the built-in FakeStripe at \(settings.publicURL)/fake-stripe (test mode).")
                if let smtp = settings.smtp {
                    say("Emails: SMTP via \(smtp.host):\(smtp.port), from \(settings.mailFrom).")
                } else {
                    say(ServeSettings.mailboxBanner(settings: settings, key: mailboxAccess.key))
                }
                if faultControls {
                    say(
                        "Fault injection is ON at \(settings.publicURL)/fake-stripe/_fake/faults (--fake-stripe-faults)."
                    )
                }
            })
        try await app.runService()
    }
}

/// The service's settings from flags and environment variables; a bad value stops startup naming its key.
struct ServeSettings: Sendable {
    static let defaultAdminEmail = "admin@rendezvous.local"

    var host: String
    var port: Int
    var database: String
    var publicURL: String
    /// How this process reaches itself (the built-in fake's calls and webhooks).
    var loopbackURL: String
    var stripeSecretKey: String?
    var stripeAPIBase: String
    var webhookSecrets: [String]
    var adminEmail: String?
    var adminPassword: String?
    /// Nil: emails go to the development mailbox.
    var smtp: SMTPConfiguration?
    var mailFrom: Mailbox
    var mailboxDirectory: String
    var businessName: String
    var emailSignature: String
    /// RENDEZVOUS_LANGUAGE: the pages' language for a first visit whose browser asks for none of ours.
    var language: Language
    /// RENDEZVOUS_METRICS_TOKEN: turns on `GET /metrics` for a scraper sending it as a Bearer token.
    var metricsToken: String?
    /// RENDEZVOUS_OUTBOX_LEASE_SECONDS: how long an instance's claim on an outbox row (an email, a refund) lasts
    /// before another instance may take it over.
    var outboxLease: TimeInterval
    /// RENDEZVOUS_TRUST_FORWARDED_FOR=1: behind a reverse proxy, the client is the last X-Forwarded-For entry.
    var trustForwardedFor: Bool

    init(
        environment: [String: String], host: String?, port: Int?, database: String, databaseIsFile: Bool = true,
        publicURL: String?
    ) throws {
        func value(_ key: String) -> String? {
            guard let raw = environment[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        self.host = host ?? value("RENDEZVOUS_HOST") ?? "127.0.0.1"
        if let port {
            self.port = port
        } else if let raw = value("RENDEZVOUS_PORT") {
            guard let parsed = Int(raw) else { throw ValidationError("RENDEZVOUS_PORT must be a number, not \(raw)") }
            self.port = parsed
        } else {
            self.port = 8080
        }
        guard (1...65535).contains(self.port) else {
            throw ValidationError("RENDEZVOUS_PORT must be between 1 and 65535")
        }
        self.database = database
        let loopbackHost = self.host == "0.0.0.0" || self.host == "::" ? "127.0.0.1" : self.host
        self.loopbackURL = "http://\(loopbackHost):\(self.port)"
        let url = publicURL ?? value("RENDEZVOUS_PUBLIC_URL") ?? self.loopbackURL
        guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil
        else {
            throw ValidationError("RENDEZVOUS_PUBLIC_URL must be an http(s) URL, not \(url)")
        }
        self.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.stripeSecretKey = value("STRIPE_SECRET_KEY")
        if let key = self.stripeSecretKey,
            !(key.hasPrefix("sk_test_") || key.hasPrefix("sk_live_") || key.hasPrefix("rk_"))
        {
            throw ValidationError("STRIPE_SECRET_KEY must be a secret key (sk_test_..., sk_live_... or rk_...)")
        }
        self.stripeAPIBase = value("STRIPE_API_BASE") ?? "https://api.stripe.com"
        guard let base = URL(string: self.stripeAPIBase), base.scheme == "http" || base.scheme == "https" else {
            throw ValidationError("STRIPE_API_BASE must be an http(s) URL")
        }
        let secrets = (value("STRIPE_WEBHOOK_SECRET") ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        .filter { !$0.isEmpty }
        if let bad = secrets.first(where: { !$0.hasPrefix("whsec_") }) {
            throw ValidationError("STRIPE_WEBHOOK_SECRET entries must start with whsec_ (got \(bad.prefix(8))...)")
        }
        if secrets.isEmpty {
            guard self.stripeSecretKey == nil else {
                throw ValidationError(
                    "STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY (the endpoint's whsec_ secret)")
            }
            self.webhookSecrets = ["whsec_" + Self.generatedPassword() + Self.generatedPassword()]
        } else {
            self.webhookSecrets = secrets
        }
        self.adminEmail = value("RENDEZVOUS_ADMIN_EMAIL")
        if let email = self.adminEmail, (try? EmailAddress(email)) == nil {
            throw ValidationError("RENDEZVOUS_ADMIN_EMAIL is not an email address")
        }
        self.adminPassword = value("RENDEZVOUS_ADMIN_PASSWORD")
        if let password = self.adminPassword, password.count < 10 {
            throw ValidationError("RENDEZVOUS_ADMIN_PASSWORD must be at least 10 characters")
        }
        if let smtp = value("SMTP_URL") {
            do {
                self.smtp = try SMTPConfiguration(url: smtp, trustRootsFile: value("SMTP_CA_FILE"))
            } catch {
                throw ValidationError(
                    "SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
            }
        }
        if let file = value("SMTP_CA_FILE"), !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("SMTP_CA_FILE names no file: \(file)")
        }
        self.businessName = value("RENDEZVOUS_BUSINESS_NAME") ?? "Rendezvous demo practice"
        if let from = value("MAIL_FROM") {
            guard let mailFrom = Mailbox(parsing: from) else {
                throw ValidationError("MAIL_FROM must be an address or Name <address>, not \(from)")
            }
            self.mailFrom = mailFrom
        } else {
            // A client reads the practice's name as the sender, not the software's.
            self.mailFrom = Mailbox(name: self.businessName, address: "no-reply@rendezvous.localhost")
        }
        self.emailSignature =
            (value("RENDEZVOUS_EMAIL_SIGNATURE") ?? "Kind regards,\n\(self.businessName)")
            .replacingOccurrences(of: "\\n", with: "\n")
        switch value("RENDEZVOUS_TRUST_FORWARDED_FOR")?.lowercased() {
        case nil, "0", "false", "no": self.trustForwardedFor = false
        case "1", "true", "yes": self.trustForwardedFor = true
        case let other?: throw ValidationError("RENDEZVOUS_TRUST_FORWARDED_FOR must be 1 or 0, not \(other)")
        }
        let language = value("RENDEZVOUS_LANGUAGE")?.lowercased() ?? "en"
        guard let pageLanguage = Language(rawValue: language) else {
            throw ValidationError("RENDEZVOUS_LANGUAGE must be en or fr, not \(language)")
        }
        self.language = pageLanguage
        self.metricsToken = value("RENDEZVOUS_METRICS_TOKEN")
        if let token = self.metricsToken, token.count < 16 {
            throw ValidationError("RENDEZVOUS_METRICS_TOKEN must be at least 16 characters")
        }
        // Beside the SQLite file; in the current folder when the database is a server.
        if let raw = value("RENDEZVOUS_OUTBOX_LEASE_SECONDS") {
            guard let seconds = Int(raw), (5...3600).contains(seconds) else {
                throw ValidationError("RENDEZVOUS_OUTBOX_LEASE_SECONDS must be a number of seconds, 5 to 3600")
            }
            self.outboxLease = TimeInterval(seconds)
        } else {
            self.outboxLease = OutboxDelivery.defaultLease
        }
        let databaseFolder =
            databaseIsFile
            ? URL(fileURLWithPath: database).deletingLastPathComponent().path : FileManager.default.currentDirectoryPath
        self.mailboxDirectory =
            value("RENDEZVOUS_MAILBOX_DIR")
            ?? URL(fileURLWithPath: databaseFolder).appendingPathComponent(
                "rendezvous-mailbox"
            ).path
    }

    /// Whether the public URL names this machine only (localhost, 127.0.0.0/8, ::1).
    var publicURLIsLoopback: Bool {
        guard let host = URL(string: self.publicURL)?.host?.lowercased() else { return false }
        return host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") || host == "::1"
            || host == "[::1]"
    }

    /// What `serve` says at start when no SMTP server is configured: loudly, with the mailbox's secret address,
    /// and with a warning naming the risk when the service is public.
    static func mailboxBanner(settings: ServeSettings, key: String) -> String {
        var lines = [
            "!! Emails are NOT being sent: no SMTP_URL is set. They are kept in the development mailbox,",
            "!! readable by a signed-in admin or at this secret address (shown once; anyone who has it can read",
            "!! every email, booking links included):",
            "!!   \(settings.publicURL)/dev/mailbox?key=\(key)",
        ]
        if !settings.publicURLIsLoopback {
            lines += [
                "WARNING: RENDEZVOUS_PUBLIC_URL (\(settings.publicURL)) is not this machine, yet no SMTP_URL is set:",
                "WARNING: clients receive no emails, and the development mailbox, reachable from the network, holds",
                "WARNING: every booking's links and sign-in links. Set SMTP_URL before taking real bookings.",
            ]
        }
        return lines.joined(separator: "\n")
    }

    /// A random password of 20 characters.
    static func generatedPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}

/// A reason the service cannot start, said as it is (without the usage text a `ValidationError` adds).
struct StartupFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to standard output at once (not buffered), so startup lines show in a pipe too.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
