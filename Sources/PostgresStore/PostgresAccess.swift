import Booking
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Workflow

/// The storage ports on one leased connection: inside the store's transaction for writes, on its own for reads.
///
/// Writes run at READ COMMITTED with explicit locks where a check guards a write, so transactions that touch
/// different things never wait for or abort each other, and those that touch the same thing queue:
/// - a booking read in a write is locked (`FOR UPDATE`): its transitions happen one after another;
/// - busy times read in a write lock their staff members first: claims on one calendar queue, and each sees the
///   bookings the previous one committed (the exclusion constraint stands behind this);
/// - a client read in a write is locked: one client's bookings (and their limits) queue;
/// - a setting, an idempotency key and a login counter read in a write take an advisory lock on their name, so a
///   check-then-insert on a row that does not exist yet cannot run twice at once;
/// - two inserts of one new unique row (a new client's email, say) collide on the unique index; the store runs
///   the loser again, which then finds the row.
struct PostgresAccess: BookingStoreTransaction {
    /// The leased connection; none in an optimistic attempt, whose reads go in batches (see `OptimisticReads`).
    let connection: PostgresConnection?
    let logger: Logger
    let writable: Bool
    /// The store's cache of repeated JSON columns.
    let json: ColumnJSONCache
    /// The outbox topics this transaction queued work for (told to every instance once it commits).
    var queued: QueuedTopics? = nil
    /// A write transaction's writes not yet sent (see `flush`).
    var buffered: BufferedWrites? = nil
    /// Set in an optimistic attempt (see `PostgresOptimisticWrites.swift`): no transaction is open, reads take no
    /// lock, and anything but a booking or an event read by id, or a buffered write, ends the attempt.
    var optimistic: OptimisticReads? = nil

    /// The rows `query` answers, read whole.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        if let optimistic = self.optimistic { try optimistic.refuse() }
        try await self.flush()
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await self.leased().query(query, logger: self.logger) {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }

    func first(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await self.rows(query).first
    }

    /// Runs a statement of a write transaction; returns how many rows it answered (its RETURNING rows).
    @discardableResult
    func change(_ query: PostgresQuery) async throws -> Int {
        guard self.writable else { throw StoreError.readOnly }
        return try await self.rows(query).count
    }

    /// The leased connection; an access without one (an optimistic attempt's) goes no further than its batched
    /// reads and buffered writes.
    func leased() throws -> PostgresConnection {
        guard let connection = self.connection else {
            if let optimistic = self.optimistic { try optimistic.refuse() }
            throw NeedsLocks()
        }
        return connection
    }

    static let bookingSelect = "SELECT \(Rows.bookingColumns.joined(separator: ", ")) FROM bookings"

    /// Bookings by a WHERE clause (with its ORDER BY and LIMIT) over `bookings`, its parameters bound; `lock` is
    /// appended in a write transaction (`FOR UPDATE`, say).
    func bookings(where clause: String, _ binds: PostgresBindings = PostgresBindings(), lock: String = "")
        async throws -> [Booking]
    {
        let locking = self.writable && !lock.isEmpty ? " \(lock)" : ""
        return try await self.rows(
            PostgresQuery(unsafeSQL: "\(Self.bookingSelect) \(clause)\(locking)", binds: binds)
        ).map { try Rows.booking($0, json: self.json) }
    }

    /// In a write transaction, waits for (then holds until the end) the advisory lock named `name`.
    func lockName(_ name: String) async throws {
        guard self.writable else { return }
        if let optimistic = self.optimistic { try optimistic.refuse() }
        try await self.flush()
        _ = try await self.execute(LockName.self, Self.binds(name))
    }

    // MARK: Bookings

    func booking(_ id: BookingID) async throws -> Booking? {
        if let optimistic = self.optimistic { return try await self.optimisticBooking(id, reads: optimistic) }
        return try await self.run(SelectBooking.self, locking: SelectBookingForUpdate.self, Self.binds(id.rawValue))
            .first.map { try Rows.booking($0, json: self.json) }
    }

    func booking(accessToken: AccessToken) async throws -> Booking? {
        try await self.run(
            SelectBookingByAccessToken.self, locking: SelectBookingByAccessTokenForUpdate.self,
            Self.binds(accessToken.rawValue)
        ).first.map { try Rows.booking($0, json: self.json) }
    }

