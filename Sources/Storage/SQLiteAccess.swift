import Booking
import Foundation
import GRDB
import Workflow

struct SQLiteAccess: BookingStoreTransaction {
    let pool: DatabasePool
    let writable: Bool
    /// The store's cache of repeated JSON columns.
    let json: ColumnJSONCache

    func access<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if self.writable { return try WriterConnection.run(self.pool, work) }
        return try await self.pool.read(work)
    }

    func mutate(_ work: @escaping @Sendable (Database) throws -> Void) async throws {
        guard self.writable else { throw StoreError.readOnly }
        try WriterConnection.run(self.pool, work)
    }

    // MARK: Reads

    func booking(_ id: BookingID) async throws -> Booking? {
        try await self.access { db in
            try BookingRecord.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM bookings WHERE id = ?"), arguments: [id.rawValue])?.domain(
                    self.json)
        }
    }

    func booking(accessToken: AccessToken) async throws -> Booking? {
        try await self.access { db in
            try BookingRecord.filter(BookingRecord.Columns.accessToken == accessToken.rawValue).fetchOne(db)?.domain(
                self.json)
        }
    }

    func bookings(of clientID: ClientID) async throws -> [Booking] {
        try await self.access { db in
            try BookingRecord.filter(BookingRecord.Columns.clientId == clientID.rawValue)
                .order(BookingRecord.Columns.createdAt, BookingRecord.Columns.id)
                .fetchAll(db).map { try $0.domain(self.json) }
        }
    }

    func bookings(matching filter: BookingFilter) async throws -> [Booking] {
        try await self.access { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            switch filter.view {
            case .active:
                conditions.append("b.archived_at IS NULL AND c.is_banned = 0")
            case .archived:
                conditions.append("b.archived_at IS NOT NULL")
            case .banned:
                conditions.append("c.is_banned = 1")
            }
            if let states = filter.states {
                let sorted = states.map(\.rawValue).sorted()
                conditions.append("b.state IN (\(databaseQuestionMarks(count: sorted.count)))")
                arguments += StatementArguments(sorted)
            }
            if filter.flaggedOnly { conditions.append("b.attention != ''") }
            if let staffID = filter.staffID {
                conditions.append("b.staff_id = ?")
                arguments += [staffID.rawValue]
            }
            if let serviceID = filter.serviceID {
                // NB: the lines are JSON with sorted keys; `instr` matches the exact member, with no wildcards.
                conditions.append("instr(b.lines_json, ?) > 0")
                arguments += ["\"serviceID\":\"\(serviceID.rawValue)\""]
            }
            if let query = filter.clientQuery?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
                let escaped = query.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                conditions.append("(lower(c.name) LIKE ? ESCAPE '\\' OR c.email_normalized LIKE ? ESCAPE '\\')")
                arguments += ["%\(escaped)%", "%\(escaped)%"]
            }
            if let from = filter.from {
                conditions.append("b.start_at >= ?")
                arguments += [Millis.from(from)]
            }
            if let to = filter.to {
                conditions.append("b.start_at < ?")
                arguments += [Millis.from(to)]
            }
            arguments += [filter.limit]
            let sql = """
                SELECT b.* FROM bookings b JOIN clients c ON c.id = b.client_id
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY b.start_at, b.id LIMIT ?
                """
            return try BookingRecord.fetchAll(db, sql: sql, arguments: arguments).map { try $0.domain(self.json) }
        }
    }

    func busyTimes(staffIDs: [StaffID], overlapping interval: DateInterval, at now: Date, excluding: BookingID?)
        async throws -> [BusyTime]
    {
        guard !staffIDs.isEmpty else { return [] }
        return try await self.access { db in
            let ids = staffIDs.map(\.rawValue)
            var arguments = StatementArguments(ids)
            arguments += [
                Millis.from(interval.start.addingTimeInterval(-Booking.maximumLength)), Millis.from(interval.end),
                Millis.from(interval.start), Millis.from(now), excluding?.rawValue,
            ]
            return try Row.fetchAll(db, sql: HotStatements.busyTimes(staffCount: ids.count), arguments: arguments).map {
                row in
                BusyTime(staffID: StaffID(rawValue: row[0]), start: Millis.date(row[1]), end: Millis.date(row[2]))
            }
        }
    }

    func lapsedHolds(at now: Date, limit: Int) async throws -> [Booking] {
        try await self.access { db in
            try BookingRecord.fetchAll(
                db,
                sql: HotStatements.lapsedHolds,
                arguments: [Millis.from(now), limit]
            ).map { try $0.domain(self.json) }
        }
    }

    func client(_ id: ClientID) async throws -> Client? {
        try await self.access { db in try ClientRecord.fetchOne(db, key: id.rawValue)?.domain() }
    }

    func clients(_ ids: Set<ClientID>) async throws -> [ClientID: Client] {
        guard !ids.isEmpty else { return [:] }
        return try await self.access { db in
            let records = try ClientRecord.fetchAll(db, keys: ids.map(\.rawValue))
            return Dictionary(
                uniqueKeysWithValues: try records.map { record in
                    let client = try record.domain()
                    return (client.id, client)
                })
        }
    }

    func clients(matching query: String?, limit: Int) async throws -> [Client] {
        try await self.access { db in
            var sql = "SELECT * FROM clients"
            var arguments: StatementArguments = []
            if let query = query?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
                let escaped = query.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                sql += " WHERE lower(name) LIKE ? ESCAPE '\\' OR email_normalized LIKE ? ESCAPE '\\'"
                arguments += ["%\(escaped)%", "%\(escaped)%"]
            }
            sql += " ORDER BY lower(name), id LIMIT ?"
            arguments += [limit]
            return try ClientRecord.fetchAll(db, sql: sql, arguments: arguments).map { try $0.domain() }
        }
    }

    func calendarFeedSecret(staffID: StaffID) async throws -> String? {
        try await self.access { db in
            try String.fetchOne(
                db, sql: "SELECT secret FROM staff_calendar_feeds WHERE staff_id = ?", arguments: [staffID.rawValue])
        }
    }

    func staffID(calendarFeedSecret secret: String) async throws -> StaffID? {
        try await self.access { db in
            try String.fetchOne(
                db, sql: "SELECT staff_id FROM staff_calendar_feeds WHERE secret = ?", arguments: [secret]
            )
            .map(StaffID.init(rawValue:))
        }
    }

    func outboxBacklog(topic: OutboxTopic) async throws -> (count: Int, oldest: Date?) {
        try await self.access { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE delivered_at IS NULL AND topic = ?",
                arguments: [topic.rawValue])
            let oldest: Int64? = row?[1]
            return (row?[0] ?? 0, oldest.map(Millis.date))
        }
    }

    func liveHoldCount(at now: Date) async throws -> Int {
        try await self.access { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM bookings
                    WHERE hold_until > ? AND state IN ('awaitingPayment', 'awaitingClientConfirmation')
                    """, arguments: [Millis.from(now)]) ?? 0
        }
    }

    func client(email: EmailAddress) async throws -> Client? {
        try await self.access { db in
            try ClientRecord.filter(Column("email_normalized") == email.normalized).fetchOne(db)?.domain()
        }
    }

    func services() async throws -> [Service] {
        try await self.access { db in
            try ServiceRecord.order(Column("position"), Column("id")).fetchAll(db).map { try $0.domain() }
        }
    }

    func staff() async throws -> [StaffMember] {
        try await self.access { db in try StaffRecord.order(Column("position"), Column("id")).fetchAll(db).map(\.member)
        }
    }

    func schedules() async throws -> [StaffSchedule] {
        try await self.access { db in
            try StaffRecord.order(Column("position"), Column("id")).fetchAll(db).map { try $0.schedule() }
        }
    }

    func rules() async throws -> BookingRules {
        try await self.access { db in
            guard let record = try SettingRecord.fetchOne(db, key: SettingRecord.rulesKey) else { return .standard }
            return try ColumnJSON.decode(BookingRules.self, from: record.valueJson)
        }
    }

    func history(of bookingID: BookingID) async throws -> [HistoryEntry] {
        try await self.access { db in
            try HistoryRecord.filter(Column("booking_id") == bookingID.rawValue).order(Column("id")).fetchAll(db).map {
                try $0.domain()
            }
        }
    }

    func pendingOutbox(topic: OutboxTopic?, at now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await self.access { db in
            var request = OutboxRecord.filter(
                Column("delivered_at") == nil && Column("available_at") <= Millis.from(now))
            if let topic { request = request.filter(Column("topic") == topic.rawValue) }
            return try request.order(Column("available_at"), Column("seq")).limit(limit).fetchAll(db).map {
                try $0.domain()
            }
        }
    }

    func outbox(of bookingID: BookingID) async throws -> [OutboxMessage] {
        try await self.access { db in
            try OutboxRecord.filter(Column("booking_id") == bookingID.rawValue).order(Column("seq"))
                .fetchAll(db).map { try $0.domain() }
        }
    }

    func idempotencyRecord(key: String) async throws -> IdempotencyRecord? {
        try await self.access { db in
            try IdempotencyKeyRecord.fetchOne(db, key: key).map {
                IdempotencyRecord(
                    key: $0.key, fingerprint: $0.fingerprint, bookingID: BookingID(rawValue: $0.bookingId),
                    createdAt: Millis.date($0.createdAt))
            }
        }
    }

    func booking(paymentIntentID: String) async throws -> Booking? {
        try await self.access { db in
            try BookingRecord.filter(BookingRecord.Columns.paymentIntentId == paymentIntentID).fetchOne(db)?.domain(
                self.json)
        }
    }

    func bookingsAwaitingPaymentWithCheckout(limit: Int) async throws -> [Booking] {
        try await self.access { db in
            try BookingRecord.fetchAll(
                db,
                sql: HotStatements.awaitingCheckout, arguments: [limit]
            ).map { try $0.domain(self.json) }
        }
    }

    func setting(_ key: String) async throws -> String? {
        try await self.access { db in
            try SettingRecord.fetchOne(db, key: key).map { try ColumnJSON.decode(String.self, from: $0.valueJson) }
        }
    }

    func admin(email: EmailAddress) async throws -> AdminAccount? {
        try await self.access { db in
            try AdminRecord.filter(Column("email_normalized") == email.normalized).fetchOne(db)?.domain()
        }
    }

    func admin(_ id: AdminID) async throws -> AdminAccount? {
        try await self.access { db in try AdminRecord.fetchOne(db, key: id.rawValue)?.domain() }
    }

    func adminCount() async throws -> Int {
        try await self.access { db in try AdminRecord.fetchCount(db) }
    }

    func admins() async throws -> [AdminAccount] {
        try await self.access { db in
            try AdminRecord.order(Column("created_at"), Column("id")).fetchAll(db).map { try $0.domain() }
        }
    }

    func clientSession(tokenHash: String, at now: Date) async throws -> ClientSession? {
        try await self.access { db in
            try ClientSessionRecord.filter(Column("token_hash") == tokenHash && Column("expires_at") > Millis.from(now))
                .fetchOne(db)?.domain
        }
    }

    func loginFailures(scope: LoginScope, key: String, since: Date) async throws -> [Date] {
        try await self.access { db in
            try Int64.fetchAll(
                db, sql: "SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at",
                arguments: [scope.rawValue, key, Millis.from(since)]
            ).map(Millis.date)
        }
    }

    func clientPasswordHash(_ id: ClientID) async throws -> String? {
        try await self.access { db in try ClientPasswordRecord.fetchOne(db, key: id.rawValue)?.passwordHash }
    }

    func adminSession(tokenHash: String, at now: Date) async throws -> AdminSession? {
        try await self.access { db in
            try AdminSessionRecord.filter(Column("token_hash") == tokenHash && Column("expires_at") > Millis.from(now))
                .fetchOne(db).map {
                    AdminSession(
                        tokenHash: $0.tokenHash, adminID: AdminID(rawValue: $0.adminId),
                        expiresAt: Millis.date($0.expiresAt))
                }
        }
    }
}
