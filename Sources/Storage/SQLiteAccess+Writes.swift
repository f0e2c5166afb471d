import Booking
import Foundation
import GRDB
import Workflow

// What the workflow may write, on the writer connection inside the current transaction.
extension SQLiteAccess {
    // MARK: Writes

    func saveSetting(_ key: String, value: String) async throws {
        // NB: settings hold JSON; a plain string is stored as a JSON string.
        let json = try ColumnJSON.encode(value)
        try await self.mutate { db in try SettingRecord(key: key, valueJson: json).save(db) }
    }

    func insert(_ admin: AdminAccount) async throws {
        let record = AdminRecord(admin)
        try await self.mutate { db in try record.insert(db) }
    }

    func insert(_ session: AdminSession) async throws {
        let record = AdminSessionRecord(
            tokenHash: session.tokenHash, adminId: session.adminID.rawValue, expiresAt: Millis.from(session.expiresAt))
        try await self.mutate { db in try record.insert(db) }
    }

    func deleteAdminSession(tokenHash: String) async throws {
        try await self.mutate { db in
            _ = try AdminSessionRecord.filter(Column("token_hash") == tokenHash).deleteAll(db)
        }
    }

    func deleteAdminSessions(expiredAt now: Date) async throws -> Int {
        guard self.writable else { throw StoreError.readOnly }
        return try WriterConnection.run(self.pool) { db in
            try AdminSessionRecord.filter(Column("expires_at") <= Millis.from(now)).deleteAll(db)
        }
    }

    func extendAdminSession(tokenHash: String, until: Date) async throws {
        try await self.mutate { db in
            try db.execute(
                sql: "UPDATE admin_sessions SET expires_at = ? WHERE token_hash = ?",
                arguments: [Millis.from(until), tokenHash])
        }
    }

    func setCalendarFeedSecret(staffID: StaffID, secret: String?, at now: Date) async throws {
        try await self.mutate { db in
            try db.execute(sql: "DELETE FROM staff_calendar_feeds WHERE staff_id = ?", arguments: [staffID.rawValue])
            if let secret {
                try db.execute(
                    sql: "INSERT INTO staff_calendar_feeds (staff_id, secret, created_at) VALUES (?, ?, ?)",
                    arguments: [staffID.rawValue, secret, Millis.from(now)])
            }
        }
    }

    func updateAdminPassword(_ id: AdminID, hash: String) async throws {
        try await self.mutate { db in
            try db.execute(sql: "UPDATE admins SET password_hash = ? WHERE id = ?", arguments: [hash, id.rawValue])
            guard db.changesCount == 1 else { throw StoreError.corruptRow(table: "admins", id: id.rawValue) }
        }
    }

    func insert(_ session: ClientSession) async throws {
        let record = ClientSessionRecord(session)
        try await self.mutate { db in try record.insert(db) }
    }

    func extendClientSession(tokenHash: String, until: Date) async throws {
        try await self.mutate { db in
            try db.execute(
                sql: "UPDATE client_sessions SET expires_at = ? WHERE token_hash = ?",
                arguments: [Millis.from(until), tokenHash])
        }
    }

    func deleteClientSession(tokenHash: String) async throws {
        try await self.mutate { db in
            _ = try ClientSessionRecord.filter(Column("token_hash") == tokenHash).deleteAll(db)
        }
    }

    func deleteClientSessions(expiredAt now: Date) async throws -> Int {
        guard self.writable else { throw StoreError.readOnly }
        return try WriterConnection.run(self.pool) { db in
            try ClientSessionRecord.filter(Column("expires_at") <= Millis.from(now)).deleteAll(db)
        }
    }

    func setClientPassword(_ id: ClientID, hash: String, at now: Date) async throws {
        let record = ClientPasswordRecord(clientId: id.rawValue, passwordHash: hash, updatedAt: Millis.from(now))
        try await self.mutate { db in try record.upsert(db) }
    }

    func recordLoginFailure(scope: LoginScope, key: String, at: Date) async throws {
        try await self.mutate { db in
            try db.execute(
                sql: "INSERT INTO login_failures (scope, key, at) VALUES (?, ?, ?)",
                arguments: [scope.rawValue, key, Millis.from(at)])
        }
    }

    func removeLoginFailure(scope: LoginScope, key: String, at: Date) async throws {
        try await self.mutate { db in
            try db.execute(
                sql: """
                    DELETE FROM login_failures WHERE id =
                        (SELECT id FROM login_failures WHERE scope = ? AND key = ? AND at = ? LIMIT 1)
                    """, arguments: [scope.rawValue, key, Millis.from(at)])
        }
    }

    func clearLoginFailures(scope: LoginScope, key: String) async throws {
        try await self.mutate { db in
            try db.execute(
                sql: "DELETE FROM login_failures WHERE scope = ? AND key = ?", arguments: [scope.rawValue, key])
        }
    }

    func deleteLoginFailures(before: Date) async throws -> Int {
        guard self.writable else { throw StoreError.readOnly }
        return try WriterConnection.run(self.pool) { db in
            try db.execute(sql: "DELETE FROM login_failures WHERE at < ?", arguments: [Millis.from(before)])
            return db.changesCount
        }
    }

