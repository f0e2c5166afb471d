import Booking
import Foundation
import GRDB
import Workflow

// Rows of a booking and its append-only history. One record type per table; columns are named once, in its
// `Columns` enum, and the insert and update lists derive from it.

/// A row of `bookings`: the booking with its lifecycle spread over columns the schema can check.
struct BookingRecord: FetchableRecord, ColumnRecord {
    static let databaseTableName = "bookings"

    /// The table's columns, declared once, in insert order.
    enum Columns: String, ColumnExpression, CaseIterable {
        case id
        case accessToken = "access_token"
        case clientId = "client_id"
        case staffId = "staff_id"
        case startAt = "start_at"
        case endAt = "end_at"
        case bufferMinutes = "buffer_minutes"
        case origin
        case state
        case approvalOnSettlement = "approval_on_settlement"
        case paymentStatus = "payment_status"
        case paymentMethod = "payment_method"
        case priceMinor = "price_minor"
        case currency
        case receivedMinor = "received_minor"
        case refundRequestedMinor = "refund_requested_minor"
        case refundedMinor = "refunded_minor"
        case surplusReceivedMinor = "surplus_received_minor"
        case surplusRefundedMinor = "surplus_refunded_minor"
        case checkoutSessionId = "checkout_session_id"
        case paymentIntentId = "payment_intent_id"
        case attention
        case holdUntil = "hold_until"
        case linesJson = "lines_json"
        case rulesJson = "rules_json"
        case clientNote = "client_note"
        case archivedAt = "archived_at"
        case sequence
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

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
        self.id = row[Columns.id]
        self.accessToken = row[Columns.accessToken]
        self.clientId = row[Columns.clientId]
        self.staffId = row[Columns.staffId]
        self.startAt = row[Columns.startAt]
        self.endAt = row[Columns.endAt]
        self.bufferMinutes = row[Columns.bufferMinutes]
        self.origin = row[Columns.origin]
        self.state = row[Columns.state]
        self.approvalOnSettlement = row[Columns.approvalOnSettlement]
        self.paymentStatus = row[Columns.paymentStatus]
        self.paymentMethod = row[Columns.paymentMethod]
        self.priceMinor = row[Columns.priceMinor]
        self.currency = row[Columns.currency]
        self.receivedMinor = row[Columns.receivedMinor]
        self.refundRequestedMinor = row[Columns.refundRequestedMinor]
        self.refundedMinor = row[Columns.refundedMinor]
        self.surplusReceivedMinor = row[Columns.surplusReceivedMinor]
        self.surplusRefundedMinor = row[Columns.surplusRefundedMinor]
        self.checkoutSessionId = row[Columns.checkoutSessionId]
        self.paymentIntentId = row[Columns.paymentIntentId]
        self.attention = row[Columns.attention]
        self.holdUntil = row[Columns.holdUntil]
        self.linesJson = row[Columns.linesJson]
        self.rulesJson = row[Columns.rulesJson]
        self.clientNote = row[Columns.clientNote]
        self.archivedAt = row[Columns.archivedAt]
        self.sequence = row[Columns.sequence]
        self.createdAt = row[Columns.createdAt]
        self.updatedAt = row[Columns.updatedAt]
    }

