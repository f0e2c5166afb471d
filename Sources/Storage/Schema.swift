import GRDB

/// The SQLite schema as named, append-only migrations. A landed migration is never edited: add a new one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-23-initial") { db in
            try db.execute(
                sql: """
                    CREATE TABLE services (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
                        category TEXT NOT NULL CHECK (category IN ('chat', 'call')),
                        kind TEXT NOT NULL CHECK (kind IN ('initial', 'additionalTime')),
                        duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
                        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
                        currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
                        is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
                        position INTEGER NOT NULL
                    ) STRICT;

                    CREATE TABLE staff (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        schedule_json TEXT NOT NULL CHECK (json_valid(schedule_json)),
                        position INTEGER NOT NULL
                    ) STRICT;

                    CREATE TABLE settings (
                        key TEXT PRIMARY KEY NOT NULL,
                        value_json TEXT NOT NULL CHECK (json_valid(value_json))
                    ) STRICT;

                    CREATE TABLE clients (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
                        email TEXT NOT NULL,
                        email_normalized TEXT NOT NULL UNIQUE CHECK (email_normalized = lower(email)),
                        phone TEXT,
                        is_banned INTEGER NOT NULL DEFAULT 0 CHECK (is_banned IN (0, 1)),
                        private_notes TEXT NOT NULL DEFAULT '',
                        created_at INTEGER NOT NULL
                    ) STRICT;

                    CREATE TABLE bookings (
                        id TEXT PRIMARY KEY NOT NULL,
                        access_token TEXT NOT NULL UNIQUE,
                        client_id TEXT NOT NULL REFERENCES clients(id),
                        staff_id TEXT NOT NULL REFERENCES staff(id),
                        start_at INTEGER NOT NULL,
                        end_at INTEGER NOT NULL,
                        buffer_minutes INTEGER NOT NULL CHECK (buffer_minutes >= 0),
                        origin TEXT NOT NULL CHECK (origin IN ('client', 'admin')),
                        state TEXT NOT NULL CHECK (state IN ('awaitingClientConfirmation', 'awaitingPayment',
                            'awaitingApproval', 'approved', 'completed', 'rejected', 'canceled', 'expired', 'noShow')),
                        approval_on_settlement TEXT NOT NULL CHECK (approval_on_settlement IN ('manual', 'automatic')),
                        payment_status TEXT NOT NULL CHECK (payment_status IN ('unpaid', 'paid', 'refundPending',
                            'refunded', 'failed', 'notRequired')),
                        payment_method TEXT NOT NULL CHECK (payment_method IN ('link', 'offline', 'free')),
                        price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
                        currency TEXT NOT NULL CHECK (length(currency) = 3),
                        received_minor INTEGER NOT NULL CHECK (received_minor >= 0),
                        refund_requested_minor INTEGER NOT NULL CHECK (refund_requested_minor BETWEEN 0 AND received_minor),
                        refunded_minor INTEGER NOT NULL CHECK (refunded_minor BETWEEN 0 AND received_minor),
                        surplus_received_minor INTEGER NOT NULL CHECK (surplus_received_minor >= 0),
                        surplus_refunded_minor INTEGER NOT NULL CHECK (surplus_refunded_minor BETWEEN 0 AND surplus_received_minor),
                        checkout_session_id TEXT,
                        payment_intent_id TEXT,
                        attention TEXT NOT NULL,
                        hold_until INTEGER,
                        lines_json TEXT NOT NULL CHECK (json_valid(lines_json)),
                        rules_json TEXT NOT NULL CHECK (json_valid(rules_json)),
                        client_note TEXT,
                        archived_at INTEGER,
                        sequence INTEGER NOT NULL CHECK (sequence >= 0),
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        CHECK (end_at > start_at),
                        -- Only a booking waiting for payment or confirmation holds its slot until a deadline.
                        CHECK (hold_until IS NULL OR state IN ('awaitingPayment', 'awaitingClientConfirmation')),
                        -- A settled booking (awaiting approval or later) has been paid, or is free.
                        CHECK (state NOT IN ('awaitingApproval', 'approved', 'completed', 'noShow')
                            OR payment_status IN ('paid', 'notRequired', 'refundPending', 'refunded')),
                        -- Only closed bookings are archived.
                        CHECK (archived_at IS NULL OR state IN ('completed', 'rejected', 'canceled', 'expired', 'noShow'))
                    ) STRICT;
                    CREATE INDEX bookings_by_staff_and_start ON bookings(staff_id, start_at);
                    CREATE INDEX bookings_by_client ON bookings(client_id);
                    CREATE INDEX bookings_by_hold ON bookings(hold_until) WHERE hold_until IS NOT NULL;
                    CREATE INDEX bookings_by_start ON bookings(start_at);

                    CREATE TABLE booking_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        booking_id TEXT NOT NULL REFERENCES bookings(id),
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        from_state TEXT,
                        to_state TEXT NOT NULL,
                        event TEXT NOT NULL,
                        reason TEXT,
                        provider_event_id TEXT
                    ) STRICT;
                    CREATE INDEX booking_history_by_booking ON booking_history(booking_id, id);
                    CREATE TRIGGER booking_history_is_append_only_update BEFORE UPDATE ON booking_history
                    BEGIN SELECT RAISE(ABORT, 'booking history is append-only'); END;
                    CREATE TRIGGER booking_history_is_append_only_delete BEFORE DELETE ON booking_history
                    BEGIN SELECT RAISE(ABORT, 'booking history is append-only'); END;

                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        booking_id TEXT NOT NULL REFERENCES bookings(id),
                        topic TEXT NOT NULL CHECK (topic IN ('email', 'provider')),
                        effect_json TEXT NOT NULL CHECK (json_valid(effect_json)),
                        created_at INTEGER NOT NULL,
                        available_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL CHECK (attempts >= 0),
                        last_error TEXT,
                        delivered_at INTEGER
                    ) STRICT;
                    CREATE INDEX outbox_pending ON outbox(available_at, seq) WHERE delivered_at IS NULL;
                    CREATE INDEX outbox_by_booking ON outbox(booking_id);

                    CREATE TABLE provider_events (
                        id TEXT PRIMARY KEY NOT NULL,
                        type TEXT NOT NULL,
                        received_at INTEGER NOT NULL
                    ) STRICT;

                    CREATE TABLE idempotency_keys (
                        key TEXT PRIMARY KEY NOT NULL,
                        fingerprint TEXT NOT NULL,
                        booking_id TEXT NOT NULL REFERENCES bookings(id),
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
        migrator.registerMigration("2026-11-23-admins") { db in
            try db.execute(
                sql: """
                    CREATE TABLE admins (
                        id TEXT PRIMARY KEY NOT NULL,
                        email TEXT NOT NULL,
                        email_normalized TEXT NOT NULL UNIQUE CHECK (email_normalized = lower(email)),
                        password_hash TEXT NOT NULL CHECK (length(password_hash) > 0),
                        created_at INTEGER NOT NULL
                    ) STRICT;

                    CREATE TABLE admin_sessions (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        admin_id TEXT NOT NULL REFERENCES admins(id),
                        expires_at INTEGER NOT NULL
                    ) STRICT;

                    CREATE INDEX bookings_by_payment_intent ON bookings(payment_intent_id) WHERE payment_intent_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("2026-11-24-client-time-zone") { db in
            try db.execute(sql: "ALTER TABLE clients ADD COLUMN time_zone TEXT")
        }
        migrator.registerMigration("2026-11-24-idempotency-by-booking") { db in
            // Every foreign key's child column is indexed, so checks against bookings(id) never scan.
            try db.execute(sql: "CREATE INDEX idempotency_keys_by_booking ON idempotency_keys(booking_id)")
        }
        migrator.registerMigration("2026-11-25-unpaid-checkouts") { db in
            // Reconciliation's every-minute read of unpaid bookings with a checkout reads those rows only, not
            // the whole history (the query's WHERE implies this index's, term for term).
            try db.execute(
                sql: """
                    CREATE INDEX bookings_awaiting_checkout ON bookings(created_at)
                    WHERE "state" IN ('awaitingPayment', 'awaitingClientConfirmation')
                      AND "checkout_session_id" IS NOT NULL
                    """)
        }
        migrator.registerMigration("2026-11-25-client-accounts") { db in
            // Client sessions live here (so they survive restarts and, later, reach every instance); a client's
            // optional password is kept apart from the client record, as a bcrypt hash.
            try db.execute(
                sql: """
                    CREATE TABLE client_sessions (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        client_id TEXT NOT NULL REFERENCES clients(id),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL CHECK (expires_at > created_at)
                    ) STRICT;
                    CREATE INDEX client_sessions_by_client ON client_sessions(client_id);
                    CREATE INDEX client_sessions_by_expiry ON client_sessions(expires_at);

                    CREATE TABLE client_passwords (
                        client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients(id),
                        password_hash TEXT NOT NULL CHECK (length(password_hash) > 0),
                        updated_at INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
        migrator.registerMigration("2026-11-25-client-language") { db in
            try db.execute(
                sql: "ALTER TABLE clients ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'fr'))"
            )
        }
        migrator.registerMigration("2026-11-25-staff-calendar-feeds") { db in
            // A staff member's secret calendar address; replacing or deleting the row revokes the old one.
            try db.execute(
                sql: """
                    CREATE TABLE staff_calendar_feeds (
                        staff_id TEXT PRIMARY KEY NOT NULL REFERENCES staff(id),
                        secret TEXT NOT NULL UNIQUE CHECK (length(secret) >= 32),
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
        migrator.registerMigration("2026-11-25-history-note-for-client") { db in
            try db.execute(
                sql: """
                    ALTER TABLE booking_history ADD COLUMN reason_shown_to_client INTEGER NOT NULL DEFAULT 0
                    CHECK (reason_shown_to_client IN (0, 1))
                    """)
        }
        migrator.registerMigration("2026-11-25-staff-contact") { db in
            try db.execute(sql: "ALTER TABLE staff ADD COLUMN email TEXT")
            try db.execute(sql: "ALTER TABLE staff ADD COLUMN phone TEXT")
        }
        migrator.registerMigration("2026-11-25-login-failures") { db in
            // Login attempts counted by the throttle, in the database so every instance counts the same ones.
            try db.execute(
                sql: """
                    CREATE TABLE login_failures (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        scope TEXT NOT NULL CHECK (scope IN ('address', 'account')),
                        key TEXT NOT NULL,
                        at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX login_failures_by_key ON login_failures(scope, key, at);
                    CREATE INDEX login_failures_by_age ON login_failures(at);
                    """)
        }
        return migrator
    }
}
