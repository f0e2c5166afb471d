import Booking
import Foundation
import GRDB
import Workflow

/// The `BookingStore` on SQLite through GRDB: WAL, `synchronous=FULL`, a busy timeout, named migrations.
///
/// Write transactions run one at a time on the writer connection, each from its first statement to its end under
/// SQLite's write lock (`BEGIN IMMEDIATE`), so the overlap check and the insert it guards cannot interleave with
/// another writer, in this process or another. Transactions that queue up while one runs are committed together
/// (group commit): each runs inside its own savepoint, a failing one is rolled back alone, and every caller hears
/// back only after the shared COMMIT reached the disk.
public final class SQLiteBookingStore: BookingStore {
    /// Where the database lives.
    public let path: String
    private let pool: DatabasePool
    private let queue: WriteQueue
    /// Repeated JSON columns, decoded and encoded once for this store.
    private let json = ColumnJSONCache()

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String, maxBatch: Int = 64) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        // NB: a write transaction of the workflow spans several database accesses (one per store call, with
        // awaits between them). GRDB refuses that unless told; `WriteQueue` runs one transaction batch at a time and
        // ends each with COMMIT or ROLLBACK.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // A larger page cache and memory-mapped reads: fewer read system calls on every connection.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // NB: set after opening, on the one writer connection: DatabasePool sets NORMAL when it enables WAL, and a
        // committed booking or payment must survive power loss, not only a process crash.
        try self.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try SQLiteSchema.migrator.migrate(self.pool)
        self.queue = WriteQueue(pool: self.pool, json: self.json, maxBatch: maxBatch)
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await self.pool.read { db in try SQLiteSchema.migrator.appliedMigrations(db) }
    }

    /// The `PRAGMA synchronous` level of the store's connections (2 is FULL).
    public func synchronousLevel() async throws -> Int {
        try await self.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T)
        async throws -> T
    {
        let value = try await self.queue.submit { transaction in try await body(transaction) }
        // NB: the queue hands back exactly what this body returned.
        return value as! T
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreReader) async throws -> T) async throws
        -> T
    {
        try await body(SQLiteAccess(pool: self.pool, writable: false, json: self.json))
    }
}

extension SQLiteBookingStore {
    /// SQLite's plan for `sql` (the detail column of `EXPLAIN QUERY PLAN`), for tests that check hot queries.
    func queryPlan(_ sql: String) async throws -> [String] {
        try await self.pool.read { db in
            let statement = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + sql)
            // The plan does not depend on the values: every parameter (these statements quote no "?") is NULL.
            let nulls = StatementArguments(Array(repeating: nil as String?, count: sql.filter { $0 == "?" }.count))
            return try Row.fetchAll(statement, arguments: nulls).map { row in row["detail"] as String }
        }
    }
}

extension SQLiteBookingStore {
    /// Every row of every table of the practice, in one read (moving it to another store).
    public func dumpTables() async throws -> [TableDump] {
        try await self.pool.read { db in
            try TableDump.tablesInOrder.map { table in
                let columns = try db.columns(in: table).map(\.name)
                let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: "SELECT \(quoted) FROM \(table)").map { row in
                    columns.indices.map { index -> StoredValue in
                        switch row[index] as DatabaseValue {
                        case let value where value.isNull: .null
                        case let value:
                            switch value.storage {
                            case .int64(let integer): .integer(integer)
                            case .double(let real): .real(real)
                            case .string(let text): .text(text)
                            case .blob(let data): .text(String(decoding: data, as: UTF8.self))
                            case .null: .null
                            }
                        }
                    }
                }
                return TableDump(table: table, columns: columns, rows: rows)
            }
        }
    }
}
