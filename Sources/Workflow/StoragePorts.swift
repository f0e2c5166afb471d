import Booking
import Foundation

/// The storage port: every use case runs as one transaction through it. A store is written and tested role by
/// role (the protocols below); `BookingStoreReader` and `BookingStoreTransaction` are their sums.
public protocol BookingStore: Sendable {
    /// Runs `body` in one write transaction: committed if it returns, rolled back if it throws. A check and the
    /// write it guards cannot interleave with another writer's (SQLite runs writers one at a time; PostgreSQL locks
    /// what the reads of a write transaction guard). A store may run `body` again after a lost race, so a body does
    /// store work only.
    func write<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T) async throws
        -> T

    /// Runs `body` as `write` does, for a body that reads bookings by their id (and records a provider event) and
    /// writes what follows from them: bookings, history lines, outbox rows — a transition's shape. A store may run
    /// it optimistically: reading without locks, then committing every write in one step only if nothing it read
    /// has changed meanwhile (the event still new, each booking as it was read), and running it again otherwise.
    /// A body that reads or writes anything else is run again as an ordinary `write`; a body must therefore let
    /// errors it does not know pass, and do store work only.
    func writeOptimistically<T: Sendable>(
        _ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T
    ) async throws -> T

    /// Runs `body` with read access, concurrently with writers. Each read sees committed data only; separate reads
    /// of one `body` may see writes committed between them (use `write` where that matters).
    func read<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreReader) async throws -> T) async throws -> T

    /// Whether a write that may well be refused (a client booking, during a rush for one slot) is first checked in a
    /// read: worth it where a write transaction queues behind locks held across round trips (PostgreSQL), not where
    /// writers run one at a time in this process and the read costs as much as the refusal (SQLite).
    var checksInAReadFirst: Bool { get }
}

extension BookingStore {
    public var checksInAReadFirst: Bool { false }

    /// A store that takes no optimistic path runs the body as an ordinary write (SQLite: its writers run one at a
    /// time, so a check cannot be overtaken, and a transaction costs no round trips).
    public func writeOptimistically<T: Sendable>(
        _ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T
    ) async throws -> T {
        try await self.write(body)
    }
}

/// The database cannot be reached (down, restarting, the network to it cut, or no connection free in time): the
/// request answers 503 and may be retried. A transaction that failed this way was rolled back by the database,
/// unless the connection broke during its COMMIT (then the caller cannot know; idempotency keys make a retry safe).
public struct StoreUnavailable: Error, CustomStringConvertible {
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public var description: String { "the database is unavailable: \(self.reason)" }
}

/// Failures of a store itself, the same on every store.
public enum StoreError: Error, CustomStringConvertible {
    /// A stored row does not decode into the domain: the database was edited by hand or is damaged.
    case corruptRow(table: String, id: String)
    /// A write method was called through a read-only access.
    case readOnly

    public var description: String {
        switch self {
        case .corruptRow(let table, let id): "the row \(id) of \(table) cannot be read"
        case .readOnly: "a write was attempted in a read-only access"
        }
    }
}

/// Everything the workflow may read.
public protocol BookingStoreReader: BookingReads, PaymentReads, OutboxReads, PracticeReads, AccountReads {}

/// Everything the workflow may write, inside `BookingStore.write`.
public protocol BookingStoreTransaction: BookingStoreReader, BookingWrites, PaymentWrites, OutboxWrites,
    PracticeWrites, AccountWrites
{
    /// Records a provider event id and, when it is new, reads (and locks, for this transaction) the booking it
    /// names: the first step of every webhook, which a store may take in one round trip to its database.
    func recordProviderEvent(id: String, type: String, receivedAt: Date, naming bookingID: BookingID?) async throws
        -> RecordedProviderEvent
}

extension BookingStoreTransaction {
    /// The two steps one after the other.
    public func recordProviderEvent(id: String, type: String, receivedAt: Date, naming bookingID: BookingID?)
        async throws -> RecordedProviderEvent
    {
        guard try await self.recordProviderEvent(id: id, type: type, receivedAt: receivedAt) else { return .duplicate }
        guard let bookingID else { return .recorded(booking: nil) }
        return .recorded(booking: try await self.booking(bookingID))
    }
}

/// What recording a provider event found.
public enum RecordedProviderEvent: Sendable, Equatable {
    /// The event was recorded before: a repeated delivery, nothing to do.
    case duplicate
    /// The event is new; the booking it names, if it names one we have.
    case recorded(booking: Booking?)
}

