import Booking
import Foundation
import GRDB
import Workflow

// Rows of what is delivered once: the outbox, provider event ids, idempotency keys.

/// A row of `outbox`.
struct OutboxRecord: FetchableRecord, PersistableRecord {
    static let databaseTableName = "outbox"

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
        self.seq = row["seq"]
        self.id = row["id"]
        self.bookingId = row["booking_id"]
        self.topic = row["topic"]
        self.effectJson = row["effect_json"]
        self.createdAt = row["created_at"]
        self.availableAt = row["available_at"]
        self.attempts = row["attempts"]
        self.lastError = row["last_error"]
        self.deliveredAt = row["delivered_at"]
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["seq"] = self.seq
        container["id"] = self.id
        container["booking_id"] = self.bookingId
        container["topic"] = self.topic
        container["effect_json"] = self.effectJson
        container["created_at"] = self.createdAt
        container["available_at"] = self.availableAt
        container["attempts"] = self.attempts
        container["last_error"] = self.lastError
        container["delivered_at"] = self.deliveredAt
    }

    init(_ message: OutboxMessage) throws {
        self.id = message.id
        self.bookingId = message.bookingID.rawValue
        self.topic = message.effect.topic.rawValue
        self.effectJson = try ColumnJSONCache.shared.text(message.effect)
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

    /// The columns written on insert, in the order of `insertArguments`.
    static let insertColumns = [
        "id", "booking_id", "topic", "effect_json", "created_at", "available_at", "attempts", "last_error",
        "delivered_at",
    ]

    /// The values of `insertColumns`.
    var insertArguments: StatementArguments {
        [
            self.id, self.bookingId, self.topic, self.effectJson, self.createdAt, self.availableAt, self.attempts,
            self.lastError, self.deliveredAt,
        ]
    }
}

/// A row of `provider_events`: an event id seen once.
struct ProviderEventRecord: FetchableRecord, PersistableRecord {
    static let databaseTableName = "provider_events"

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
        self.id = row["id"]
        self.type = row["type"]
        self.receivedAt = row["received_at"]
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = self.id
        container["type"] = self.type
        container["received_at"] = self.receivedAt
    }

    /// The columns written on insert, in the order of `insertArguments`.
    static let insertColumns = ["id", "type", "received_at"]

    /// The values of `insertColumns`.
    var insertArguments: StatementArguments { [self.id, self.type, self.receivedAt] }
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