    func bookings(of clientID: ClientID) async throws -> [Booking] {
        try await self.run(SelectBookingsOfClient.self, Self.binds(clientID.rawValue)).map {
            try Rows.booking($0, json: self.json)
        }
    }

    func bookings(matching filter: BookingFilter) async throws -> [Booking] {
        var binds = PostgresBindings()
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var conditions: [String] = []
        switch filter.view {
        case .active: conditions.append("b.archived_at IS NULL AND NOT c.is_banned")
        case .archived: conditions.append("b.archived_at IS NOT NULL")
        case .banned: conditions.append("c.is_banned")
        }
        if let states = filter.states { conditions.append("b.state = ANY(\(bind(states.map(\.rawValue).sorted())))") }
        if filter.flaggedOnly { conditions.append("b.attention <> ''") }
        if let staffID = filter.staffID { conditions.append("b.staff_id = \(bind(staffID.rawValue))") }
        if let serviceID = filter.serviceID {
            // NB: the lines are JSON with sorted keys; `strpos` matches the exact member, with no wildcards.
            conditions.append("strpos(b.lines_json, \(bind("\"serviceID\":\"\(serviceID.rawValue)\""))) > 0")
        }
        if let query = filter.clientQuery?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
            let pattern = bind(Self.containsPattern(query))
            conditions.append(
                "(lower(c.name) LIKE \(pattern) ESCAPE '\\' OR c.email_normalized LIKE \(pattern) ESCAPE '\\')")
        }
        if let from = filter.from { conditions.append("b.start_at >= \(bind(Millis.from(from)))") }
        if let to = filter.to { conditions.append("b.start_at < \(bind(Millis.from(to)))") }
        let limit = bind(Int64(filter.limit))
        let columns = Rows.bookingColumns.map { "b.\($0)" }.joined(separator: ", ")
        let sql = """
            SELECT \(columns) FROM bookings b JOIN clients c ON c.id = b.client_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY b.start_at, b.id LIMIT \(limit)
            """
        return try await self.rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map {
            try Rows.booking($0, json: self.json)
        }
    }

    func busyTimes(staffIDs: [StaffID], overlapping interval: DateInterval, at now: Date, excluding: BookingID?)
        async throws -> [BusyTime]
    {
        guard !staffIDs.isEmpty else { return [] }
        let ids = staffIDs.map(\.rawValue).sorted()
        if self.writable {
            // A claim on these calendars: wait for the claims in progress, in a fixed order (no deadlock).
            _ = try await self.run(LockStaff.self, Self.binds(ids))
        }
        let earliest = Millis.from(interval.start.addingTimeInterval(-Booking.maximumLength))
        var binds = Self.binds(ids, earliest, Millis.from(interval.end), Millis.from(interval.start), Millis.from(now))
        binds.append(excluding?.rawValue)
        return try await self.run(BusyTimes.self, binds).map { row in
            BusyTime(
                staffID: StaffID(rawValue: try row.get("staff_id")), start: Millis.date(try row.get("start_at")),
                end: Millis.date(try row.get("end_at")))
        }
    }

    func lapsedHolds(at now: Date, limit: Int) async throws -> [Booking] {
        // NB: in a write, the rows are locked, and those another transaction is expiring are skipped.
        guard self.writable else {
            return try await self.bookings(
                where: """
                    WHERE hold_until IS NOT NULL AND hold_until <= $1 AND state IN (\(PostgresSchema.holdingStates))
                      AND payment_status NOT IN ('paid', 'notRequired')
                    ORDER BY hold_until LIMIT $2
                    """, Self.binds(Millis.from(now), Int64(limit)))
        }
        return try await self.run(LapsedHolds.self, Self.binds(Millis.from(now), Int64(limit))).map {
            try Rows.booking($0, json: self.json)
        }
    }

    func liveHoldCount(at now: Date) async throws -> Int {
        let row = try await self.first(
            """
            SELECT COUNT(*) AS count FROM bookings
            WHERE hold_until > \(Millis.from(now)) AND state IN (\(unescaped: PostgresSchema.holdingStates))
            """)
        return Int(try row?.get("count", as: Int64.self) ?? 0)
    }

    func history(of bookingID: BookingID) async throws -> [HistoryEntry] {
        try await self.run(SelectHistory.self, Self.binds(bookingID.rawValue)).map(Rows.history)
    }

    func idempotencyRecord(key: String) async throws -> IdempotencyRecord? {
        try await self.lockName("idempotency:\(key)")
        return try await self.run(SelectIdempotencyRecord.self, Self.binds(key)).first.map { row in
            IdempotencyRecord(
                key: try row.get("key"), fingerprint: try row.get("fingerprint"),
                bookingID: BookingID(rawValue: try row.get("booking_id")),
                createdAt: Millis.date(try row.get("created_at")))
        }
    }

    // MARK: Payments

    func booking(paymentIntentID: String) async throws -> Booking? {
        try await self.bookings(
            where: "WHERE payment_intent_id = $1", Self.binds(paymentIntentID), lock: "FOR UPDATE"
        ).first
    }

    func bookingsAwaitingPaymentWithCheckout(limit: Int) async throws -> [Booking] {
        try await self.bookings(
            where: """
                WHERE state IN (\(PostgresSchema.holdingStates)) AND checkout_session_id IS NOT NULL
                ORDER BY created_at LIMIT $1
                """, Self.binds(Int64(limit)))
    }

    // MARK: The outbox

    func pendingOutbox(topic: OutboxTopic?, at now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await self.rows(
            """
            SELECT * FROM outbox
            WHERE delivered_at IS NULL AND available_at <= \(Millis.from(now))
              AND (\(topic?.rawValue)::text IS NULL OR topic = \(topic?.rawValue))
            ORDER BY available_at, seq LIMIT \(Int64(limit))
            """
        ).map(Rows.outbox)
    }

    func outbox(of bookingID: BookingID) async throws -> [OutboxMessage] {
        try await self.rows("SELECT * FROM outbox WHERE booking_id = \(bookingID.rawValue) ORDER BY seq").map(
            Rows.outbox)
    }

    func outboxBacklog(topic: OutboxTopic) async throws -> (count: Int, oldest: Date?) {
        let row = try await self.first(
            """
            SELECT COUNT(*) AS count, MIN(created_at) AS oldest FROM outbox
            WHERE delivered_at IS NULL AND topic = \(topic.rawValue)
            """)
        return (
            Int(try row?.get("count", as: Int64.self) ?? 0), try row?.get("oldest", as: Int64?.self).map(Millis.date)
        )
    }

    // MARK: The practice

    func services() async throws -> [Service] {
        try await self.run(SelectServices.self, PostgresBindings()).map(Rows.service)
    }

    func staff() async throws -> [StaffMember] {
        try await self.run(SelectStaff.self, PostgresBindings()).map(Rows.staffMember)
    }

    func schedules() async throws -> [StaffSchedule] {
        try await self.run(SelectSchedules.self, PostgresBindings()).map { row in
            try ColumnJSON.decode(StaffSchedule.self, from: try row.get("schedule_json"))
        }
    }

    static let rulesKey = "booking_rules"

    func rules() async throws -> BookingRules {
        guard let row = try await self.run(SelectSetting.self, Self.binds(Self.rulesKey)).first else {
            return .standard
        }
        return try ColumnJSON.decode(BookingRules.self, from: try row.get("value_json"))
    }

    func setting(_ key: String) async throws -> String? {
        try await self.lockName("setting:\(key)")
        return try await self.run(SelectSetting.self, Self.binds(key)).first.map { row in
            try ColumnJSON.decode(String.self, from: try row.get("value_json"))
        }
    }

    func calendarFeedSecret(staffID: StaffID) async throws -> String? {
        try await self.first("SELECT secret FROM staff_calendar_feeds WHERE staff_id = \(staffID.rawValue)")?.get(
            "secret")
    }

    func staffID(calendarFeedSecret secret: String) async throws -> StaffID? {
        try await self.first("SELECT staff_id FROM staff_calendar_feeds WHERE secret = \(secret)").map {
            StaffID(rawValue: try $0.get("staff_id"))
        }
    }

    // MARK: Accounts

    func client(_ id: ClientID) async throws -> Client? {
        try await self.run(SelectClient.self, locking: SelectClientForUpdate.self, Self.binds(id.rawValue)).first.map(
            Rows.client)
    }

    func client(email: EmailAddress) async throws -> Client? {
        // NB: a client not yet there cannot be locked; the name lock makes two first bookings of one new email
        // queue (the second then finds the client the first created).
        try await self.lockName("client:\(email.normalized)")
        return try await self.run(
            SelectClientByEmail.self, locking: SelectClientByEmailForUpdate.self, Self.binds(email.normalized)
        ).first.map(Rows.client)
    }

    func clients(_ ids: Set<ClientID>) async throws -> [ClientID: Client] {
        guard !ids.isEmpty else { return [:] }
        let clients = try await self.rows("SELECT * FROM clients WHERE id = ANY(\(ids.map(\.rawValue)))").map(
            Rows.client)
        return Dictionary(uniqueKeysWithValues: clients.map { ($0.id, $0) })
    }

    func clients(matching query: String?, limit: Int) async throws -> [Client] {
        let trimmed = query?.trimmingCharacters(in: .whitespaces)
        let pattern = trimmed.flatMap { $0.isEmpty ? nil : Self.containsPattern($0) }
        return try await self.rows(
            """
            SELECT * FROM clients
            WHERE \(pattern)::text IS NULL
               OR lower(name) LIKE \(pattern) ESCAPE '\\' OR email_normalized LIKE \(pattern) ESCAPE '\\'
            ORDER BY lower(name), id LIMIT \(Int64(limit))
            """
        ).map(Rows.client)
    }

    func clientPasswordHash(_ id: ClientID) async throws -> String? {
        try await self.first("SELECT password_hash FROM client_passwords WHERE client_id = \(id.rawValue)")?.get(
            "password_hash")
    }

    func loginFailures(scope: LoginScope, key: String, since: Date) async throws -> [Date] {
        try await self.lockName("login:\(scope.rawValue):\(key)")
        return try await self.rows(
            """
            SELECT at FROM login_failures
            WHERE scope = \(scope.rawValue) AND key = \(key) AND at > \(Millis.from(since)) ORDER BY at
            """
        ).map { Millis.date(try $0.get("at")) }
    }

    func clientSession(tokenHash: String, at now: Date) async throws -> ClientSession? {
        try await self.run(SelectClientSession.self, Self.binds(tokenHash, Millis.from(now))).first.map { row in
            ClientSession(
                tokenHash: try row.get("token_hash"), clientID: ClientID(rawValue: try row.get("client_id")),
                createdAt: Millis.date(try row.get("created_at")), expiresAt: Millis.date(try row.get("expires_at")))
        }
    }

    func admin(email: EmailAddress) async throws -> AdminAccount? {
        try await self.first("SELECT * FROM admins WHERE email_normalized = \(email.normalized)").map(Rows.admin)
    }

    func admin(_ id: AdminID) async throws -> AdminAccount? {
        try await self.first("SELECT * FROM admins WHERE id = \(id.rawValue)").map(Rows.admin)
    }

    func adminCount() async throws -> Int {
        Int(try await self.first("SELECT COUNT(*) AS count FROM admins")?.get("count", as: Int64.self) ?? 0)
    }

    func admins() async throws -> [AdminAccount] {
        try await self.rows("SELECT * FROM admins ORDER BY created_at, id").map(Rows.admin)
    }

    func adminSession(tokenHash: String, at now: Date) async throws -> AdminSession? {
        try await self.run(SelectAdminSession.self, Self.binds(tokenHash, Millis.from(now))).first.map { row in
            AdminSession(
                tokenHash: try row.get("token_hash"), adminID: AdminID(rawValue: try row.get("admin_id")),
                expiresAt: Millis.date(try row.get("expires_at")))
        }
    }

    // MARK: Helpers

    static func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { binds.append(value) }
        return binds
    }

    /// A LIKE pattern matching text that contains `query` (any case), its wildcards escaped.
    static func containsPattern(_ query: String) -> String {
        let escaped = query.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        return "%\(escaped)%"
    }
}

/// The outbox topics a transaction queued work for.
final class QueuedTopics: Sendable {
    private let topics = Mutex<Set<OutboxTopic>>([])

    func add(_ topic: OutboxTopic) { self.topics.withLock { _ = $0.insert(topic) } }

    var all: Set<OutboxTopic> { self.topics.withLock { $0 } }
}