    func insert(_ booking: Booking) async throws {
        let record = try BookingRecord(booking, json: self.json)
        try await self.mutate { db in
            try HotStatements.execute(db, HotStatements.insertBooking, record.insertArguments)
        }
    }

    func update(_ booking: Booking) async throws {
        let record = try BookingRecord(booking, json: self.json)
        try await self.mutate { db in
            guard
                let placement = try Row.fetchOne(
                    db.cachedStatement(sql: HotStatements.bookingPlacement), arguments: [record.id])
            else {
                throw StoreError.corruptRow(table: "bookings", id: record.id)
            }
            let staffID: String = placement[0]
            let start: Int64 = placement[1]
            let end: Int64 = placement[2]
            if staffID == record.staffId, start == record.startAt, end == record.endAt {
                try HotStatements.execute(db, HotStatements.updateBookingInPlace, record.inPlaceArguments)
            } else {
                try HotStatements.execute(db, HotStatements.updateBooking, record.updateArguments)
            }
            guard db.changesCount == 1 else { throw StoreError.corruptRow(table: "bookings", id: record.id) }
        }
    }

    func insert(_ client: Client) async throws {
        let record = ClientRecord(client)
        try await self.mutate { db in try record.insert(db) }
    }

    func update(_ client: Client) async throws {
        let record = ClientRecord(client)
        try await self.mutate { db in try record.update(db) }
    }

    func append(_ entry: HistoryEntry) async throws {
        let record = HistoryRecord(entry)
        try await self.mutate { db in
            try HotStatements.execute(db, HotStatements.insertHistory, record.insertArguments)
        }
    }

    func enqueue(_ message: OutboxMessage) async throws {
        let record = try OutboxRecord(message, json: self.json)
        try await self.mutate { db in
            try HotStatements.execute(db, HotStatements.insertOutbox, record.insertArguments)
        }
    }

    func updateOutbox(_ message: OutboxMessage) async throws {
        let record = try OutboxRecord(message, json: self.json)
        try await self.mutate { db in
            try HotStatements.execute(
                db, "UPDATE outbox SET available_at = ?, attempts = ?, last_error = ?, delivered_at = ? WHERE id = ?",
                [record.availableAt, record.attempts, record.lastError, record.deliveredAt, record.id])
            guard db.changesCount == 1 else { throw StoreError.corruptRow(table: "outbox", id: record.id) }
        }
    }

    func claimOutbox(topic: OutboxTopic?, at now: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxMessage] {
        // NB: writers are serialized, so no other worker reads these rows between this read and the update.
        let due = try await self.pendingOutbox(topic: topic, at: now, limit: limit)
        guard !due.isEmpty else { return [] }
        let ids = due.map(\.id)
        try await self.mutate { db in
            try db.execute(
                sql: "UPDATE outbox SET available_at = ? WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                arguments: StatementArguments(
                    [Millis.from(leaseUntil)] + ids.map { $0 as any DatabaseValueConvertible }))
        }
        return due.map { row in
            var claimed = row
            claimed.availableAt = leaseUntil
            return claimed
        }
    }

    func recordProviderEvent(id: String, type: String, receivedAt: Date) async throws -> Bool {
        guard self.writable else { throw StoreError.readOnly }
        let record = ProviderEventRecord(id: id, type: type, receivedAt: Millis.from(receivedAt))
        return try WriterConnection.run(self.pool) { db in
            try HotStatements.execute(db, HotStatements.insertProviderEvent, record.insertArguments)
            return db.changesCount == 1
        }
    }

    func save(_ service: Service) async throws {
        try await self.mutate { db in
            let position =
                try ServiceRecord.fetchOne(db, key: service.id.rawValue)?.position
                ?? (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), -1) + 1 FROM services") ?? 0)
            try ServiceRecord(service, position: position).save(db)
        }
    }

    func save(_ staff: StaffMember, schedule: StaffSchedule) async throws {
        let json = try ColumnJSON.encode(schedule)
        try await self.mutate { db in
            let position =
                try StaffRecord.fetchOne(db, key: staff.id.rawValue)?.position
                ?? (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), -1) + 1 FROM staff") ?? 0)
            try StaffRecord(
                id: staff.id.rawValue, name: staff.name, scheduleJson: json, position: position,
                email: staff.email?.value, phone: staff.phone
            ).save(db)
        }
    }

    func save(_ rules: BookingRules) async throws {
        let json = try ColumnJSON.encode(rules)
        try await self.mutate { db in try SettingRecord(key: SettingRecord.rulesKey, valueJson: json).save(db) }
    }

    func remember(_ record: IdempotencyRecord) async throws {
        let row = IdempotencyKeyRecord(
            key: record.key, fingerprint: record.fingerprint, bookingId: record.bookingID.rawValue,
            createdAt: Millis.from(record.createdAt))
        try await self.mutate { db in try row.insert(db) }
    }
}
