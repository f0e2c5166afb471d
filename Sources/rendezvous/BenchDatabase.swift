import ArgumentParser
import Foundation
import PostgresStore

/// `--database postgres://...`: run a benchmark on PostgreSQL (a fresh database on that server) instead of SQLite,
/// and print PostgreSQL's own `pgbench` TPC-B figure, measured in the same run on the same server, beside it.
struct BenchDatabase: ParsableArguments {
    @Option(help: "A PostgreSQL server (postgres://user@host:port/database) to run on instead of SQLite.")
    var database: String?

    func validate() throws {
        if let database {
            do { _ = try PostgresSettings(url: database) } catch { throw ValidationError("--database: \(error)") }
        }
    }

    /// Runs `pgbench` (TPC-B, `clients` connections, 300 transactions each) on a scratch database and prints its
    /// rate.
    func printPgbenchBaseline(clients: Int) async throws {
        guard let database, let server = try? PostgresSettings(url: database) else { return }
        let candidates = ["/usr/lib/postgresql/15/bin/pgbench", "/usr/bin/pgbench", "/usr/local/bin/pgbench"]
        guard let pgbench = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("pgbench baseline: pgbench not found (apt-get install postgresql-client)")
            return
        }
        let name = "rendezvous_pgbench_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        var environment = ProcessInfo.processInfo.environment
        if let password = server.password { environment["PGPASSWORD"] = password }
        func run(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: pgbench)
            process.arguments = ["-h", server.host, "-p", "\(server.port)", "-U", server.username] + arguments
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let createdb = Process()
        createdb.executableURL = URL(fileURLWithPath: (pgbench as NSString).deletingLastPathComponent + "/createdb")
        createdb.arguments = ["-h", server.host, "-p", "\(server.port)", "-U", server.username, name]
        createdb.environment = environment
        try createdb.run()
        createdb.waitUntilExit()
        defer {
            let dropdb = Process()
            dropdb.executableURL = URL(fileURLWithPath: (pgbench as NSString).deletingLastPathComponent + "/dropdb")
            dropdb.arguments = ["-h", server.host, "-p", "\(server.port)", "-U", server.username, "--force", name]
            dropdb.environment = environment
            try? dropdb.run()
            dropdb.waitUntilExit()
        }
        _ = try run(["-i", "-q", "-s", "1", name])
        // As before the service's measured phases (`BenchmarkService.checkpoint`).
        try? await server.checkpoint()
        // NB: a number of transactions, not `-T` seconds: pgbench ends a timed run with SIGALRM, which a child of
        // this process may have blocked (the runtime's threads block signals, and the mask is inherited).
        let said = try run(["-c", "\(clients)", "-j", "2", "-t", "300", "-n", name])
        let tps = said.split(separator: "\n").first { $0.hasPrefix("tps = ") }.map(String.init) ?? said
        print("pgbench baseline (TPC-B, \(clients) clients × 300 transactions, same server, same run): \(tps)")
    }
}
