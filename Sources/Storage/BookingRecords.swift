import Booking
import Foundation
import GRDB
import Workflow

// Rows of a booking and its append-only history. One record type per table; columns are named once, in
// `insertColumns`, and the update lists derive from it.

/// A row of `bookings`: the booking with its lifecycle spread over columns the schema can check.
struct BookingRecord: FetchableRecord, PersistableRecord {
    static let databaseTableName = "bookings"

    var id: String
    var accessToken: String
    var clientId: String
    var staffId: String
    var startAt: Int64
    var endAt: Int64
    var bufferMinutes: Int
    var origin: String
    var state: String
    var approvalOnSettlement: String
    var paymentStatus: String
    var paymentMethod: String
    var priceMinor: Int64
    var currency: String
    var receivedMinor: Int64
    var refundRequestedMinor: Int64
    var refundedMinor: Int64
    var surplusReceivedMinor: Int64
    var surplusRefundedMinor: Int64
    var checkoutSessionId: String?
    var paymentIntentId: String?
    /// Attention flags, comma-separated and sorted.
    var attention: String
    var holdUntil: Int64?
    var linesJson: String
    var rulesJson: String
    var clientNote: String?
    var archivedAt: Int64?
    var sequence: Int
    var createdAt: Int64
    var updatedAt: Int64

    // NB: columns are mapped by hand, not through Codable: this runs for every write of the hot paths.
    init(row: Row) throws {
        self.id = row["id"]
        self.accessToken = row["access_token"]
        self.clientId = row["client_id"]
        self.staffId = row["staff_id"]
        self.startAt = row["start_at"]
        self.endAt = row["end_at"]
        self.bufferMinutes = row["buffer_minutes"]
        self.origin = row["origin"]
        self.state = row["state"]
        self.approvalOnSettlement = row["approval_on_settlement"]
        self.paymentStatus = row["payment_status"]
        self.paymentMethod = row["payment_method"]
        self.priceMinor = row["price_minor"]
        self.currency = row["currency"]
        self.receivedMinor = row["received_minor"]
        self.refundRequestedMinor = row["refund_requested_minor"]
        self.refundedMinor = row["refunded_minor"]
        self.surplusReceivedMinor = row["surplus_received_minor"]
        self.surplusRefundedMinor = row["surplus_refunded_minor"]
        self.checkoutSessionId = row["checkout_session_id"]
        self.paymentIntentId = row["payment_intent_id"]
        self.attention = row["attention"]
        self.holdUntil = row["hold_until"]
        self.linesJson = row["lines_json"]
        self.rulesJson = row["rules_json"]
        self.clientNote = row["client_note"]
        self.archivedAt = row["archived_at"]
        self.sequence = row["sequence"]
        self.createdAt = row["created_at"]
        self.updatedAt = row["updated_at"]
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = self.id
        container["access_token"] = self.accessToken
        container["client_id"] = self.clientId
        container["staff_id"] = self.staffId
        container["start_at"] = self.startAt
        container["end_at"] = self.endAt
        container["buffer_minutes"] = self.bufferMinutes
        container["origin"] = self.origin
        container["state"] = self.state
        container["approval_on_settlement"] = self.approvalOnSettlement
        container["payment_status"] = self.paymentStatus
        container["payment_method"] = self.paymentMethod
        container["price_minor"] = self.priceMinor
        container["currency"] = self.currency
        container["received_minor"] = self.receivedMinor
        container["refund_requested_minor"] = self.refundRequestedMinor
        container["refunded_minor"] = self.refundedMinor
        container["surplus_received_minor"] = self.surplusReceivedMinor
        container["surplus_refunded_minor"] = self.surplusRefundedMinor
        container["checkout_session_id"] = self.checkoutSessionId
        container["payment_intent_id"] = self.paymentIntentId
        container["attention"] = self.attention
        container["hold_until"] = self.holdUntil
        container["lines_json"] = self.linesJson
        container["rules_json"] = self.rulesJson
        container["client_note"] = self.clientNote
        container["archived_at"] = self.archivedAt
        container["sequence"] = self.sequence
        container["created_at"] = self.createdAt
        container["updated_at"] = self.updatedAt
    }

