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

    func run() async throws {
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
}
