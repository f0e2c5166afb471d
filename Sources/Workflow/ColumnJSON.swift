import Booking
import Foundation
import Synchronization

// How both stores keep values: instants as milliseconds, and the value types they keep whole in a column
// (schedules, rules, booking lines, outbox effects) as JSON with sorted keys, so equal values are equal texts (and a
// booking's lines can be matched by text).

/// Converts between `Date` and the milliseconds since 1970 (UTC) both stores keep instants as.
public enum Millis {
    public static func from(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    public static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}

/// Decoded and encoded forms of the JSON columns that repeat across rows (a booking's rules and lines, an email's
/// notice), kept so a hot path does not run a JSON coder for each row. Both stores use it, one per store instance
/// (no process-wide state); bounded: cleared when it grows past `limit` entries.
public final class ColumnJSONCache: Sendable {
    public init() {}

    private let limit = 512
    private let rulesByText = Mutex<[String: BookingRules]>([:])
    private let textByRules = Mutex<[BookingRules: String]>([:])
    private let linesByText = Mutex<[String: [BookingLine]]>([:])
    private let textByLines = Mutex<[[BookingLine]: String]>([:])
    private let textByEffect = Mutex<[OutboxEffect: String]>([:])

    public func rules(_ text: String) throws -> BookingRules {
        try self.cached(self.rulesByText, text) { try ColumnJSON.decode(BookingRules.self, from: text) }
    }

    public func text(_ rules: BookingRules) throws -> String {
        try self.cached(self.textByRules, rules) { try ColumnJSON.encode(rules) }
    }

    public func lines(_ text: String) throws -> [BookingLine] {
        try self.cached(self.linesByText, text) { try ColumnJSON.decode([BookingLine].self, from: text) }
    }

    public func text(_ lines: [BookingLine]) throws -> String {
        try self.cached(self.textByLines, lines) { try ColumnJSON.encode(lines) }
    }

    /// Emails repeat (one JSON text per notice); provider calls carry unique keys and are not kept.
    public func text(_ effect: OutboxEffect) throws -> String {
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
public enum ColumnJSON {
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
