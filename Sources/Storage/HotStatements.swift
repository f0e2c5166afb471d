import Booking
import Foundation
import GRDB
import Workflow

// The statements on the hot paths, written once.

/// Hot-path statements, prepared once per connection and reused (GRDB's statement cache).
enum HotStatements {
    static let insertBooking = Self.insertSQL(BookingRecord.self)
    static let updateBooking =
        "UPDATE bookings SET \(BookingRecord.updateColumns.map { "\($0.rawValue) = ?" }.joined(separator: ", ")) WHERE id = ?"
    static let updateBookingInPlace =
        "UPDATE bookings SET \(BookingRecord.inPlaceColumns.map { "\($0.rawValue) = ?" }.joined(separator: ", ")) WHERE id = ?"
    static let bookingPlacement = "SELECT staff_id, start_at, end_at FROM bookings WHERE id = ?"
    static let insertHistory = Self.insertSQL(HistoryRecord.self)
    static let insertOutbox = Self.insertSQL(OutboxRecord.self)
    static let insertProviderEvent = Self.insertSQL(ProviderEventRecord.self, orIgnore: true)

    static func insertSQL<Record: ColumnRecord>(_ record: Record.Type, orIgnore: Bool = false) -> String {
        let columns = Record.insertColumns.map(\.rawValue)
        return
            "INSERT \(orIgnore ? "OR IGNORE " : "")INTO \(Record.databaseTableName) (\(columns.joined(separator: ", "))) "
            + "VALUES (\(databaseQuestionMarks(count: columns.count)))"
    }

    /// Runs a statement through the connection's statement cache.
    static func execute(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

extension HotStatements {
    /// Busy times of some staff members: the bookings that occupy their slot and overlap an interval.
    /// NB: this predicate is the definition of "occupies its slot" (Booking.occupiesSlot) in SQL. The start is
    /// bounded from both sides (no booking is longer than Booking.maximumLength), so the index on (staff_id,
    /// start_at) reads only the bookings near the interval, never the whole history before it.
    static func busyTimes(staffCount: Int) -> String {
        """
        SELECT staff_id, start_at, end_at FROM bookings
        WHERE staff_id IN (\(databaseQuestionMarks(count: staffCount))) AND start_at > ? AND start_at < ?
          AND end_at > ?
          AND (state IN ('awaitingApproval', 'approved', 'completed', 'noShow')
               OR (state IN ('awaitingPayment', 'awaitingClientConfirmation') AND hold_until > ?))
          AND id IS NOT ?
        """
    }

    /// Holds whose deadline passed, unpaid, oldest deadline first.
    static let lapsedHolds = """
        SELECT * FROM bookings
        WHERE hold_until IS NOT NULL AND hold_until <= ?
          AND state IN ('awaitingPayment', 'awaitingClientConfirmation')
          AND payment_status NOT IN ('paid', 'notRequired')
        ORDER BY hold_until LIMIT ?
        """

    /// Unpaid bookings with a provider checkout, for reconciliation.
    /// NB: literal states, not bound parameters: only then can SQLite prove that this WHERE implies the partial
    /// index bookings_awaiting_checkout's, and read that index instead of every booking.
    static let awaitingCheckout = """
        SELECT * FROM bookings
        WHERE "state" IN ('awaitingPayment', 'awaitingClientConfirmation')
          AND "checkout_session_id" IS NOT NULL
        ORDER BY created_at LIMIT ?
        """

    /// The hot statements whose plans must use an index on `bookings` (tests read them with `queryPlan`).
    static var indexedReads: [(name: String, sql: String)] {
        [
            ("busy times", Self.busyTimes(staffCount: 2)), ("lapsed holds", Self.lapsedHolds),
            ("awaiting checkout", Self.awaitingCheckout), ("booking placement", Self.bookingPlacement),
            ("booking by token", "SELECT * FROM bookings WHERE access_token = ?"),
            ("booking by payment", "SELECT * FROM bookings WHERE payment_intent_id = ?"),
            ("bookings of a client", "SELECT * FROM bookings WHERE client_id = ? ORDER BY created_at, id"),
            ("client by email", "SELECT * FROM clients WHERE email_normalized = ?"),
            (
                "due outbox",
                "SELECT * FROM outbox WHERE delivered_at IS NULL AND available_at <= ? ORDER BY available_at, seq LIMIT ?"
            ),
        ]
    }
}
