import PostgresNIO

// The reads every booking request and every slot search makes — the practice's setup, the client by their email,
// the client's bookings — prepared once per connection like the write path's statements (`HotStatement`): sent as
// plain queries, each was parsed and planned again at every call, which cost PostgreSQL more than running it.
// NB: columns are named, never `*`: a prepared `SELECT *` fails ("cached plan must not change result type") on a
// connection that outlives a migration adding a column.

enum SelectServices: HotStatement {
    static let name = "rdv_services"
    static let sql = """
        SELECT id, name, category, kind, duration_minutes, price_minor, currency, is_active FROM services \
        ORDER BY position, id
        """
}

enum SelectSchedules: HotStatement {
    static let name = "rdv_schedules"
    static let sql = "SELECT schedule_json FROM staff ORDER BY position, id"
}

enum SelectSetting: HotStatement {
    static let name = "rdv_setting"
    static let sql = "SELECT value_json FROM settings WHERE key = $1"
}

enum SelectClientByEmail: HotStatement {
    static let name = "rdv_client_by_email"
    static let sql = "\(columns) WHERE email_normalized = $1"
    static let columns = """
        SELECT id, name, email, phone, time_zone, is_banned, private_notes, language, created_at FROM clients
        """
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
