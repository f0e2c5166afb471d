import Foundation
import Logging
import PostgresNIO

/// Where the PostgreSQL database is and how to talk to it, read from a URL:
/// `postgres://user:password@host:5432/database?sslmode=require&pool=20`.
///
/// `sslmode` is `disable`, `prefer` (the default: TLS when the server offers it) or `require`; `pool` is the most
/// connections this instance opens (20 by default); `timeout` the seconds a call may wait for an answer (10);
/// `migration_timeout` the seconds an instance starting may take over its migrations (300).
/// As with libpq, a host that is a directory (`?host=/var/run/postgresql`, or the host part percent-encoded) means
/// the server's Unix socket in that directory: a server on the same machine, without TCP's cost on either side.
public struct PostgresSettings: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var poolSize: Int
    /// How many batches of payment reads, and of payment commits, may be sent at once (group commit: those arriving
    /// meanwhile wait and go together). One by default: the fewest statements and commits for the same payments,
    /// which is what costs a database on the same two cores least (measured against two and three: see the README's
    /// Benchmarks); more suit a database with cores to spare.
    public var batchLanes: Int
    /// How long a call may wait for the database before it fails as `StoreUnavailable` (10 s; `?timeout=`).
    public var operationTimeout: Duration
    /// How long an instance starting may take over its migrations, waiting behind another instance's included
    /// (5 minutes; `?migration_timeout=`): a migration of a large table, or a busy server, takes longer than a call
    /// should, and an instance that gave up would only start again behind the same lock. Reaching the server is
    /// still bounded by `operationTimeout`.
    public var migrationTimeout: Duration

    /// Whether `text` names a PostgreSQL database (rather than a SQLite file).
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String) throws(PostgresSettingsError) {
        guard Self.isPostgresURL(text), let url = URLComponents(string: text) else {
            throw PostgresSettingsError(url: text, problem: "it is not a postgres:// URL")
        }
        let socketDirectory = url.queryItems?.last { $0.name == "host" }?.value
        guard let host = socketDirectory ?? url.percentEncodedHost?.removingPercentEncoding, !host.isEmpty else {
            throw PostgresSettingsError(url: text, problem: "it names no host")
        }
        if socketDirectory != nil, !host.hasPrefix("/") {
            throw PostgresSettingsError(url: text, problem: "host= must be the directory of the server's Unix socket")
        }
        guard let username = url.user, !username.isEmpty else {
            throw PostgresSettingsError(url: text, problem: "it names no user (postgres://USER@host/database)")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw PostgresSettingsError(url: text, problem: "it names no database (postgres://user@host/DATABASE)")
        }
        self.host = host
        self.port = url.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        self.password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tls = .prefer
        self.poolSize = 20
        self.batchLanes = 1
        self.operationTimeout = .seconds(10)
        self.migrationTimeout = .seconds(300)
        for item in url.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw PostgresSettingsError(url: text, problem: "sslmode must be disable, prefer or require")
                }
                self.tls = mode
            case "pool":
                guard let size = Int(value), (1...500).contains(size) else {
                    throw PostgresSettingsError(url: text, problem: "pool must be a number from 1 to 500")
                }
                self.poolSize = size
            case "lanes":
                guard let lanes = Int(value), (1...64).contains(lanes) else {
                    throw PostgresSettingsError(url: text, problem: "lanes must be a number from 1 to 64")
                }
                self.batchLanes = lanes
            case "host": continue
            case "timeout":
                guard let seconds = Int(value), (1...300).contains(seconds) else {
                    throw PostgresSettingsError(url: text, problem: "timeout must be a number of seconds, 1 to 300")
                }
                self.operationTimeout = .seconds(seconds)
            case "migration_timeout":
                guard let seconds = Int(value), (1...86_400).contains(seconds) else {
                    throw PostgresSettingsError(
                        url: text, problem: "migration_timeout must be a number of seconds, 1 to 86400")
                }
                self.migrationTimeout = .seconds(seconds)
            default:
                throw PostgresSettingsError(
                    url: text,
                    problem: "unknown setting \(item.name) (sslmode, pool, lanes, timeout, migration_timeout, host)")
            }
        }
    }

    /// The same server and account, another database.
    public func database(_ name: String) -> PostgresSettings {
        var copy = self
        copy.database = name
        return copy
    }

    /// Whether the server is reached through its Unix socket (`host` is then the socket's directory).
    public var isUnixSocket: Bool { self.host.hasPrefix("/") }

    /// The socket file in that directory, named by the port as PostgreSQL names it.
    var socketPath: String { "\(self.host)/.s.PGSQL.\(self.port)" }

    /// The URL without its password, for logs and messages.
    public var description: String {
        guard self.isUnixSocket else { return "postgres://\(self.username)@\(self.host):\(self.port)/\(self.database)" }
        return "postgres://\(self.username)@:\(self.port)/\(self.database)?host=\(self.host)"
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration =
            self.isUnixSocket
            ? PostgresClient.Configuration(
                unixSocketPath: self.socketPath, username: self.username,
                password: self.password, database: self.database)
            : PostgresClient.Configuration(
                host: self.host, port: self.port, username: self.username, password: self.password,
                database: self.database, tls: tls)
        configuration.options.maximumConnections = self.poolSize
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.additionalStartupParameters = [("application_name", "rendezvous")]
        return configuration
    }
}

