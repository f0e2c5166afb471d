import ArgumentParser
import Foundation
import Logging
import PostgresStore
import ServiceLifecycle
import Storage
import Workflow

/// The command line: the one composition root, the only place that picks implementations.
@main
struct Rendezvous: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rendezvous",
        abstract: "Payment-linked booking for small practices: paid Chat and Call sessions.",
        subcommands: [ServeCommand.self, MigrateCommand.self, FakeStripeCommand.self, BenchCommand.self]
    )
}

/// Options every command that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: """
            SQLite database file, or postgres://user:password@host:5432/database for PostgreSQL \
            (env RENDEZVOUS_DATABASE, then DATABASE_URL; default rendezvous.sqlite).
            """)
    var database: String =
        ProcessInfo.processInfo.environment["RENDEZVOUS_DATABASE"].flatMap { $0.isEmpty ? nil : $0 }
        ?? ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        ?? "rendezvous.sqlite"

    func validate() throws {
        guard !self.database.isEmpty else { throw ValidationError("RENDEZVOUS_DATABASE must not be empty") }
        if PostgresSettings.isPostgresURL(self.database) {
            do { _ = try PostgresSettings(url: self.database) } catch { throw ValidationError("\(error)") }
        }
    }

    /// Whether the database is PostgreSQL.
    var isPostgres: Bool { PostgresSettings.isPostgresURL(self.database) }

    /// The database as shown in messages (a PostgreSQL URL without its password).
    var shown: String {
        (try? PostgresSettings(url: self.database)).map(\.description) ?? self.database
    }

    /// Opens (and migrates) the store.
    func open(logger: Logger) async throws -> any BookingStore { try await self.openWithServices(logger: logger).store }

    /// Opens (and migrates) the store, with what serving on it needs besides: on PostgreSQL, the listener that
    /// wakes this instance's outbox workers when any instance queues work.
    func openWithServices(logger: Logger) async throws -> OpenedDatabase {
        do {
            if self.isPostgres {
                let settings = try PostgresSettings(url: self.database)
                let bell = WorkBell()
                return OpenedDatabase(
                    store: try await PostgresBookingStore(settings: settings, logger: logger), bell: bell,
                    services: [PostgresWorkListener(settings: settings, bell: bell, logger: logger)])
            }
            return OpenedDatabase(store: try SQLiteBookingStore(path: self.database), bell: nil, services: [])
        } catch {
            throw StartupFailure("Cannot open the database \(self.shown): \(error)")
        }
    }
}

/// An open store, with the bell its listener rings and the services to run beside it.
struct OpenedDatabase {
    var store: any BookingStore
    var bell: WorkBell?
    var services: [any ServiceLifecycle.Service]
}