    func value(of column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .id: self.id
        case .accessToken: self.accessToken
        case .clientId: self.clientId
        case .staffId: self.staffId
        case .startAt: self.startAt
        case .endAt: self.endAt
        case .bufferMinutes: self.bufferMinutes
        case .origin: self.origin
        case .state: self.state
        case .approvalOnSettlement: self.approvalOnSettlement
        case .paymentStatus: self.paymentStatus
        case .paymentMethod: self.paymentMethod
        case .priceMinor: self.priceMinor
        case .currency: self.currency
        case .receivedMinor: self.receivedMinor
        case .refundRequestedMinor: self.refundRequestedMinor
        case .refundedMinor: self.refundedMinor
        case .surplusReceivedMinor: self.surplusReceivedMinor
        case .surplusRefundedMinor: self.surplusRefundedMinor
        case .checkoutSessionId: self.checkoutSessionId
        case .paymentIntentId: self.paymentIntentId
        case .attention: self.attention
        case .holdUntil: self.holdUntil
        case .linesJson: self.linesJson
        case .rulesJson: self.rulesJson
        case .clientNote: self.clientNote
        case .archivedAt: self.archivedAt
        case .sequence: self.sequence
        case .createdAt: self.createdAt
        case .updatedAt: self.updatedAt
        }
    }

    init(_ booking: Booking, json: ColumnJSONCache) throws {
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
        self.linesJson = try json.text(booking.lines)
        self.rulesJson = try json.text(booking.rules)
        self.clientNote = booking.clientNote
        self.archivedAt = booking.archivedAt.map(Millis.from)
        self.sequence = booking.sequence
        self.createdAt = Millis.from(booking.createdAt)
        self.updatedAt = Millis.from(booking.updatedAt)
    }

    func domain(_ json: ColumnJSONCache) throws -> Booking {
        let corrupt = StoreError.corruptRow(table: Self.databaseTableName, id: self.id)
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
            lines: try json.lines(self.linesJson),
            start: Millis.date(self.startAt), end: Millis.date(self.endAt),
            rules: try json.rules(self.rulesJson), bufferMinutes: self.bufferMinutes,
            origin: origin, lifecycle: lifecycle, holdUntil: self.holdUntil.map(Millis.date),
            clientNote: self.clientNote,
            archivedAt: self.archivedAt.map(Millis.date), sequence: self.sequence,
            createdAt: Millis.date(self.createdAt), updatedAt: Millis.date(self.updatedAt))
    }

    /// Columns a booking never changes after its insert. An UPDATE leaves them out of its SET list, so SQLite
    /// neither rewrites their index entries nor checks the tables whose foreign keys point at `id`.
    static let immutableColumns: Set<Columns> = [.id, .accessToken, .clientId, .origin, .createdAt]
    static let updateColumns = Columns.allCases.filter { !immutableColumns.contains($0) }
    /// Where a booking sits: most updates (payments, decisions) leave these alone, and then the indexes on them
    /// need no rewrite either.
    static let placementColumns: Set<Columns> = [.staffId, .startAt, .endAt]
    static let inPlaceColumns = updateColumns.filter { !placementColumns.contains($0) }

    /// The values of `updateColumns`, then the id for the WHERE clause.
    var updateArguments: StatementArguments { self.arguments(Self.updateColumns) }

    /// The values of `inPlaceColumns`, then the id for the WHERE clause.
    var inPlaceArguments: StatementArguments { self.arguments(Self.inPlaceColumns) }

    private func arguments(_ columns: [Columns]) -> StatementArguments {
        var values = columns.map(self.value(of:))
        values.append(self.id)
        return StatementArguments(values)
    }
}

/// A row of `booking_history` (append-only: triggers refuse updates and deletes).
struct HistoryRecord: FetchableRecord, ColumnRecord {
    static let databaseTableName = "booking_history"

    /// The table's columns, declared once, in insert order.
    enum Columns: String, ColumnExpression, CaseIterable {
        case id
        case bookingId = "booking_id"
        case at
        case actor
        case fromState = "from_state"
        case toState = "to_state"
        case event
        case reason
        case providerEventId = "provider_event_id"
        case reasonShownToClient = "reason_shown_to_client"
    }

    static let generatedColumns: Set<Columns> = [.id]

    var id: Int64?
    var bookingId: String
    var at: Int64
    var actor: String
    var fromState: String?
    var toState: String
    var event: String
    var reason: String?
    var providerEventId: String?
    var reasonShownToClient: Bool

    // NB: columns are mapped by hand, not through Codable: this runs for every write of the hot paths.
    init(row: Row) throws {
        self.id = row[Columns.id]
        self.bookingId = row[Columns.bookingId]
        self.at = row[Columns.at]
        self.actor = row[Columns.actor]
        self.fromState = row[Columns.fromState]
        self.toState = row[Columns.toState]
        self.event = row[Columns.event]
        self.reason = row[Columns.reason]
        self.providerEventId = row[Columns.providerEventId]
        self.reasonShownToClient = row[Columns.reasonShownToClient]
    }

    func value(of column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .id: self.id
        case .bookingId: self.bookingId
        case .at: self.at
        case .actor: self.actor
        case .fromState: self.fromState
        case .toState: self.toState
        case .event: self.event
        case .reason: self.reason
        case .providerEventId: self.providerEventId
        case .reasonShownToClient: self.reasonShownToClient
        }
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
        self.reasonShownToClient = entry.reasonShownToClient
    }

    func domain() throws -> HistoryEntry {
        guard let actor = Actor(description: self.actor), let to = BookingState(rawValue: self.toState) else {
            throw StoreError.corruptRow(table: Self.databaseTableName, id: "\(self.id ?? 0)")
        }
        return HistoryEntry(
            bookingID: BookingID(rawValue: self.bookingId), at: Millis.date(self.at), actor: actor,
            from: self.fromState.flatMap(BookingState.init(rawValue:)), to: to, event: self.event, reason: self.reason,
            providerEventID: self.providerEventId, reasonShownToClient: self.reasonShownToClient)
    }

}