// MARK: - Bookings and slots

/// Bookings, their history, the time they take and the idempotency keys that created them.
public protocol BookingReads: Sendable {
    func booking(_ id: BookingID) async throws -> Booking?
    func booking(accessToken: AccessToken) async throws -> Booking?
    /// All bookings of a client, oldest first.
    func bookings(of clientID: ClientID) async throws -> [Booking]
    /// Bookings matching the filter, by start time.
    func bookings(matching filter: BookingFilter) async throws -> [Booking]
    /// Times of the given staff members taken at `now` (settled bookings and live holds) that overlap the interval.
    func busyTimes(staffIDs: [StaffID], overlapping interval: DateInterval, at now: Date, excluding: BookingID?)
        async throws -> [BusyTime]
    /// Bookings still waiting for payment or confirmation whose hold ended at or before `now`.
    func lapsedHolds(at now: Date, limit: Int) async throws -> [Booking]
    /// How many bookings hold a slot while they wait for payment or confirmation, at `now`.
    func liveHoldCount(at now: Date) async throws -> Int
    /// A booking's history, oldest first.
    func history(of bookingID: BookingID) async throws -> [HistoryEntry]
    /// The booking an idempotency key created, with the request's fingerprint.
    func idempotencyRecord(key: String) async throws -> IdempotencyRecord?
}

public protocol BookingWrites: Sendable {
    func insert(_ booking: Booking) async throws
    func update(_ booking: Booking) async throws
    func append(_ entry: HistoryEntry) async throws
    func remember(_ record: IdempotencyRecord) async throws
}

// MARK: - Payments and provider events

public protocol PaymentReads: Sendable {
    /// The booking paid through this provider payment.
    func booking(paymentIntentID: String) async throws -> Booking?
    /// Bookings still waiting for payment that have a provider checkout (reconciliation checks them).
    func bookingsAwaitingPaymentWithCheckout(limit: Int) async throws -> [Booking]
}

public protocol PaymentWrites: Sendable {
    /// Records a provider event id; false when it was recorded before (a duplicate delivery).
    func recordProviderEvent(id: String, type: String, receivedAt: Date) async throws -> Bool
}

// MARK: - The outbox

public protocol OutboxReads: Sendable {
    /// Outbox rows (of one topic, or all) not yet delivered whose next attempt is due at `now`, oldest first.
    func pendingOutbox(topic: OutboxTopic?, at now: Date, limit: Int) async throws -> [OutboxMessage]
    /// All outbox rows of a booking, oldest first.
    func outbox(of bookingID: BookingID) async throws -> [OutboxMessage]
    /// How many rows of a topic wait for delivery, and when the oldest of them was written.
    func outboxBacklog(topic: OutboxTopic) async throws -> (count: Int, oldest: Date?)
}

public protocol OutboxWrites: Sendable {
    func enqueue(_ message: OutboxMessage) async throws
    /// Claims up to `limit` due rows (of one topic, or all), oldest first, for one delivery attempt: each is hidden
    /// from every other worker until `leaseUntil`, when a worker that died holding it is replaced by another.
    /// Rows another worker is claiming at the same moment are skipped, not waited for.
    func claimOutbox(topic: OutboxTopic?, at now: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxMessage]
    /// Marks an outbox row delivered, or records a failed attempt and when to try again.
    func updateOutbox(_ message: OutboxMessage) async throws
}

// MARK: - The practice

/// The catalog, staff and their schedules, the rules, and named settings.
public protocol PracticeReads: Sendable {
    func services() async throws -> [Service]
    func staff() async throws -> [StaffMember]
    func schedules() async throws -> [StaffSchedule]
    /// The current rules (the defaults until an admin saves some).
    func rules() async throws -> BookingRules
    /// A named setting's stored text (a reconciliation cursor, say).
    func setting(_ key: String) async throws -> String?
    /// The secret of a staff member's calendar feed, if it has one.
    func calendarFeedSecret(staffID: StaffID) async throws -> String?
    /// The staff member whose calendar feed has this secret.
    func staffID(calendarFeedSecret secret: String) async throws -> StaffID?
}

