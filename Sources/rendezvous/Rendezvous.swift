import ArgumentParser
import Foundation
import Logging
import PostgresStore
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
    func open(logger: Logger) async throws -> any BookingStore {
        do {
            if self.isPostgres {
                return try await PostgresBookingStore(
                    settings: try PostgresSettings(url: self.database), logger: logger)
            }
            return try SQLiteBookingStore(path: self.database)
        } catch {
            throw StartupFailure("Cannot open the database \(self.shown): \(error)")
        }
    }
}
