import PostgresNIO

// The reads requests make at every turn — the practice's setup, a client, a booking by its id or its link's token,
// the client's bookings, a booking's history, a signed-in session, an idempotency key — and a new client's insert, prepared once per
// connection like the write path's statements (`HotStatement`): sent as plain queries, each was parsed and planned
// again at every call, which cost PostgreSQL more than running it. A statement that locks in a write transaction
// has a twin `…ForUpdate`.
// NB: columns are named, never `*`: a prepared `SELECT *` fails ("cached plan must not change result type") on a
// connection that outlives a migration adding a column.

enum SelectServices: HotStatement {
    static let name = "rdv_services"
    static let sql = """
        SELECT id, name, category, kind, duration_minutes, price_minor, currency, is_active FROM services \
        ORDER BY position, id
        """
}

enum SelectStaff: HotStatement {
    static let name = "rdv_staff"
    static let sql = "SELECT id, name, email, phone FROM staff ORDER BY position, id"
}

enum SelectSchedules: HotStatement {
    static let name = "rdv_schedules"
    static let sql = "SELECT schedule_json FROM staff ORDER BY position, id"
}

enum SelectSetting: HotStatement {
    static let name = "rdv_setting"
    static let sql = "SELECT value_json FROM settings WHERE key = $1"
}

/// `SELECT … FROM clients`, the columns `Rows.client` reads.
private let clientSelect = """
    SELECT id, name, email, phone, time_zone, is_banned, private_notes, language, created_at FROM clients
    """

enum SelectClient: HotStatement {
    static let name = "rdv_client"
    static let sql = "\(clientSelect) WHERE id = $1"
}

enum SelectClientForUpdate: HotStatement {
    static let name = "rdv_client_for_update"
    static let sql = "\(SelectClient.sql) FOR UPDATE"
}

enum SelectClientByEmail: HotStatement {
    static let name = "rdv_client_by_email"
    static let sql = "\(clientSelect) WHERE email_normalized = $1"
}

enum SelectClientByEmailForUpdate: HotStatement {
    static let name = "rdv_client_by_email_for_update"
    static let sql = "\(SelectClientByEmail.sql) FOR UPDATE"
}

enum SelectBookingsOfClient: HotStatement {
    static let name = "rdv_bookings_of_client"
    static let sql = "\(PostgresAccess.bookingSelect) WHERE client_id = $1 ORDER BY created_at, id"
}

/// Waits for (then holds until the transaction ends) the advisory lock named `$1`.
enum LockName: HotStatement {
    static let name = "rdv_lock_name"
    static let sql = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
}

enum SelectBooking: HotStatement {
    static let name = "rdv_booking"
    static let sql = "\(PostgresAccess.bookingSelect) WHERE id = $1"
}

enum SelectBookingByAccessToken: HotStatement {
    static let name = "rdv_booking_by_access_token"
    static let sql = "\(PostgresAccess.bookingSelect) WHERE access_token = $1"
}

enum SelectBookingByAccessTokenForUpdate: HotStatement {
    static let name = "rdv_booking_by_access_token_for_update"
    static let sql = "\(SelectBookingByAccessToken.sql) FOR UPDATE"
}

enum SelectHistory: HotStatement {
    static let name = "rdv_history"
    static let sql = """
        SELECT id, booking_id, at, actor, from_state, to_state, event, reason, provider_event_id, \
        reason_shown_to_client FROM booking_history WHERE booking_id = $1 ORDER BY id
        """
}

enum InsertClient: HotStatement {
    static let name = "rdv_insert_client"
    static let sql = """
        INSERT INTO clients (id, name, email, email_normalized, phone, time_zone, is_banned, private_notes, language, \
        created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """
}

/// A signed-in client's session by its token's hash (`$1`), unless it expired before `$2`.
enum SelectClientSession: HotStatement {
    static let name = "rdv_client_session"
    static let sql = """
        SELECT token_hash, client_id, created_at, expires_at FROM client_sessions \
        WHERE token_hash = $1 AND expires_at > $2
        """
}

/// A signed-in admin's session by its token's hash (`$1`), unless it expired before `$2`.
enum SelectAdminSession: HotStatement {
    static let name = "rdv_admin_session"
    static let sql =
        "SELECT token_hash, admin_id, expires_at FROM admin_sessions WHERE token_hash = $1 AND expires_at > $2"
}

enum SelectIdempotencyRecord: HotStatement {
    static let name = "rdv_idempotency_record"
    static let sql = "SELECT key, fingerprint, booking_id, created_at FROM idempotency_keys WHERE key = $1"
}
