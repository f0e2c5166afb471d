import Booking
import Foundation
import GRDB
import Workflow

// Rows of what is delivered once: the outbox, provider event ids, idempotency keys.

/// A row of `outbox`.
struct OutboxRecord: FetchableRecord, ColumnRecord {
    static let databaseTableName = "outbox"

    /// The table's columns, declared once, in insert order.
    enum Columns: String, ColumnExpression, CaseIterable {
        case seq
        case id
        case bookingId = "booking_id"
        case topic
        case effectJson = "effect_json"
        case createdAt = "created_at"
        case availableAt = "available_at"
        case attempts
        case lastError = "last_error"
        case deliveredAt = "delivered_at"
    }

    static let generatedColumns: Set<Columns> = [.seq]

    /// Insertion order: rows of one transaction share `created_at`.
    var seq: Int64?
    var id: String
    var bookingId: String
    var topic: String
    var effectJson: String
    var createdAt: Int64
    var availableAt: Int64
    var attempts: Int
    var lastError: String?
    var deliveredAt: Int64?

    // NB: columns are mapped by hand, not through Codable: this runs for every write of the hot paths.
    init(row: Row) throws {
        self.seq = row[Columns.seq]
        self.id = row[Columns.id]
        self.bookingId = row[Columns.bookingId]
        self.topic = row[Columns.topic]
        self.effectJson = row[Columns.effectJson]
        self.createdAt = row[Columns.createdAt]
        self.availableAt = row[Columns.availableAt]
        self.attempts = row[Columns.attempts]
        self.lastError = row[Columns.lastError]
        self.deliveredAt = row[Columns.deliveredAt]
    }

    func value(of column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .seq: self.seq
        case .id: self.id
        case .bookingId: self.bookingId
        case .topic: self.topic
        case .effectJson: self.effectJson
        case .createdAt: self.createdAt
        case .availableAt: self.availableAt
        case .attempts: self.attempts
        case .lastError: self.lastError
        case .deliveredAt: self.deliveredAt
        }
    }

    init(_ message: OutboxMessage, json: ColumnJSONCache) throws {
        self.id = message.id
        self.bookingId = message.bookingID.rawValue
        self.topic = message.effect.topic.rawValue
        self.effectJson = try json.text(message.effect)
        self.createdAt = Millis.from(message.createdAt)
        self.availableAt = Millis.from(message.availableAt)
        self.attempts = message.attempts
        self.lastError = message.lastError
        self.deliveredAt = message.deliveredAt.map(Millis.from)
    }

    func domain() throws -> OutboxMessage {
        OutboxMessage(
            id: self.id, bookingID: BookingID(rawValue: self.bookingId),
            effect: try ColumnJSON.decode(OutboxEffect.self, from: self.effectJson),
            createdAt: Millis.date(self.createdAt),
            availableAt: Millis.date(self.availableAt), attempts: self.attempts, lastError: self.lastError,
            deliveredAt: self.deliveredAt.map(Millis.date))
    }

}

/// A row of `provider_events`: an event id seen once.
struct ProviderEventRecord: FetchableRecord, ColumnRecord {
    static let databaseTableName = "provider_events"

    /// The table's columns, declared once, in insert order.
    enum Columns: String, ColumnExpression, CaseIterable {
        case id
        case type
        case receivedAt = "received_at"
    }

    var id: String
    var type: String
    var receivedAt: Int64

    init(id: String, type: String, receivedAt: Int64) {
        self.id = id
        self.type = type
        self.receivedAt = receivedAt
    }

    // NB: columns are mapped by hand, not through Codable: this runs for every write of the hot paths.
    init(row: Row) throws {
        self.id = row[Columns.id]
        self.type = row[Columns.type]
        self.receivedAt = row[Columns.receivedAt]
    }

    func value(of column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .id: self.id
        case .type: self.type
        case .receivedAt: self.receivedAt
        }
    }

}

/// A row of `idempotency_keys`.
struct IdempotencyKeyRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "idempotency_keys"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var key: String
    var fingerprint: String
    var bookingId: String
    var createdAt: Int64
}
