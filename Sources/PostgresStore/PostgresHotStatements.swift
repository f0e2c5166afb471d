import Foundation
import Logging
import PostgresNIO

// The statements every booking, payment and email runs, prepared once per connection (parsed and planned once,
// then only bound and executed).

/// A statement prepared once per connection: its SQL, with `$n` parameters bound in order.
protocol HotStatement {
    static var name: String { get }
    static var sql: String { get }
}

/// postgres-nio's prepared statement for a `HotStatement`, with its bound values.
struct Prepared<Statement: HotStatement>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { Statement.name }
    static var sql: String { Statement.sql }

    var binds: PostgresBindings

    func makeBindings() -> PostgresBindings { self.binds }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

enum SelectBookingForUpdate: HotStatement {
    static let name = "rdv_booking_for_update"
    static let sql = "\(PostgresAccess.bookingSelect) WHERE id = $1 FOR UPDATE"
}

enum InsertBooking: HotStatement {
    static let name = "rdv_insert_booking"
    static let sql =
        "INSERT INTO bookings (\(Rows.bookingColumns.joined(separator: ", "))) VALUES "
        + "(\((1...Rows.bookingColumns.count).map { "$\($0)" }.joined(separator: ", ")))"
}

enum UpdateBooking: HotStatement {
    static let name = "rdv_update_booking"
    /// Columns a booking never changes after its insert: left out of the SET list.
    static let immutable: Set<String> = ["id", "access_token", "client_id", "origin", "created_at"]
    // NB: every column is bound, in `bookingColumns` order ($1 is the id).
    static let sql =
        "UPDATE bookings SET "
        + Rows.bookingColumns.enumerated().filter { !immutable.contains($0.element) }.map {
            "\($0.element) = $\($0.offset + 1)"
        }.joined(separator: ", ") + " WHERE id = $1 RETURNING 1"
}

enum InsertHistory: HotStatement {
    static let name = "rdv_insert_history"
    static let sql = """
        INSERT INTO booking_history
            (booking_id, at, actor, from_state, to_state, event, reason, provider_event_id, reason_shown_to_client)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """
}

enum InsertOutbox: HotStatement {
    static let name = "rdv_insert_outbox"
    static let sql = """
        INSERT INTO outbox (id, booking_id, topic, effect_json, created_at, available_at, attempts, last_error,
            delivered_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """
}

enum InsertProviderEvent: HotStatement {
    static let name = "rdv_insert_provider_event"
    static let sql = """
        INSERT INTO provider_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING 1
        """
}

enum LockStaff: HotStatement {
    static let name = "rdv_lock_staff"
    static let sql = "SELECT 1 FROM staff WHERE id = ANY($1) ORDER BY id FOR UPDATE"
}

enum BusyTimes: HotStatement {
    static let name = "rdv_busy_times"
    // NB: the same predicate as SQLite's (Booking.occupiesSlot in SQL); the start is bounded from both sides so
    // the index on (staff_id, start_at) reads only the bookings near the interval.
    static let sql = """
        SELECT staff_id, start_at, end_at FROM bookings
        WHERE staff_id = ANY($1) AND start_at > $2 AND start_at < $3 AND end_at > $4
          AND (state IN (\(PostgresSchema.settledStates))
               OR (state IN (\(PostgresSchema.holdingStates)) AND hold_until > $5))
          AND id IS DISTINCT FROM $6
        """
}

enum LapsedHolds: HotStatement {
    static let name = "rdv_lapsed_holds"
    static let sql = """
        \(PostgresAccess.bookingSelect)
        WHERE hold_until IS NOT NULL AND hold_until <= $1 AND state IN (\(PostgresSchema.holdingStates))
          AND payment_status NOT IN ('paid', 'notRequired')
        ORDER BY hold_until LIMIT $2 FOR UPDATE SKIP LOCKED
        """
}

extension PostgresAccess {
    /// Runs a hot statement (prepared on this connection the first time); returns its rows.
    func run<Statement: HotStatement>(_ statement: Statement.Type, _ binds: PostgresBindings) async throws
        -> [PostgresRandomAccessRow]
    {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await self.connection.execute(Prepared<Statement>(binds: binds), logger: self.logger) {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }
}
