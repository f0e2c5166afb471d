// The overlap check's own table, `slot_claims`: its first migration, and the one that puts the staff member's
// buffer into each claim. Landed migrations are never edited (see `PostgresSchema.swift`).

extension PostgresSchema {
    // The overlap check moves to a table of its own: one row a booking while it takes its slot, kept by a
    // trigger on `bookings`, so the guarantee still lives in the schema whichever code writes. A payment moves
    // its booking from holding its slot to having it for good: it changes nothing there, so it no longer
    // searches and rewrites the GiST index (in SQL alone, a payment's row update went from 90 to 73 µs; 58 µs
    // with no overlap check at all, the rest being the trigger's `WHEN`). A booking that starts or stops
    // taking its slot, or moves to another time or staff member, puts in or takes out its claim in the same
    // statement, and an overlapping claim fails that statement with the same `exclusion_violation` (23P01).
    static let slotClaims = PostgresMigration(
        name: "2026-12-07-slot-claims",
        statements: [
            """
            CREATE TABLE slot_claims (
                booking_id TEXT PRIMARY KEY REFERENCES bookings(id) ON DELETE CASCADE,
                staff_key BIGINT NOT NULL,
                during INT8RANGE NOT NULL,
                CONSTRAINT slot_claims_never_overlap EXCLUDE USING gist (staff_key WITH =, during WITH &&)
            )
            """,
            """
            CREATE FUNCTION booking_takes_its_slot(state TEXT, hold_until BIGINT) RETURNS BOOLEAN
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT state IN (\(settledStates)) OR (state IN (\(holdingStates)) AND hold_until IS NOT NULL)
            $$
            """,
            """
            CREATE FUNCTION bookings_claim_their_slots() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    DELETE FROM slot_claims WHERE booking_id = OLD.id;
                END IF;
                IF booking_takes_its_slot(NEW.state, NEW.hold_until) THEN
                    INSERT INTO slot_claims (booking_id, staff_key, during)
                    VALUES (NEW.id, hashtextextended(NEW.staff_id, 0), int8range(NEW.start_at, NEW.end_at));
                END IF;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER bookings_claim_new_slots AFTER INSERT ON bookings FOR EACH ROW
            WHEN (booking_takes_its_slot(NEW.state, NEW.hold_until))
            EXECUTE FUNCTION bookings_claim_their_slots()
            """,
            """
            CREATE TRIGGER bookings_claim_changed_slots AFTER UPDATE ON bookings FOR EACH ROW
            WHEN (booking_takes_its_slot(OLD.state, OLD.hold_until)
                    IS DISTINCT FROM booking_takes_its_slot(NEW.state, NEW.hold_until)
                OR OLD.staff_id IS DISTINCT FROM NEW.staff_id
                OR OLD.start_at IS DISTINCT FROM NEW.start_at
                OR OLD.end_at IS DISTINCT FROM NEW.end_at)
            EXECUTE FUNCTION bookings_claim_their_slots()
            """,
            """
            INSERT INTO slot_claims (booking_id, staff_key, during)
            SELECT id, hashtextextended(staff_id, 0), int8range(start_at, end_at) FROM bookings
            WHERE booking_takes_its_slot(state, hold_until)
            """,
            "ALTER TABLE bookings DROP CONSTRAINT bookings_never_overlap",
        ])