/// A database URL that cannot be used, with the reason.
public struct PostgresSettingsError: Error, CustomStringConvertible {
    public var url: String
    public var problem: String

    public var description: String {
        "\(Self.shown(self.url)) cannot be used: \(self.problem)"
    }

    /// The URL as written, its password masked; or "the database URL" when it does not parse as a URL at all.
    /// NB: never repeat the password.
    static func shown(_ url: String) -> String {
        if let settings = try? PostgresSettings(url: url) { return settings.description }
        guard var components = URLComponents(string: url), components.scheme != nil else { return "the database URL" }
        if components.password != nil { components.password = "***" }
        // libpq also reads a password from the query, which this parser refuses as an unknown setting.
        components.queryItems = components.queryItems?.map { item in
            item.name.lowercased() == "password" ? URLQueryItem(name: item.name, value: "***") : item
        }
        return components.string ?? "the database URL"
    }
}

extension PostgresSettings {
    /// Creates an empty database `name` on this server (connected through this URL's database), for tests and
    /// for a first start on a fresh server.
    public func createDatabase(_ name: String, logger: Logger = Logger(label: "rendezvous.postgres")) async throws {
        try await self.administer(database: name, "CREATE DATABASE \(name)", logger: logger)
    }

    /// Drops the database `name` from this server, closing its connections (benchmarks clean up after themselves).
    public func dropDatabase(_ name: String, logger: Logger = Logger(label: "rendezvous.postgres")) async throws {
        try await self.administer(database: name, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", logger: logger)
    }

    /// Asks the server for a checkpoint (a superuser's or `pg_checkpoint`'s right). Benchmarks ask before they
    /// measure, so that the checkpoint their setup's writes call for does not land inside one run and not another.
    public func checkpoint(logger: Logger = Logger(label: "rendezvous.postgres")) async throws {
        try await self.administer("CHECKPOINT", logger: logger)
    }

    /// Runs one statement about the database `name` on a client of its own.
    private func administer(database name: String, _ statement: String, logger: Logger) async throws {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw PostgresSettingsError(url: "\(self)", problem: "a database name is letters, digits and _ only")
        }
        try await self.administer(statement, logger: logger)
    }

    /// Runs one statement on a client of its own.
    private func administer(_ statement: String, logger: Logger) async throws {
        let client = PostgresClient(configuration: self.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // NB: as in `PostgresBookingStore.init`: a moment for the pool to start before its first lease.
            try? await Task.sleep(for: .milliseconds(20))
            try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }
}
