import Booking
import Foundation
import PostgresNIO
import Workflow

// What the workflow may write, inside the store's write transaction.
extension PostgresAccess {
    /// The channel `LISTEN`ed to by workers of every instance; the payload is the outbox topic.
    static let outboxChannel = "rendezvous_outbox"

    // MARK: Bookings

    func insert(_ booking: Booking) async throws {
        guard self.writable else { throw StoreError.readOnly }
        if let optimistic = self.optimistic { try optimistic.refuse() }
        // Sent with its history line and outbox rows (see `flush`): a new booking's writes are one round trip,
        // taken while its staff member's calendar is locked.
        try await self.buffer(.insert(bookingID: booking.id.rawValue, try Rows.bookingValues(booking, json: self.json)))
    }

    func update(_ booking: Booking) async throws {
        guard self.writable else { throw StoreError.readOnly }
        // Sent with the transition's other writes (see `flush`).
        let json = self.json
        try await self.buffer(
            .update(bookingID: booking.id.rawValue, try Rows.bookingValues(booking, json: json)))
    }

    func append(_ entry: HistoryEntry) async throws {
        guard self.writable else { throw StoreError.readOnly }
        try await self.buffer(
            .history([
                .text(entry.bookingID.rawValue), .int(Millis.from(entry.at)), .text(entry.actor.description),
                .text(entry.from?.rawValue), .text(entry.to.rawValue), .text(entry.event), .text(entry.reason),
                .text(entry.providerEventID), .bool(entry.reasonShownToClient),
            ]))
    }

    func remember(_ record: IdempotencyRecord) async throws {
        try await self.change(
            """
            INSERT INTO idempotency_keys (key, fingerprint, booking_id, created_at)
            VALUES (\(record.key), \(record.fingerprint), \(record.bookingID.rawValue), \(Millis.from(record.createdAt)))
            """)
    }

    // MARK: Payments

    func recordProviderEvent(id: String, type: String, receivedAt: Date) async throws -> Bool {
        guard self.writable else { throw StoreError.readOnly }
        return try await self.run(InsertProviderEvent.self, Self.binds(id, type, Millis.from(receivedAt))).count == 1
    }

    func recordProviderEvent(id: String, type: String, receivedAt: Date, naming bookingID: BookingID?) async throws
        -> RecordedProviderEvent
    {
        guard self.writable else { throw StoreError.readOnly }
        if let optimistic = self.optimistic {
            return try await self.optimisticRecord(
                id: id, type: type, receivedAt: receivedAt, naming: bookingID, reads: optimistic)
        }
        var binds = Self.binds(id, type, Millis.from(receivedAt))
        binds.append(bookingID?.rawValue)
        let rows = try await self.run(RecordProviderEventLockingBooking.self, binds)
        guard let row = rows.first, try row.get("recorded", as: Bool.self) else { return .duplicate }
        guard try row.get("id", as: String?.self) != nil else { return .recorded(booking: nil) }
        return .recorded(booking: try Rows.booking(row, json: self.json))
    }

    // MARK: The outbox

    func enqueue(_ message: OutboxMessage) async throws {
        guard self.writable else { throw StoreError.readOnly }
        let effect = try self.json.text(message.effect)
        try await self.buffer(
            .outbox([
                .text(message.id), .text(message.bookingID.rawValue), .text(message.effect.topic.rawValue),
                .text(effect), .int(Millis.from(message.createdAt)), .int(Millis.from(message.availableAt)),
                .int(Int64(message.attempts)), .text(message.lastError), .int(message.deliveredAt.map(Millis.from)),
            ]))
        // Told to every instance's listener once this transaction committed (see `PostgresBookingStore.write`).
        self.queued?.add(message.effect.topic)
    }

    func updateOutbox(_ message: OutboxMessage) async throws {
        let updated = try await self.change(
            """
            UPDATE outbox SET available_at = \(Millis.from(message.availableAt)), attempts = \(Int64(message.attempts)),
                last_error = \(message.lastError), delivered_at = \(message.deliveredAt.map(Millis.from))
            WHERE id = \(message.id) RETURNING 1
            """)
        guard updated == 1 else { throw StoreError.corruptRow(table: "outbox", id: message.id) }
    }