    init(_ booking: Booking) throws {
        let payment = booking.lifecycle.payment
        self.id = booking.id.rawValue
        self.accessToken = booking.accessToken.rawValue
        self.clientId = booking.clientID.rawValue
        self.staffId = booking.staffID.rawValue
        self.startAt = Millis.from(booking.start)
        self.endAt = Millis.from(booking.end)
        self.bufferMinutes = booking.bufferMinutes
        self.origin = booking.origin.rawValue
        self.state = booking.state.rawValue
        self.approvalOnSettlement = booking.lifecycle.approvalOnSettlement.rawValue
        self.paymentStatus = payment.status.rawValue
        self.paymentMethod = payment.method.rawValue
        self.priceMinor = payment.expected.minorUnits
        self.currency = payment.expected.currency.code
        self.receivedMinor = payment.receivedMinorUnits
        self.refundRequestedMinor = payment.refundRequestedMinorUnits
        self.refundedMinor = payment.refundedMinorUnits
        self.surplusReceivedMinor = booking.lifecycle.surplusReceivedMinorUnits
        self.surplusRefundedMinor = booking.lifecycle.surplusRefundedMinorUnits
        self.checkoutSessionId = payment.checkoutSessionID
        self.paymentIntentId = payment.paymentIntentID
        self.attention = booking.lifecycle.attention.map(\.rawValue).sorted().joined(separator: ",")
        self.holdUntil = booking.holdUntil.map(Millis.from)
        self.linesJson = try ColumnJSONCache.shared.text(booking.lines)
        self.rulesJson = try ColumnJSONCache.shared.text(booking.rules)
        self.clientNote = booking.clientNote
        self.archivedAt = booking.archivedAt.map(Millis.from)
        self.sequence = booking.sequence
        self.createdAt = Millis.from(booking.createdAt)
        self.updatedAt = Millis.from(booking.updatedAt)
    }

    func domain() throws -> Booking {
        let corrupt = StorageError.corruptRow(table: Self.databaseTableName, id: self.id)
        guard let state = BookingState(rawValue: self.state), let status = PaymentStatus(rawValue: self.paymentStatus),
            let method = PaymentMethod(rawValue: self.paymentMethod), let currency = Currency(self.currency),
            let approval = ApprovalMode(rawValue: self.approvalOnSettlement),
            let origin = BookingOrigin(rawValue: self.origin)
        else { throw corrupt }
        var attention: Set<AttentionFlag> = []
        for name in self.attention.split(separator: ",") {
            guard let flag = AttentionFlag(rawValue: String(name)) else { throw corrupt }
            attention.insert(flag)
        }
        var payment = PaymentRecord(method: method, expected: Money(minorUnits: self.priceMinor, currency: currency))
        payment.status = status
        payment.receivedMinorUnits = self.receivedMinor
        payment.refundRequestedMinorUnits = self.refundRequestedMinor
        payment.refundedMinorUnits = self.refundedMinor
        payment.checkoutSessionID = self.checkoutSessionId
        payment.paymentIntentID = self.paymentIntentId
        let lifecycle = BookingLifecycle(
            restoring: state, payment: payment, approvalOnSettlement: approval, attention: attention,
            surplusReceivedMinorUnits: self.surplusReceivedMinor, surplusRefundedMinorUnits: self.surplusRefundedMinor)
        return Booking(
            id: BookingID(rawValue: self.id), accessToken: AccessToken(rawValue: self.accessToken),
            clientID: ClientID(rawValue: self.clientId), staffID: StaffID(rawValue: self.staffId),
            lines: try ColumnJSONCache.shared.lines(self.linesJson),
            start: Millis.date(self.startAt), end: Millis.date(self.endAt),
            rules: try ColumnJSONCache.shared.rules(self.rulesJson), bufferMinutes: self.bufferMinutes,
            origin: origin, lifecycle: lifecycle, holdUntil: self.holdUntil.map(Millis.date),
            clientNote: self.clientNote,
            archivedAt: self.archivedAt.map(Millis.date), sequence: self.sequence,
            createdAt: Millis.date(self.createdAt), updatedAt: Millis.date(self.updatedAt))
    }

    /// The columns written on insert, in the order of `insertArguments`.
    static let insertColumns = [
        "id", "access_token", "client_id", "staff_id", "start_at", "end_at", "buffer_minutes", "origin", "state",
        "approval_on_settlement", "payment_status", "payment_method", "price_minor", "currency", "received_minor",
        "refund_requested_minor", "refunded_minor", "surplus_received_minor", "surplus_refunded_minor",
        "checkout_session_id", "payment_intent_id", "attention", "hold_until", "lines_json", "rules_json",
        "client_note", "archived_at", "sequence", "created_at", "updated_at",
    ]