public protocol PracticeWrites: Sendable {
    func save(_ service: Service) async throws
    func save(_ staff: StaffMember, schedule: StaffSchedule) async throws
    func save(_ rules: BookingRules) async throws
    func saveSetting(_ key: String, value: String) async throws
    /// Gives a staff member's calendar feed a new secret (revoking the old one), or none.
    func setCalendarFeedSecret(staffID: StaffID, secret: String?, at now: Date) async throws
}

// MARK: - Accounts and sessions

/// Clients, admins and admin sessions.
public protocol AccountReads: Sendable {
    func client(_ id: ClientID) async throws -> Client?
    func client(email: EmailAddress) async throws -> Client?
    /// The clients with these ids (the ones that exist), in one read.
    func clients(_ ids: Set<ClientID>) async throws -> [ClientID: Client]
    /// Clients whose name or email contains `query` (any case; all when nil), by name.
    func clients(matching query: String?, limit: Int) async throws -> [Client]
    func admin(email: EmailAddress) async throws -> AdminAccount?
    func admin(_ id: AdminID) async throws -> AdminAccount?
    func adminCount() async throws -> Int
    /// Every admin account, oldest first (admin notices go to all of them).
    func admins() async throws -> [AdminAccount]
    /// A live admin session by the hash of its token.
    func adminSession(tokenHash: String, at now: Date) async throws -> AdminSession?
    /// A live client session by the hash of its token.
    func clientSession(tokenHash: String, at now: Date) async throws -> ClientSession?
    /// The bcrypt hash of a client's password, when they set one.
    func clientPasswordHash(_ id: ClientID) async throws -> String?
    /// The failed (or not yet successful) login attempts counted against a key since an instant.
    func loginFailures(scope: LoginScope, key: String, since: Date) async throws -> [Date]
}

/// What a login attempt is counted against.
public enum LoginScope: String, Sendable, CaseIterable {
    /// The client's network address.
    case address
    /// The account (or another key, like a sign-in link's email).
    case account
}

public protocol AccountWrites: Sendable {
    func insert(_ client: Client) async throws
    func update(_ client: Client) async throws
    func insert(_ admin: AdminAccount) async throws
    /// Replaces an admin's password hash.
    func updateAdminPassword(_ id: AdminID, hash: String) async throws
    func insert(_ session: AdminSession) async throws
    /// Moves an admin session's expiry (each use keeps a page session alive).
    func extendAdminSession(tokenHash: String, until: Date) async throws
    /// Ends one admin session (sign-out); nothing when there is none.
    func deleteAdminSession(tokenHash: String) async throws
    /// Deletes the sessions that expired at or before `now`; how many.
    func deleteAdminSessions(expiredAt now: Date) async throws -> Int
    func insert(_ session: ClientSession) async throws
    /// Moves a client session's expiry (each use keeps an active session alive).
    func extendClientSession(tokenHash: String, until: Date) async throws
    /// Ends one client session (sign-out); nothing when there is none.
    func deleteClientSession(tokenHash: String) async throws
    /// Deletes the client sessions that expired at or before `now`; how many.
    func deleteClientSessions(expiredAt now: Date) async throws -> Int
    /// Sets (or replaces) a client's password hash.
    func setClientPassword(_ id: ClientID, hash: String, at now: Date) async throws
    func recordLoginFailure(scope: LoginScope, key: String, at: Date) async throws
    /// Takes back one attempt counted at `at` (a correct password).
    func removeLoginFailure(scope: LoginScope, key: String, at: Date) async throws
    func clearLoginFailures(scope: LoginScope, key: String) async throws
    /// Deletes the attempts counted before an instant; how many.
    func deleteLoginFailures(before: Date) async throws -> Int
}

// MARK: - Moving a practice between stores

/// A stored value as both stores hold it (moving a practice from SQLite to PostgreSQL).
public enum StoredValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// One table's rows, column by column, in the schema both stores share.
public struct TableDump: Sendable {
    public var table: String
    public var columns: [String]
    public var rows: [[StoredValue]]

    public init(table: String, columns: [String], rows: [[StoredValue]]) {
        self.table = table
        self.columns = columns
        self.rows = rows
    }

    /// Every table of a practice, parents before the tables that refer to them.
    public static let tablesInOrder = [
        "services", "staff", "settings", "clients", "admins", "bookings", "booking_history", "outbox",
        "provider_events", "idempotency_keys", "admin_sessions", "client_sessions", "client_passwords",
        "staff_calendar_feeds", "login_failures",
    ]
}
