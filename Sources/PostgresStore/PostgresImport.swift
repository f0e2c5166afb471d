import Foundation
import PostgresNIO
import Workflow

extension PostgresBookingStore {
    /// Loads a whole practice (every table, as `SQLiteBookingStore.dumpTables` reads them) into this database, in
    /// one transaction; refused unless the database holds no practice yet. Returns the rows copied per table.
    public func load(_ tables: [TableDump]) async throws -> [String: Int] {
        do {
            return try await self.withConnection { connection in
                try await connection.query("BEGIN", logger: self.logger)
                do {
                    let counts = try await Self.load(tables, on: connection, logger: self.logger)
                    try await connection.query("COMMIT", logger: self.logger)
                    return counts
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: self.logger)
                    throw error
                }
            }
        } catch let error as PSQLError {
            guard let message = error.serverInfo?[.message] else { throw Self.translate(error) }
            throw PostgresImportError(reason: "PostgreSQL refused a row: \(message)")
        }
    }

    private static func load(_ tables: [TableDump], on connection: PostgresConnection, logger: Logger) async throws
        -> [String: Int]
    {
        for table in ["services", "clients", "bookings", "admins"] {
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) LIMIT 1"), logger: logger)
            for try await _ in rows {
                throw PostgresImportError(
                    reason: "the PostgreSQL database already holds a practice (its \(table) table is not empty)")
            }
        }
        // The bookings' claims on their slots are made once all bookings are in, by the function the migration
        // made them with: a claim is never wider than half the gap to its neighbours, so bookings a lowered then
        // raised buffer left closer than their buffers are copied, not refused (`PostgresSlotClaims.swift`).
        try await connection.query("ALTER TABLE bookings DISABLE TRIGGER bookings_claim_new_slots", logger: logger)
        var counts: [String: Int] = [:]
        for dump in tables {
            guard TableDump.tablesInOrder.contains(dump.table) else {
                throw PostgresImportError(reason: "unknown table \(dump.table)")
            }
            var types: [String: String] = [:]
            for try await (name, type) in try await connection.query(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = \(dump.table)",
                logger: logger
            ).decode((String, String).self) {
                types[name] = type
            }
            if let missing = dump.columns.first(where: { types[$0] == nil }) {
                throw PostgresImportError(reason: "the column \(dump.table).\(missing) has no place in PostgreSQL")
            }
            try await Self.insert(dump, types: types, on: connection, logger: logger)
            counts[dump.table] = dump.rows.count
        }
        for try await _ in try await connection.query("SELECT rebuild_slot_claims()", logger: logger) {}  // to its end
        try await connection.query("ALTER TABLE bookings ENABLE TRIGGER bookings_claim_new_slots", logger: logger)
        // Identity columns continue after the copied rows.
        for (table, column) in [("booking_history", "id"), ("outbox", "seq"), ("login_failures", "id")] {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'),
                            COALESCE((SELECT MAX(\(column)) FROM \(table)), 0) + 1, false)
                        """), logger: logger)
        }
        return counts
    }

    private static func insert(
        _ dump: TableDump, types: [String: String], on connection: PostgresConnection, logger: Logger
    ) async throws {
        let columns = dump.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        // Several rows a statement (far below PostgreSQL's 65,535 parameters).
        let perStatement = max(1, 2_000 / max(dump.columns.count, 1))
        var start = 0
        while start < dump.rows.count {
            let batch = dump.rows[start..<min(start + perStatement, dump.rows.count)]
            var binds = PostgresBindings(capacity: batch.count * dump.columns.count)
            var tuples: [String] = []
            for row in batch {
                var placeholders: [String] = []
                for (column, value) in zip(dump.columns, row) {
                    switch (value, types[column]) {
                    case (.null, _): binds.appendNull()
                    case (.integer(let integer), "boolean"): binds.append(integer != 0)
                    case (.integer(let integer), _): binds.append(integer)
                    case (.real(let real), _): binds.append(real)
                    case (.text(let text), _): binds.append(text)
                    }
                    placeholders.append("$\(binds.count)")
                }
                tuples.append("(\(placeholders.joined(separator: ", ")))")
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL:
                        "INSERT INTO \(dump.table) (\(columns)) OVERRIDING SYSTEM VALUE VALUES \(tuples.joined(separator: ", "))",
                    binds: binds), logger: logger)
            start += perStatement
        }
    }
}

/// Why a practice cannot be loaded into PostgreSQL.
public struct PostgresImportError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "cannot copy the practice: \(self.reason)" }
}