    /// Columns a booking never changes after its insert. An UPDATE leaves them out of its SET list, so SQLite
    /// neither rewrites their index entries nor checks the tables whose foreign keys point at `id`.
    static let immutableColumns: Set<String> = ["id", "access_token", "client_id", "origin", "created_at"]
    static let updateColumns = insertColumns.filter { !immutableColumns.contains($0) }
    /// Where a booking sits: most updates (payments, decisions) leave these alone, and then the indexes on them
    /// need no rewrite either.
    static let placementColumns: Set<String> = ["staff_id", "start_at", "end_at"]
    static let inPlaceColumns = updateColumns.filter { !placementColumns.contains($0) }
    private static let updateMask = insertColumns.map { !immutableColumns.contains($0) }
    private static let inPlaceMask = insertColumns.map {
        !immutableColumns.contains($0) && !placementColumns.contains($0)
    }

    /// The values of `insertColumns`.
    var insertArguments: StatementArguments { StatementArguments(self.insertValues) }

    /// The values of `updateColumns`, then the id for the WHERE clause.
    var updateArguments: StatementArguments { self.arguments(Self.updateMask) }

    /// The values of `inPlaceColumns`, then the id for the WHERE clause.
    var inPlaceArguments: StatementArguments { self.arguments(Self.inPlaceMask) }

    private func arguments(_ mask: [Bool]) -> StatementArguments {
        var values: [(any DatabaseValueConvertible)?] = []
        values.reserveCapacity(mask.count + 1)
        for (value, kept) in zip(self.insertValues, mask) where kept { values.append(value) }
        values.append(self.id)
        return StatementArguments(values)
    }

    private var insertValues: [(any DatabaseValueConvertible)?] {
        [
            self.id, self.accessToken, self.clientId, self.staffId, self.startAt, self.endAt, self.bufferMinutes,
            self.origin, self.state, self.approvalOnSettlement, self.paymentStatus, self.paymentMethod, self.priceMinor,
            self.currency, self.receivedMinor, self.refundRequestedMinor, self.refundedMinor, self.surplusReceivedMinor,
            self.surplusRefundedMinor, self.checkoutSessionId, self.paymentIntentId, self.attention, self.holdUntil,
            self.linesJson, self.rulesJson, self.clientNote, self.archivedAt, self.sequence, self.createdAt,
            self.updatedAt,
        ]
    }
}

/// A row of `booking_history` (append-only: triggers refuse updates and deletes).
struct HistoryRecord: FetchableRecord, PersistableRecord {
    static let databaseTableName = "booking_history"

    var id: Int64?
    var bookingId: String
    var at: Int64
    var actor: String
    var fromState: String?
    var toState: String
    var event: String
    var reason: String?
    var providerEventId: String?

    // NB: columns are mapped by hand, not through Codable: this runs for every write of the hot paths.
    init(row: Row) throws {
        self.id = row["id"]
        self.bookingId = row["booking_id"]
        self.at = row["at"]
        self.actor = row["actor"]
        self.fromState = row["from_state"]
        self.toState = row["to_state"]
        self.event = row["event"]
        self.reason = row["reason"]
        self.providerEventId = row["provider_event_id"]
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = self.id
        container["booking_id"] = self.bookingId
        container["at"] = self.at
        container["actor"] = self.actor
        container["from_state"] = self.fromState
        container["to_state"] = self.toState
        container["event"] = self.event
        container["reason"] = self.reason
        container["provider_event_id"] = self.providerEventId
    }

    init(_ entry: HistoryEntry) {
        self.bookingId = entry.bookingID.rawValue
        self.at = Millis.from(entry.at)
        self.actor = entry.actor.description
        self.fromState = entry.from?.rawValue
        self.toState = entry.to.rawValue
        self.event = entry.event
        self.reason = entry.reason
        self.providerEventId = entry.providerEventID
    }

    func domain() throws -> HistoryEntry {
        guard let actor = Actor(description: self.actor), let to = BookingState(rawValue: self.toState) else {
            throw StorageError.corruptRow(table: Self.databaseTableName, id: "\(self.id ?? 0)")
        }
        return HistoryEntry(
            bookingID: BookingID(rawValue: self.bookingId), at: Millis.date(self.at), actor: actor,
            from: self.fromState.flatMap(BookingState.init(rawValue:)), to: to, event: self.event, reason: self.reason,
            providerEventID: self.providerEventId)
    }

    /// The columns written on insert, in the order of `insertArguments`.
    static let insertColumns = [
        "booking_id", "at", "actor", "from_state", "to_state", "event", "reason", "provider_event_id",
    ]

    /// The values of `insertColumns`.
    var insertArguments: StatementArguments {
        [
            self.bookingId, self.at, self.actor, self.fromState, self.toState, self.event, self.reason,
            self.providerEventId,
        ]
    }
}