    func claimOutbox(topic: OutboxTopic?, at now: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxMessage] {
        guard self.writable else { throw StoreError.readOnly }
        // SKIP LOCKED: rows another instance is claiming right now are left to it, not waited for.
        let rows = try await self.rows(
            """
            UPDATE outbox SET available_at = \(Millis.from(leaseUntil))
            WHERE seq IN (
                SELECT seq FROM outbox
                WHERE delivered_at IS NULL AND available_at <= \(Millis.from(now))
                  AND (\(topic?.rawValue)::text IS NULL OR topic = \(topic?.rawValue))
                ORDER BY available_at, seq LIMIT \(Int64(limit))
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """)
        return try rows.sorted { try $0.get("seq", as: Int64.self) < $1.get("seq", as: Int64.self) }.map(Rows.outbox)
    }

    // MARK: The practice

    func save(_ service: Service) async throws {
        try await self.change(
            """
            INSERT INTO services (id, name, category, kind, duration_minutes, price_minor, currency, is_active, position)
            VALUES (\(service.id.rawValue), \(service.name), \(service.category.rawValue), \(service.kind.rawValue),
                \(Int64(service.durationMinutes)), \(service.price.minorUnits), \(service.price.currency.code),
                \(service.isActive), (SELECT COALESCE(MAX(position), -1) + 1 FROM services))
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category, kind = EXCLUDED.kind,
                duration_minutes = EXCLUDED.duration_minutes, price_minor = EXCLUDED.price_minor,
                currency = EXCLUDED.currency, is_active = EXCLUDED.is_active
            """)
    }

    func save(_ staff: StaffMember, schedule: StaffSchedule) async throws {
        try await self.change(
            """
            INSERT INTO staff (id, name, schedule_json, position, email, phone)
            VALUES (\(staff.id.rawValue), \(staff.name), \(try ColumnJSON.encode(schedule)),
                (SELECT COALESCE(MAX(position), -1) + 1 FROM staff), \(staff.email?.value), \(staff.phone))
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, schedule_json = EXCLUDED.schedule_json,
                email = EXCLUDED.email, phone = EXCLUDED.phone
            """)
    }

    func save(_ rules: BookingRules) async throws {
        try await self.saveSettingJSON(Self.rulesKey, try ColumnJSON.encode(rules))
    }

    func saveSetting(_ key: String, value: String) async throws {
        // NB: settings hold JSON; a plain string is stored as a JSON string.
        try await self.saveSettingJSON(key, try ColumnJSON.encode(value))
    }

    private func saveSettingJSON(_ key: String, _ json: String) async throws {
        try await self.change(
            """
            INSERT INTO settings (key, value_json) VALUES (\(key), \(json))
            ON CONFLICT (key) DO UPDATE SET value_json = EXCLUDED.value_json
            """)
    }

    func setCalendarFeedSecret(staffID: StaffID, secret: String?, at now: Date) async throws {
        try await self.change("DELETE FROM staff_calendar_feeds WHERE staff_id = \(staffID.rawValue)")
        if let secret {
            try await self.change(
                """
                INSERT INTO staff_calendar_feeds (staff_id, secret, created_at)
                VALUES (\(staffID.rawValue), \(secret), \(Millis.from(now)))
                """)
        }
    }

    // MARK: Accounts

    func insert(_ client: Client) async throws {
        guard self.writable else { throw StoreError.readOnly }
        var binds = PostgresBindings(capacity: 10)
        binds.append(client.id.rawValue)
        binds.append(client.name)
        binds.append(client.email.value)
        binds.append(client.email.normalized)
        binds.append(client.phone)
        binds.append(client.timeZone)
        binds.append(client.isBanned)
        binds.append(client.privateNotes)
        binds.append(client.language?.rawValue)
        binds.append(Millis.from(client.createdAt))
        _ = try await self.run(InsertClient.self, binds)
    }

