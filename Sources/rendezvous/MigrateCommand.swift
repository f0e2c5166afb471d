import ArgumentParser
import Foundation
import Logging
import Payments
import PostgresStore
import Storage
import Workflow

/// `rendezvous migrate`: creates or upgrades the database, and optionally loads the demo practice.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the database (SQLite or PostgreSQL)."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Load this practice setup (catalog, staff, rules) into an empty database.")
    var setup: String?

    @Flag(name: .long, help: "Load the demo practice (built in) into an empty database.")
    var demo = false

    @Option(name: .long, help: "Copy the practice of this SQLite file (every table) into the --to database.")
    var from: String?

    @Option(name: .long, help: "The empty PostgreSQL database (postgres://...) that --from is copied into.")
    var to: String?

    func validate() throws {
        guard (self.from == nil) == (self.to == nil) else { throw ValidationError("--from and --to go together") }
        if let to = self.to {
            guard PostgresSettings.isPostgresURL(to) else {
                throw ValidationError("--to must be a postgres:// URL (the database the practice moves to)")
            }
            do { _ = try PostgresSettings(url: to) } catch { throw ValidationError("--to: \(error)") }
            guard self.setup == nil, !self.demo else {
                throw ValidationError("--from copies a practice; no --setup or --demo")
            }
        }
        if let from = self.from, !FileManager.default.fileExists(atPath: from) {
            throw ValidationError("--from names no file: \(from)")
        }
    }

    func run() async throws {
        if let from = self.from, let to = self.to {
            try await Self.copy(from: from, to: try PostgresSettings(url: to))
            return
        }
        let store = try await self.database.open(logger: Logger(label: "rendezvous.migrate"))
        let migrations =
            switch store {
            case let sqlite as SQLiteBookingStore: try await sqlite.appliedMigrations()
            case let postgres as PostgresBookingStore: try await postgres.appliedMigrations()
            default: [String]()
            }
        print(
            "Database \(self.database.shown) is at migration \(migrations.last ?? "none") (\(migrations.count) applied)."
        )
        guard self.setup != nil || self.demo else { return }
        let path = self.setup ?? "the demo practice"
        let setup: PracticeSetup
        do {
            setup = try self.setup.map { try PracticeSetup.load(from: URL(fileURLWithPath: $0)) } ?? .demo()
        } catch {
            throw StartupFailure("Cannot load: \(error).")
        }
        let installed = try await BookingWorkflow(
            store: store, provider: NoPaymentProvider(), links: PublicLinks(base: "http://127.0.0.1")
        ).practice.installIfEmpty(setup)
        print(
            installed
                ? "Loaded \(setup.services.count) services and \(setup.staff.count) staff from \(path)."
                : "A catalog exists already; \(path) not loaded.")
    }

    /// Copies every table of a SQLite practice into an empty PostgreSQL database, then checks the counts.
    static func copy(from path: String, to settings: PostgresSettings) async throws {
        let source = try SQLiteBookingStore(path: path)
        let tables = try await source.dumpTables()
        let target: PostgresBookingStore
        do {
            target = try await PostgresBookingStore(settings: settings, logger: Logger(label: "rendezvous.migrate"))
        } catch {
            throw StartupFailure("Cannot open \(settings): \(error)")
        }
        let copied: [String: Int]
        do {
            copied = try await target.load(tables)
        } catch {
            throw StartupFailure("Nothing was copied: \(error)")
        }
        for table in tables where table.rows.count != copied[table.table] {
            throw StartupFailure("The copy of \(table.table) is incomplete.")
        }
        let summary = tables.filter { !$0.rows.isEmpty }.map { "\($0.rows.count) \($0.table)" }
        print("Copied \(path) into \(settings): \(summary.joined(separator: ", ")).")
    }
}
