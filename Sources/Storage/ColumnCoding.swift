import Booking
import Foundation
import GRDB
import Synchronization
import Workflow

// How values are stored: instants as INTEGER milliseconds since 1970 (UTC), value types whole as JSON (with a
// cache for the hot columns), and the storage layer's own errors.

/// Converts between `Date` and the stored milliseconds.
enum Millis {
    static func from(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}

/// Decoded and encoded forms of the JSON columns that repeat across rows (a booking's rules and lines), kept so a
/// hot write path does not run a JSON coder for each row. One per store (no process-wide state); bounded: cleared
/// when it grows past `limit` entries.
final class ColumnJSONCache: Sendable {
    private let limit = 512
    private let rulesByText = Mutex<[String: BookingRules]>([:])
    private let textByRules = Mutex<[BookingRules: String]>([:])
    private let linesByText = Mutex<[String: [BookingLine]]>([:])
    private let textByLines = Mutex<[[BookingLine]: String]>([:])
    private let textByEffect = Mutex<[OutboxEffect: String]>([:])

    func rules(_ text: String) throws -> BookingRules {
        try self.cached(self.rulesByText, text) { try ColumnJSON.decode(BookingRules.self, from: text) }
    }

    func text(_ rules: BookingRules) throws -> String {
        try self.cached(self.textByRules, rules) { try ColumnJSON.encode(rules) }
    }

    func lines(_ text: String) throws -> [BookingLine] {
        try self.cached(self.linesByText, text) { try ColumnJSON.decode([BookingLine].self, from: text) }
    }

    func text(_ lines: [BookingLine]) throws -> String {
        try self.cached(self.textByLines, lines) { try ColumnJSON.encode(lines) }
    }

    /// Emails repeat (one JSON text per notice); provider calls carry unique keys and are not kept.
    func text(_ effect: OutboxEffect) throws -> String {
        switch effect {
        case .emailClient, .emailAdmins: try self.cached(self.textByEffect, effect) { try ColumnJSON.encode(effect) }
        case .refund, .expireCheckout: try ColumnJSON.encode(effect)
        }
    }

    private func cached<Key: Hashable & Sendable, Value: Sendable>(
        _ cache: borrowing Mutex<[Key: Value]>, _ key: Key, make: () throws -> Value
    ) throws -> Value {
        if let value = cache.withLock({ $0[key] }) { return value }
        let value = try make()
        cache.withLock { entries in
            if entries.count >= self.limit { entries.removeAll() }
            entries[key] = value
        }
        return value
    }
}

/// JSON for the columns that hold a value type whole (schedules, rules, booking lines).
enum ColumnJSON {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

/// Failures of the storage layer itself.
public enum StorageError: Error, CustomStringConvertible {
    /// A stored row does not decode into the domain: the database was edited by hand or is damaged.
    case corruptRow(table: String, id: String)
    /// A write method was called through a read-only access.
    case readOnly

    public var description: String {
        switch self {
        case .corruptRow(let table, let id): "the row \(id) of \(table) cannot be read"
        case .readOnly: "a write was attempted in a read-only access"
        }
    }
}

/// A record whose columns are declared once, in its `Columns` enum (in insert order): the INSERT statement's column
/// list, its arguments and GRDB's persistence container all derive from `value(of:)`.
protocol ColumnRecord: PersistableRecord
where Columns: CaseIterable & ColumnExpression & Hashable & RawRepresentable<String>, Columns.AllCases == [Columns] {
    /// Columns the database fills in (an autoincrement key): never written by an INSERT.
    static var generatedColumns: Set<Columns> { get }
    func value(of column: Columns) -> (any DatabaseValueConvertible)?
}

extension ColumnRecord {
    static var generatedColumns: Set<Columns> { [] }

    /// The columns an INSERT writes, in the order of `insertArguments`.
    static var insertColumns: [Columns] { Columns.allCases.filter { !Self.generatedColumns.contains($0) } }

    /// The values of `insertColumns`.
    var insertArguments: StatementArguments { StatementArguments(Self.insertColumns.map(self.value(of:))) }

    func encode(to container: inout PersistenceContainer) throws {
        for column in Columns.allCases { container[column] = self.value(of: column) }
    }
}
