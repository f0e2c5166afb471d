import ArgumentParser
import Foundation

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
    @Option(name: .long, help: "SQLite database file (env RENDEZVOUS_DATABASE).")
    var database: String = ProcessInfo.processInfo.environment["RENDEZVOUS_DATABASE"] ?? "rendezvous.sqlite"

    func validate() throws {
        if self.database.hasPrefix("postgres://") || self.database.hasPrefix("postgresql://") {
            throw ValidationError("RENDEZVOUS_DATABASE: PostgreSQL is not supported yet; give a SQLite file path")
        }
        guard !self.database.isEmpty else { throw ValidationError("RENDEZVOUS_DATABASE must not be empty") }
    }
}