    func update(_ client: Client) async throws {
        try await self.change(
            """
            UPDATE clients SET name = \(client.name), email = \(client.email.value),
                email_normalized = \(client.email.normalized), phone = \(client.phone),
                time_zone = \(client.timeZone), is_banned = \(client.isBanned),
                private_notes = \(client.privateNotes), language = \(client.language?.rawValue)
            WHERE id = \(client.id.rawValue)
            """)
    }

    func insert(_ admin: AdminAccount) async throws {
        try await self.change(
            """
            INSERT INTO admins (id, email, email_normalized, password_hash, created_at)
            VALUES (\(admin.id.rawValue), \(admin.email.value), \(admin.email.normalized), \(admin.passwordHash),
                \(Millis.from(admin.createdAt)))
            """)
    }

    func updateAdminPassword(_ id: AdminID, hash: String) async throws {
        let updated = try await self.change(
            "UPDATE admins SET password_hash = \(hash) WHERE id = \(id.rawValue) RETURNING 1")
        guard updated == 1 else { throw StoreError.corruptRow(table: "admins", id: id.rawValue) }
    }

    func insert(_ session: AdminSession) async throws {
        try await self.change(
            """
            INSERT INTO admin_sessions (token_hash, admin_id, expires_at)
            VALUES (\(session.tokenHash), \(session.adminID.rawValue), \(Millis.from(session.expiresAt)))
            """)
    }

    func extendAdminSession(tokenHash: String, until: Date) async throws {
        try await self.change(
            "UPDATE admin_sessions SET expires_at = \(Millis.from(until)) WHERE token_hash = \(tokenHash)")
    }

    func deleteAdminSession(tokenHash: String) async throws {
        try await self.change("DELETE FROM admin_sessions WHERE token_hash = \(tokenHash)")
    }

    func deleteAdminSessions(expiredAt now: Date) async throws -> Int {
        try await self.change("DELETE FROM admin_sessions WHERE expires_at <= \(Millis.from(now)) RETURNING 1")
    }

    func insert(_ session: ClientSession) async throws {
        try await self.change(
            """
            INSERT INTO client_sessions (token_hash, client_id, created_at, expires_at)
            VALUES (\(session.tokenHash), \(session.clientID.rawValue), \(Millis.from(session.createdAt)),
                \(Millis.from(session.expiresAt)))
            """)
    }

    func extendClientSession(tokenHash: String, until: Date) async throws {
        try await self.change(
            "UPDATE client_sessions SET expires_at = \(Millis.from(until)) WHERE token_hash = \(tokenHash)")
    }

    func deleteClientSession(tokenHash: String) async throws {
        try await self.change("DELETE FROM client_sessions WHERE token_hash = \(tokenHash)")
    }

    func deleteClientSessions(expiredAt now: Date) async throws -> Int {
        try await self.change("DELETE FROM client_sessions WHERE expires_at <= \(Millis.from(now)) RETURNING 1")
    }

    func recordLoginFailure(scope: LoginScope, key: String, at: Date) async throws {
        try await self.change(
            "INSERT INTO login_failures (scope, key, at) VALUES (\(scope.rawValue), \(key), \(Millis.from(at)))")
    }

    func removeLoginFailure(scope: LoginScope, key: String, at: Date) async throws {
        try await self.change(
            """
            DELETE FROM login_failures WHERE id =
                (SELECT id FROM login_failures
                 WHERE scope = \(scope.rawValue) AND key = \(key) AND at = \(Millis.from(at)) LIMIT 1)
            """)
    }

    func clearLoginFailures(scope: LoginScope, key: String) async throws {
        try await self.change("DELETE FROM login_failures WHERE scope = \(scope.rawValue) AND key = \(key)")
    }

    func deleteLoginFailures(before: Date) async throws -> Int {
        try await self.change("DELETE FROM login_failures WHERE at < \(Millis.from(before)) RETURNING 1")
    }

    func setClientPassword(_ id: ClientID, hash: String, at now: Date) async throws {
        try await self.change(
            """
            INSERT INTO client_passwords (client_id, password_hash, updated_at)
            VALUES (\(id.rawValue), \(hash), \(Millis.from(now)))
            ON CONFLICT (client_id) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                updated_at = EXCLUDED.updated_at
            """)
    }
}