    // Buffers in the overlap check. A claim covers its booking's time widened on each side by half of its buffer,
    // so two claims of one staff member stay apart by the mean of their two buffers: with equal buffers, exactly
    // the buffer. A claim's buffer is its booking's, capped by the staff member's buffer when the claim is made,
    // and lowered with it when an admin lowers the setting (raising it leaves the claims as they are: a booking
    // already made keeps the room it was given). The workflow checks every placement (a new booking, a move, a
    // late payment taking its slot back) against the staff member's buffer of now; no claim is wider than that, so
    // a placement the workflow finds free never fails here, and one it would not have allowed fails with the same
    // `exclusion_violation` (23P01) as an overlap.
    // `rebuild_slot_claims` makes the claims again from the bookings, a claim never wider than half the gap to its
    // neighbours: data written before this check (a buffer lowered, bookings made closer, the buffer raised again)
    // may stand closer than the mean of its buffers, and is kept, not refused. The migration runs it once, and so
    // does the import from SQLite (`PostgresImport.swift`).
    static let claimsKeepBuffers = PostgresMigration(
        name: "2026-12-07-claims-keep-buffers",
        statements: [
            """
            ALTER TABLE staff ADD COLUMN buffer_minutes BIGINT NOT NULL
                GENERATED ALWAYS AS ((schedule_json::jsonb ->> 'bufferMinutes')::bigint) STORED
                CHECK (buffer_minutes >= 0)
            """,
            """
            CREATE OR REPLACE FUNCTION bookings_claim_their_slots() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                half BIGINT;  -- half the claim's buffer, in milliseconds
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    DELETE FROM slot_claims WHERE booking_id = OLD.id;
                END IF;
                IF booking_takes_its_slot(NEW.state, NEW.hold_until) THEN
                    half := LEAST(NEW.buffer_minutes, (SELECT buffer_minutes FROM staff WHERE id = NEW.staff_id))
                        * 30000;
                    INSERT INTO slot_claims (booking_id, staff_key, during)
                    VALUES (NEW.id, hashtextextended(NEW.staff_id, 0),
                        int8range(NEW.start_at - half, NEW.end_at + half));
                END IF;
                RETURN NULL;
            END $$
            """,
            "DROP TRIGGER bookings_claim_changed_slots ON bookings",
            """
            CREATE TRIGGER bookings_claim_changed_slots AFTER UPDATE ON bookings FOR EACH ROW
            WHEN (booking_takes_its_slot(OLD.state, OLD.hold_until)
                    IS DISTINCT FROM booking_takes_its_slot(NEW.state, NEW.hold_until)
                OR OLD.staff_id IS DISTINCT FROM NEW.staff_id
                OR OLD.start_at IS DISTINCT FROM NEW.start_at
                OR OLD.end_at IS DISTINCT FROM NEW.end_at
                OR OLD.buffer_minutes IS DISTINCT FROM NEW.buffer_minutes)
            EXECUTE FUNCTION bookings_claim_their_slots()
            """,
            """
            CREATE FUNCTION staff_buffer_lowered() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE slot_claims c
                SET during = int8range(b.start_at - NEW.buffer_minutes * 30000, b.end_at + NEW.buffer_minutes * 30000)
                FROM bookings b
                WHERE c.staff_key = hashtextextended(NEW.id, 0) AND b.id = c.booking_id AND b.staff_id = NEW.id
                  AND b.start_at - lower(c.during) > NEW.buffer_minutes * 30000;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER staff_buffer_lowered AFTER UPDATE ON staff FOR EACH ROW
            WHEN (NEW.buffer_minutes < OLD.buffer_minutes)
            EXECUTE FUNCTION staff_buffer_lowered()
            """,
            """
            CREATE FUNCTION rebuild_slot_claims() RETURNS void LANGUAGE sql AS $$
                DELETE FROM slot_claims;
                INSERT INTO slot_claims (booking_id, staff_key, during)
                SELECT id, hashtextextended(staff_id, 0), int8range(start_at - half, end_at + half)
                FROM (
                    SELECT b.id, b.staff_id, b.start_at, b.end_at,
                        GREATEST(0, LEAST(LEAST(b.buffer_minutes, s.buffer_minutes) * 30000,
                            (b.start_at - lag(b.end_at) OVER neighbours) / 2,
                            (lead(b.start_at) OVER neighbours - b.end_at) / 2)) AS half
                    FROM bookings b JOIN staff s ON s.id = b.staff_id
                    WHERE booking_takes_its_slot(b.state, b.hold_until)
                    WINDOW neighbours AS (PARTITION BY b.staff_id ORDER BY b.start_at, b.id)
                ) AS claims
            $$
            """,
            "SELECT rebuild_slot_claims()",
        ])
}
