import Foundation
import Storage
import TestSupport
import Testing
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
            try await SQLiteBookingStore(path: path).appliedMigrations() == ["2026-11-23-initial", "2026-11-23-admins"])
    }

    @Test func migrateLoadsAPracticeSetupOnce() async throws {
        let path = try TemporaryDirectory.make().appendingPathComponent("demo.sqlite").path
        let command = try #require(
            try Rendezvous.parseAsRoot([
                "migrate", "--database", path, "--setup", Fixtures.url("demo-practice.json").path,
            ]) as? MigrateCommand)
        try await command.run()
        try await command.run()
        let workflow = BookingWorkflow(store: try SQLiteBookingStore(path: path))
        let services = try await workflow.services()
        #expect(services.map(\.id.rawValue) == ["svc_chat_first", "svc_chat_more", "svc_call_first", "svc_call_more"])
        #expect(Set(services.map(\.category)) == [.chat, .call])
        #expect(Set(services.map(\.kind)) == [.initial, .additionalTime])
        let schedules = try await workflow.schedules()
        #expect(schedules.count == 1)
        #expect(schedules.first?.bufferMinutes == 60)
    }

    @Test func aPostgresURLIsRefusedWithTheKeyNamed() {
        #expect {
            _ = try Rendezvous.parseAsRoot(["migrate", "--database", "postgres://localhost/rendezvous"])
        } throws: { error in
            Rendezvous.message(for: error).contains("RENDEZVOUS_DATABASE")
        }
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
}
