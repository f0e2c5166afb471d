import Booking
import Foundation
import GRDB
import Workflow

// Group commit: write transactions queued while one batch runs commit together in the next.

/// Runs write transactions in arrival order on the writer connection, committing those that arrive while a batch
/// runs in the next batch, together.
actor WriteQueue {
    typealias Body = @Sendable (any BookingStoreTransaction) async throws -> any Sendable

    private struct Job {
        var body: Body
        var continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let pool: DatabasePool
    /// The writer's access to the store, lent to each body of a batch.
    private let access: SQLiteAccess
    private let maxBatch: Int
    private var pending: [Job] = []
    private var draining = false

    init(pool: DatabasePool, json: ColumnJSONCache, maxBatch: Int) {
        self.pool = pool
        self.access = SQLiteAccess(pool: pool, writable: true, json: json)
        self.maxBatch = max(1, maxBatch)
    }

    func submit(_ body: @escaping Body) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { continuation in
            self.pending.append(Job(body: body, continuation: continuation))
            if !self.draining {
                self.draining = true
                // NB: the batches run in a task of their own, so a cancelled caller cannot stop a transaction halfway.
                Task.detached { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !self.pending.isEmpty {
            let batch = Array(self.pending.prefix(self.maxBatch))
            self.pending.removeFirst(batch.count)
            let results = await Self.run(batch.map(\.body), on: self.access)
            for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
        }
        self.draining = false
    }

    /// One SQLite transaction for the whole batch; a savepoint for each body.
    private static func run(_ bodies: [Body], on access: SQLiteAccess) async -> [Result<any Sendable, any Error>] {
        let pool = access.pool
        do {
            try WriterConnection.run(pool) { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        } catch {
            return bodies.map { _ in .failure(error) }
        }
        if bodies.count == 1 {
            // Alone in its batch: the transaction itself is the body's, no savepoint needed.
            do {
                let value = try await bodies[0](access)
                try WriterConnection.run(pool) { db in try db.execute(sql: "COMMIT") }
                return [.success(value)]
            } catch {
                try? WriterConnection.run(pool) { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
                return [.failure(error)]
            }
        }
        var results: [Result<any Sendable, any Error>] = []
        for body in bodies {
            do {
                try WriterConnection.run(pool) { db in try db.execute(sql: "SAVEPOINT rendezvous_job") }
                let value = try await body(access)
                try WriterConnection.run(pool) { db in try db.execute(sql: "RELEASE rendezvous_job") }
                results.append(.success(value))
            } catch {
                do {
                    try WriterConnection.run(pool) { db in
                        try db.execute(sql: "ROLLBACK TO rendezvous_job")
                        try db.execute(sql: "RELEASE rendezvous_job")
                    }
                    results.append(.failure(error))
                } catch let rollbackError {
                    // The transaction itself is broken: nothing of this batch can commit.
                    try? WriterConnection.run(pool) { db in
                        if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                    }
                    return bodies.map { _ in .failure(rollbackError) }
                }
            }
        }
        do {
            try WriterConnection.run(pool) { db in try db.execute(sql: "COMMIT") }
            return results
        } catch {
            try? WriterConnection.run(pool) { db in
                if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
            }
            return results.map { result in
                if case .success = result { return .failure(error) }
                return result
            }
        }
    }
}

/// Synchronous access to the writer connection.
///
/// NB: write transactions are serialized by `WriteQueue`, so the writer connection's queue is idle whenever one of
/// them calls in: waiting for it synchronously costs microseconds, where an async hop per statement would cost a
/// thread switch each and cap the commit rate. It blocks only the one task that runs the batch.
enum WriterConnection {
    static func run<T>(_ pool: DatabasePool, _ work: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(work)
    }
}
