import Booking
import Foundation
import PostgresNIO
import Workflow

// Rows of PostgreSQL as domain values and back. Instants are BIGINT milliseconds (UTC); value types stored whole
// (schedules, rules, booking lines, outbox effects) are JSON text with sorted keys (Workflow's `ColumnJSON`), as on
// SQLite.

extension PostgresRandomAccessRow {
    /// The named column's value.
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

enum Rows {
    /// The columns of `bookings`, in the order `bookingBinds` writes them.
    static let bookingColumns = [
        "id", "access_token", "client_id", "staff_id", "start_at", "end_at", "buffer_minutes", "origin", "state",
        "approval_on_settlement", "payment_status", "payment_method", "price_minor", "currency", "received_minor",
        "refund_requested_minor", "refunded_minor", "surplus_received_minor", "surplus_refunded_minor",
        "checkout_session_id", "payment_intent_id", "attention", "hold_until", "lines_json", "rules_json",
        "client_note", "archived_at", "sequence", "created_at", "updated_at",
    ]

    /// The types of `bookingColumns`, in order.
    static let bookingTypes: [ColumnType] = [
        .text, .text, .text, .text, .bigint, .bigint, .bigint, .text, .text,
        .text, .text, .text, .bigint, .text, .bigint,
        .bigint, .bigint, .bigint, .bigint,
        .text, .text, .text, .bigint, .text, .text,
        .text, .bigint, .bigint, .bigint, .bigint,
    ]

