// The PostgreSQL schema as named, append-only migrations (the same names and tables as SQLite's, in PostgreSQL's
// types). A landed migration is never edited: add a new one. Instants are BIGINT milliseconds since 1970 (UTC), as
// on SQLite, so both stores read and write the same values.

/// One named migration: the statements run in one transaction, recorded in `schema_migrations`.
struct PostgresMigration: Sendable {
    var name: String
    var statements: [String]
}

enum PostgresSchema {
    /// The key of the advisory lock every instance takes around its migrations, so several starting at once
    /// migrate one after the other (the later ones find nothing left to do).
    static let migrationLockKey: Int64 = 0x5265_6e64_657a_766f  // "Rendezvo"

    /// The key of the advisory lock a transaction takes when it runs again after losing a race: those run one at a
    /// time (across instances), so they stop losing to each other.
    static let retryQueueLockKey: Int64 = 0x5265_6e64_7265_7472  // "Rendretr"

    /// The states in which a booking takes its slot for good, and those in which it holds it until a deadline.
    static let settledStates = "'awaitingApproval', 'approved', 'completed', 'noShow'"
    static let holdingStates = "'awaitingPayment', 'awaitingClientConfirmation'"

    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            name: "2026-11-23-initial",
            statements: [
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                """
                CREATE TABLE services (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
                    category TEXT NOT NULL CHECK (category IN ('chat', 'call')),
                    kind TEXT NOT NULL CHECK (kind IN ('initial', 'additionalTime')),
                    duration_minutes BIGINT NOT NULL CHECK (duration_minutes > 0),
                    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
                    currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
                    is_active BOOLEAN NOT NULL,
                    position BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE staff (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    schedule_json TEXT NOT NULL CHECK (schedule_json::jsonb IS NOT NULL),
                    position BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value_json TEXT NOT NULL CHECK (value_json::jsonb IS NOT NULL)
                )
                """,
                """
                CREATE TABLE clients (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
                    email TEXT NOT NULL,
                    email_normalized TEXT NOT NULL UNIQUE,
                    phone TEXT,
                    is_banned BOOLEAN NOT NULL DEFAULT false,
                    private_notes TEXT NOT NULL DEFAULT '',
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE bookings (
                    id TEXT PRIMARY KEY,
                    access_token TEXT NOT NULL UNIQUE,
                    client_id TEXT NOT NULL REFERENCES clients(id),
                    staff_id TEXT NOT NULL REFERENCES staff(id),
                    start_at BIGINT NOT NULL,
                    end_at BIGINT NOT NULL,
                    buffer_minutes BIGINT NOT NULL CHECK (buffer_minutes >= 0),
                    origin TEXT NOT NULL CHECK (origin IN ('client', 'admin')),
                    state TEXT NOT NULL CHECK (state IN ('awaitingClientConfirmation', 'awaitingPayment',
                        'awaitingApproval', 'approved', 'completed', 'rejected', 'canceled', 'expired', 'noShow')),
                    approval_on_settlement TEXT NOT NULL CHECK (approval_on_settlement IN ('manual', 'automatic')),
                    payment_status TEXT NOT NULL CHECK (payment_status IN ('unpaid', 'paid', 'refundPending',
                        'refunded', 'failed', 'notRequired')),
                    payment_method TEXT NOT NULL CHECK (payment_method IN ('link', 'offline', 'free')),
                    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
                    currency TEXT NOT NULL CHECK (length(currency) = 3),
                    received_minor BIGINT NOT NULL CHECK (received_minor >= 0),
                    refund_requested_minor BIGINT NOT NULL CHECK (refund_requested_minor BETWEEN 0 AND received_minor),
                    refunded_minor BIGINT NOT NULL CHECK (refunded_minor BETWEEN 0 AND received_minor),
                    surplus_received_minor BIGINT NOT NULL CHECK (surplus_received_minor >= 0),
                    surplus_refunded_minor BIGINT NOT NULL
                        CHECK (surplus_refunded_minor BETWEEN 0 AND surplus_received_minor),
                    checkout_session_id TEXT,
                    payment_intent_id TEXT,
                    attention TEXT NOT NULL,
                    hold_until BIGINT,
                    lines_json TEXT NOT NULL CHECK (lines_json::jsonb IS NOT NULL),
                    rules_json TEXT NOT NULL CHECK (rules_json::jsonb IS NOT NULL),
                    client_note TEXT,
                    archived_at BIGINT,
                    sequence BIGINT NOT NULL CHECK (sequence >= 0),
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    CHECK (end_at > start_at),
                    CHECK (hold_until IS NULL OR state IN (\(holdingStates))),
                    CHECK (state NOT IN (\(settledStates))
                        OR payment_status IN ('paid', 'notRequired', 'refundPending', 'refunded')),
                    CHECK (archived_at IS NULL OR state IN ('completed', 'rejected', 'canceled', 'expired', 'noShow')),
                    -- The last line of defence: two bookings that take their staff member's time (settled, or
                    -- holding it until a deadline) never overlap, whichever instance wrote them.
                    CONSTRAINT bookings_never_overlap EXCLUDE USING gist (
                        staff_id WITH =, int8range(start_at, end_at) WITH &&
                    ) WHERE (state IN (\(settledStates)) OR (state IN (\(holdingStates)) AND hold_until IS NOT NULL))
                )
                """,
                "CREATE INDEX bookings_by_staff_and_start ON bookings(staff_id, start_at)",
                "CREATE INDEX bookings_by_client ON bookings(client_id)",
                "CREATE INDEX bookings_by_hold ON bookings(hold_until) WHERE hold_until IS NOT NULL",
                "CREATE INDEX bookings_by_start ON bookings(start_at)",
                """
                CREATE TABLE booking_history (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    booking_id TEXT NOT NULL REFERENCES bookings(id),
                    at BIGINT NOT NULL,
                    actor TEXT NOT NULL,
                    from_state TEXT,
                    to_state TEXT NOT NULL,
                    event TEXT NOT NULL,
                    reason TEXT,
                    provider_event_id TEXT
                )
                """,
                "CREATE INDEX booking_history_by_booking ON booking_history(booking_id, id)",
                """
                CREATE FUNCTION booking_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'booking history is append-only'; END $$
                """,
                """
                CREATE TRIGGER booking_history_is_append_only BEFORE UPDATE OR DELETE ON booking_history
                FOR EACH ROW EXECUTE FUNCTION booking_history_is_append_only()
                """,
                """
                CREATE TABLE outbox (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    booking_id TEXT NOT NULL REFERENCES bookings(id),
                    topic TEXT NOT NULL CHECK (topic IN ('email', 'provider')),
                    effect_json TEXT NOT NULL CHECK (effect_json::jsonb IS NOT NULL),
                    created_at BIGINT NOT NULL,
                    available_at BIGINT NOT NULL,
                    attempts BIGINT NOT NULL CHECK (attempts >= 0),
                    last_error TEXT,
                    delivered_at BIGINT
                )
                """,
                "CREATE INDEX outbox_pending ON outbox(available_at, seq) WHERE delivered_at IS NULL",
                "CREATE INDEX outbox_by_booking ON outbox(booking_id)",
                """
                CREATE TABLE provider_events (
                    id TEXT PRIMARY KEY,
                    type TEXT NOT NULL,
                    received_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    booking_id TEXT NOT NULL REFERENCES bookings(id),
                    created_at BIGINT NOT NULL
                )
                """,
            ]),
        PostgresMigration(
            name: "2026-11-23-admins",
            statements: [
                """
                CREATE TABLE admins (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL,
                    email_normalized TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL CHECK (length(password_hash) > 0),
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE admin_sessions (
                    token_hash TEXT PRIMARY KEY,
                    admin_id TEXT NOT NULL REFERENCES admins(id),
                    expires_at BIGINT NOT NULL
                )
                """,
                """
                CREATE INDEX bookings_by_payment_intent ON bookings(payment_intent_id)
                WHERE payment_intent_id IS NOT NULL
                """,
            ]),
        PostgresMigration(
            name: "2026-11-24-client-time-zone", statements: ["ALTER TABLE clients ADD COLUMN time_zone TEXT"]),
        PostgresMigration(
            name: "2026-11-24-idempotency-by-booking",
            statements: ["CREATE INDEX idempotency_keys_by_booking ON idempotency_keys(booking_id)"]),
        PostgresMigration(
            name: "2026-11-25-unpaid-checkouts",
            statements: [
                """
                CREATE INDEX bookings_awaiting_checkout ON bookings(created_at)
                WHERE state IN (\(holdingStates)) AND checkout_session_id IS NOT NULL
                """
            ]),
        PostgresMigration(
            name: "2026-11-25-client-accounts",
            statements: [
                """
                CREATE TABLE client_sessions (
                    token_hash TEXT PRIMARY KEY,
                    client_id TEXT NOT NULL REFERENCES clients(id),
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL CHECK (expires_at > created_at)
                )
                """,
                "CREATE INDEX client_sessions_by_client ON client_sessions(client_id)",
                "CREATE INDEX client_sessions_by_expiry ON client_sessions(expires_at)",
                """
                CREATE TABLE client_passwords (
                    client_id TEXT PRIMARY KEY REFERENCES clients(id),
                    password_hash TEXT NOT NULL CHECK (length(password_hash) > 0),
                    updated_at BIGINT NOT NULL
                )
                """,
            ]),
        PostgresMigration(
            name: "2026-11-25-client-language",
            statements: [
                "ALTER TABLE clients ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'fr'))"
            ]),
        PostgresMigration(
            name: "2026-11-25-staff-calendar-feeds",
            statements: [
                """
                CREATE TABLE staff_calendar_feeds (
                    staff_id TEXT PRIMARY KEY REFERENCES staff(id),
                    secret TEXT NOT NULL UNIQUE CHECK (length(secret) >= 32),
                    created_at BIGINT NOT NULL
                )
                """
            ]),
        PostgresMigration(
            name: "2026-11-25-history-note-for-client",
            statements: [
                "ALTER TABLE booking_history ADD COLUMN reason_shown_to_client BOOLEAN NOT NULL DEFAULT false"
            ]),
        PostgresMigration(
            name: "2026-11-25-staff-contact",
            statements: ["ALTER TABLE staff ADD COLUMN email TEXT", "ALTER TABLE staff ADD COLUMN phone TEXT"]),
        PostgresMigration(
            name: "2026-11-25-admin-sessions-by-expiry",
            statements: ["CREATE INDEX admin_sessions_by_expiry ON admin_sessions(expires_at)"]),
        PostgresMigration(
            name: "2026-11-25-login-failures",
            statements: [
                """
                CREATE TABLE login_failures (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    scope TEXT NOT NULL CHECK (scope IN ('address', 'account')),
                    key TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX login_failures_by_key ON login_failures(scope, key, at)",
                "CREATE INDEX login_failures_by_age ON login_failures(at)",
            ]),
        // The JSON columns every booking change and outbox row writes are checked as `json` (a validating scan),
        // not `jsonb` (a parse into a binary tree, thrown away): the same defence at a fraction of the cost on the
        // webhook path, where these checks took a tenth of the database's time.
        PostgresMigration(
            name: "2026-11-25-json-checks-by-scan",
            statements: [
                "ALTER TABLE bookings DROP CONSTRAINT bookings_lines_json_check",
                "ALTER TABLE bookings ADD CONSTRAINT bookings_lines_json_check CHECK (lines_json::json IS NOT NULL)",
                "ALTER TABLE bookings DROP CONSTRAINT bookings_rules_json_check",
                "ALTER TABLE bookings ADD CONSTRAINT bookings_rules_json_check CHECK (rules_json::json IS NOT NULL)",
                "ALTER TABLE outbox DROP CONSTRAINT outbox_effect_json_check",
                "ALTER TABLE outbox ADD CONSTRAINT outbox_effect_json_check CHECK (effect_json::json IS NOT NULL)",
            ]),
        // The overlap check compares a 64-bit hash of the staff id instead of the text itself. A payment rewrites
        // its booking's row, and PostgreSQL then checks and inserts the row in this GiST index again. With text,
        // `btree_gist` copies and compares the id at every node. That was two thirds of a payment's update
        // (95 of 155 µs a row, measured on 1,000 updates); with the hash it is about half as much.
        // Equal ids have equal hashes, so the check is never weaker than before. Two different staff members whose
        // ids collide (odds about 1 in 10^15 for a hundred of them) would have overlapping bookings refused.
        // That failure is safe: a slot taken, never a slot sold twice.
        PostgresMigration(
            name: "2026-12-06-overlap-check-by-staff-hash",
            statements: [
                "ALTER TABLE bookings DROP CONSTRAINT bookings_never_overlap",
                """
                ALTER TABLE bookings ADD CONSTRAINT bookings_never_overlap EXCLUDE USING gist (
                    (hashtextextended(staff_id, 0)) WITH =, int8range(start_at, end_at) WITH &&
                ) WHERE (state IN (\(settledStates)) OR (state IN (\(holdingStates)) AND hold_until IS NOT NULL))
                """,
            ]),
        Self.slotClaims,
        // The keys of a batch of payments' reads (`BatchedReads`), as rows estimated at a fixed count. With
        // `unnest` of the parameters PostgreSQL estimates the rows from the arrays bound, so a plan made for the
        // actual arrays always looked cheaper than the generic one and the read was planned again at every
        // execution (0.27 ms of planning for 0.37 ms of running, a batch). A PL/pgSQL function is never inlined
        // and gives the same estimate whatever is bound: the generic plan (an index lookup a key) is kept.
        PostgresMigration(
            name: "2026-12-07-batch-keys",
            statements: [
                """
                CREATE FUNCTION batch_keys(event_ids TEXT[], booking_ids TEXT[])
                RETURNS TABLE (event_id TEXT, booking_id TEXT, n BIGINT)
                LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 8 AS $$
                BEGIN
                    RETURN QUERY SELECT k.event_id, k.booking_id, k.n
                    FROM unnest(event_ids, booking_ids) WITH ORDINALITY AS k(event_id, booking_id, n);
                END $$
                """
            ]),
        Self.claimsKeepBuffers,
    ]
}