    /// A booking's column values, in `bookingColumns` order.
    static func bookingBinds(_ booking: Booking, json: ColumnJSONCache) throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: bookingColumns.count)
        binds.append(try Self.bookingValues(booking, json: json))
        return binds
    }

    /// A booking's column values, in `bookingColumns` order.
    static func bookingValues(_ booking: Booking, json: ColumnJSONCache) throws -> [ColumnValue] {
        let payment = booking.lifecycle.payment
        return [
            .text(booking.id.rawValue),
            .text(booking.accessToken.rawValue),
            .text(booking.clientID.rawValue),
            .text(booking.staffID.rawValue),
            .int(Millis.from(booking.start)),
            .int(Millis.from(booking.end)),
            .int(Int64(booking.bufferMinutes)),
            .text(booking.origin.rawValue),
            .text(booking.state.rawValue),
            .text(booking.lifecycle.approvalOnSettlement.rawValue),
            .text(payment.status.rawValue),
            .text(payment.method.rawValue),
            .int(payment.expected.minorUnits),
            .text(payment.expected.currency.code),
            .int(payment.receivedMinorUnits),
            .int(payment.refundRequestedMinorUnits),
            .int(payment.refundedMinorUnits),
            .int(booking.lifecycle.surplusReceivedMinorUnits),
            .int(booking.lifecycle.surplusRefundedMinorUnits),
            .text(payment.checkoutSessionID),
            .text(payment.paymentIntentID),
            .text(booking.lifecycle.attention.map(\.rawValue).sorted().joined(separator: ",")),
            .int(booking.holdUntil.map(Millis.from)),
            .text(try json.text(booking.lines)),
            .text(try json.text(booking.rules)),
            .text(booking.clientNote),
            .int(booking.archivedAt.map(Millis.from)),
            .int(Int64(booking.sequence)),
            .int(Millis.from(booking.createdAt)),
            .int(Millis.from(booking.updatedAt)),
        ]
    }

    static func booking(_ row: PostgresRandomAccessRow, json: ColumnJSONCache) throws -> Booking {
        let id: String = try row.get("id")
        let corrupt = StoreError.corruptRow(table: "bookings", id: id)
        guard let state = BookingState(rawValue: try row.get("state")),
            let status = PaymentStatus(rawValue: try row.get("payment_status")),
            let method = PaymentMethod(rawValue: try row.get("payment_method")),
            let currency = Currency(try row.get("currency", as: String.self)),
            let approval = ApprovalMode(rawValue: try row.get("approval_on_settlement")),
            let origin = BookingOrigin(rawValue: try row.get("origin"))
        else { throw corrupt }
        var attention: Set<AttentionFlag> = []
        for name in try row.get("attention", as: String.self).split(separator: ",") {
            guard let flag = AttentionFlag(rawValue: String(name)) else { throw corrupt }
            attention.insert(flag)
        }
        var payment = PaymentRecord(
            method: method, expected: Money(minorUnits: try row.get("price_minor"), currency: currency))
        payment.status = status
        payment.receivedMinorUnits = try row.get("received_minor")
        payment.refundRequestedMinorUnits = try row.get("refund_requested_minor")
        payment.refundedMinorUnits = try row.get("refunded_minor")
        payment.checkoutSessionID = try row.get("checkout_session_id")
        payment.paymentIntentID = try row.get("payment_intent_id")
        let lifecycle = BookingLifecycle(
            restoring: state, payment: payment, approvalOnSettlement: approval, attention: attention,
            surplusReceivedMinorUnits: try row.get("surplus_received_minor"),
            surplusRefundedMinorUnits: try row.get("surplus_refunded_minor"))
        return Booking(
            id: BookingID(rawValue: id), accessToken: AccessToken(rawValue: try row.get("access_token")),
            clientID: ClientID(rawValue: try row.get("client_id")), staffID: StaffID(rawValue: try row.get("staff_id")),
            lines: try json.lines(try row.get("lines_json")),
            start: Millis.date(try row.get("start_at")), end: Millis.date(try row.get("end_at")),
            rules: try json.rules(try row.get("rules_json")),
            bufferMinutes: Int(try row.get("buffer_minutes", as: Int64.self)),
            origin: origin, lifecycle: lifecycle,
            holdUntil: try row.get("hold_until", as: Int64?.self).map(Millis.date),
            clientNote: try row.get("client_note"),
            archivedAt: try row.get("archived_at", as: Int64?.self).map(Millis.date),
            sequence: Int(try row.get("sequence", as: Int64.self)),
            createdAt: Millis.date(try row.get("created_at")), updatedAt: Millis.date(try row.get("updated_at")))
    }

    static func client(_ row: PostgresRandomAccessRow) throws -> Client {
        let id: String = try row.get("id")
        guard let email = try? EmailAddress(try row.get("email", as: String.self)) else {
            throw StoreError.corruptRow(table: "clients", id: id)
        }
        return Client(
            id: ClientID(rawValue: id), name: try row.get("name"), email: email, phone: try row.get("phone"),
            timeZone: try row.get("time_zone"), isBanned: try row.get("is_banned"),
            privateNotes: try row.get("private_notes"),
            language: try row.get("language", as: String?.self).flatMap(Language.init(rawValue:)),
            createdAt: Millis.date(try row.get("created_at")))
    }

    static func admin(_ row: PostgresRandomAccessRow) throws -> AdminAccount {
        let id: String = try row.get("id")
        guard let email = try? EmailAddress(try row.get("email", as: String.self)) else {
            throw StoreError.corruptRow(table: "admins", id: id)
        }
        return AdminAccount(
            id: AdminID(rawValue: id), email: email, passwordHash: try row.get("password_hash"),
            createdAt: Millis.date(try row.get("created_at")))
    }

    static func service(_ row: PostgresRandomAccessRow) throws -> Service {
        let id: String = try row.get("id")
        guard let category = ServiceCategory(rawValue: try row.get("category")),
            let kind = ServiceKind(rawValue: try row.get("kind")),
            let currency = Currency(try row.get("currency", as: String.self))
        else { throw StoreError.corruptRow(table: "services", id: id) }
        return Service(
            id: ServiceID(rawValue: id), name: try row.get("name"), category: category, kind: kind,
            durationMinutes: Int(try row.get("duration_minutes", as: Int64.self)),
            price: Money(minorUnits: try row.get("price_minor"), currency: currency),
            isActive: try row.get("is_active"))
    }

    static func staffMember(_ row: PostgresRandomAccessRow) throws -> StaffMember {
        StaffMember(
            id: StaffID(rawValue: try row.get("id")), name: try row.get("name"),
            email: try row.get("email", as: String?.self).flatMap { try? EmailAddress($0) },
            phone: try row.get("phone"))
    }

    static func history(_ row: PostgresRandomAccessRow) throws -> HistoryEntry {
        guard let actor = Actor(description: try row.get("actor")),
            let to = BookingState(rawValue: try row.get("to_state"))
        else {
            throw StoreError.corruptRow(table: "booking_history", id: "\(try row.get("id", as: Int64.self))")
        }
        return HistoryEntry(
            bookingID: BookingID(rawValue: try row.get("booking_id")), at: Millis.date(try row.get("at")),
            actor: actor, from: try row.get("from_state", as: String?.self).flatMap(BookingState.init(rawValue:)),
            to: to, event: try row.get("event"), reason: try row.get("reason"),
            providerEventID: try row.get("provider_event_id"),
            reasonShownToClient: try row.get("reason_shown_to_client"))
    }

    static func outbox(_ row: PostgresRandomAccessRow) throws -> OutboxMessage {
        OutboxMessage(
            id: try row.get("id"), bookingID: BookingID(rawValue: try row.get("booking_id")),
            effect: try ColumnJSON.decode(OutboxEffect.self, from: try row.get("effect_json")),
            createdAt: Millis.date(try row.get("created_at")),
            availableAt: Millis.date(try row.get("available_at")),
            attempts: Int(try row.get("attempts", as: Int64.self)), lastError: try row.get("last_error"),
            deliveredAt: try row.get("delivered_at", as: Int64?.self).map(Millis.date))
    }
}
