import Booking
import Foundation

/// Where the workflow reads the time. Injected so tests can stand on any instant.
public protocol WallClock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The machine's clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Makes identifiers and secrets. Injected so tests can make them predictable if they want.
public protocol IdentifierGenerator: Sendable {
    /// A new random identifier with the type's prefix and at least 128 random bits.
    func make<ID: TypedIdentifier>(_ type: ID.Type) -> ID
    /// A random secret of `length` base-32 characters (5 bits each): keys, session tokens, message ids.
    func token(length: Int) -> String
}

/// Identifiers from the system's cryptographically secure generator: `bk_` + 26 base-32 characters (130 bits);
/// access tokens get 256 bits.
public struct RandomIdentifierGenerator: IdentifierGenerator {
    public init() {}

    public func make<ID: TypedIdentifier>(_ type: ID.Type) -> ID {
        let length = ID.self == AccessToken.self ? 52 : 26
        return ID(rawValue: "\(ID.prefix)_\(Self.randomBase32(length: length))")
    }

    public func token(length: Int) -> String { Self.randomBase32(length: length) }

    /// Lower-case Crockford base 32, 5 bits a character, from `SystemRandomNumberGenerator` (getrandom on Linux).
    static func randomBase32(length: Int) -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
        var generator = SystemRandomNumberGenerator()
        var characters: [UInt8] = []
        characters.reserveCapacity(length)
        // 12 characters from each 64-bit draw (5 bits each), so one system call serves many characters.
        while characters.count < length {
            var bits = generator.next()
            for _ in 0..<min(12, length - characters.count) {
                characters.append(alphabet[Int(bits & 31)])
                bits >>= 5
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

/// The storage port: every use case runs as one transaction through it.
public protocol BookingStore: Sendable {
    /// Runs `body` in one serializable write transaction: committed if it returns, rolled back if it throws.
    /// Writers are serialized, so a check and the insert it guards cannot interleave with another writer.
    func write<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T) async throws
        -> T

    /// Runs `body` with read access, concurrently with writers. Each read sees committed data only; separate reads
    /// of one `body` may see writes committed between them (use `write` where that matters).
    func read<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreReader) async throws -> T) async throws -> T
}

/// What the workflow may read.
public protocol BookingStoreReader: Sendable {
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
    func client(_ id: ClientID) async throws -> Client?
    func client(email: EmailAddress) async throws -> Client?
    func services() async throws -> [Service]
    func staff() async throws -> [StaffMember]
    func schedules() async throws -> [StaffSchedule]
    /// The current rules (the defaults until an admin saves some).
    func rules() async throws -> BookingRules
    /// A booking's history, oldest first.
    func history(of bookingID: BookingID) async throws -> [HistoryEntry]
    /// Outbox rows (of one topic, or all) not yet delivered whose next attempt is due at `now`, oldest first.
    func pendingOutbox(topic: OutboxTopic?, at now: Date, limit: Int) async throws -> [OutboxMessage]
    /// All outbox rows of a booking, oldest first.
    func outbox(of bookingID: BookingID) async throws -> [OutboxMessage]
    /// The booking an idempotency key created, with the request's fingerprint.
    func idempotencyRecord(key: String) async throws -> IdempotencyRecord?
    /// The booking paid through this provider payment.
    func booking(paymentIntentID: String) async throws -> Booking?
    /// Bookings still waiting for payment that have a provider checkout (reconciliation checks them).
    func bookingsAwaitingPaymentWithCheckout(limit: Int) async throws -> [Booking]
    /// A named setting's stored text (a reconciliation cursor, say).
    func setting(_ key: String) async throws -> String?
    func admin(email: EmailAddress) async throws -> AdminAccount?
    func admin(_ id: AdminID) async throws -> AdminAccount?
    func adminCount() async throws -> Int
    /// Every admin account, oldest first (admin notices go to all of them).
    func admins() async throws -> [AdminAccount]
    /// A live admin session by the hash of its token.
    func adminSession(tokenHash: String, at now: Date) async throws -> AdminSession?
}

/// What the workflow may write, inside `BookingStore.write`.
public protocol BookingStoreTransaction: BookingStoreReader {
    func insert(_ booking: Booking) async throws
    func update(_ booking: Booking) async throws
    func insert(_ client: Client) async throws
    func update(_ client: Client) async throws
    func append(_ entry: HistoryEntry) async throws
    func enqueue(_ message: OutboxMessage) async throws
    /// Marks an outbox row delivered, or records a failed attempt and when to try again.
    func updateOutbox(_ message: OutboxMessage) async throws
    /// Records a provider event id; false when it was recorded before (a duplicate delivery).
    func recordProviderEvent(id: String, type: String, receivedAt: Date) async throws -> Bool
    func save(_ service: Service) async throws
    func save(_ staff: StaffMember, schedule: StaffSchedule) async throws
    func save(_ rules: BookingRules) async throws
    func remember(_ record: IdempotencyRecord) async throws
    func saveSetting(_ key: String, value: String) async throws
    func insert(_ admin: AdminAccount) async throws
    func insert(_ session: AdminSession) async throws
    /// Ends one admin session (sign-out); nothing when there is none.
    func deleteAdminSession(tokenHash: String) async throws
    /// Deletes the sessions that expired at or before `now`; how many.
    func deleteAdminSessions(expiredAt now: Date) async throws -> Int
}

/// Which bookings an admin list shows.
public struct BookingFilter: Hashable, Sendable {
    /// Which part of the book.
    public enum View: String, Hashable, Sendable, CaseIterable {
        /// Not archived, client not banned.
        case active
        /// Archived by an admin.
        case archived
        /// Of banned clients.
        case banned
    }

    public var view: View
    public var states: Set<BookingState>?
    /// Bookings starting at or after.
    public var from: Date?
    /// Bookings starting before.
    public var to: Date?
    public var limit: Int

    public init(
        view: View = .active, states: Set<BookingState>? = nil, from: Date? = nil, to: Date? = nil, limit: Int = 500
    ) {
        self.view = view
        self.states = states
        self.from = from
        self.to = to
        self.limit = limit
    }
}

/// One line of a booking's audit trail.
public struct HistoryEntry: Hashable, Sendable, Codable {
    public var bookingID: BookingID
    public var at: Date
    public var actor: Actor
    /// The state before; nil for the creation.
    public var from: BookingState?
    public var to: BookingState
    /// The event's name (`paymentSucceeded`), or `created`, `archived`, `checkoutOpened`.
    public var event: String
    public var reason: String?
    public var providerEventID: String?

    public init(
        bookingID: BookingID, at: Date, actor: Actor, from: BookingState?, to: BookingState, event: String,
        reason: String? = nil, providerEventID: String? = nil
    ) {
        self.bookingID = bookingID
        self.at = at
        self.actor = actor
        self.from = from
        self.to = to
        self.event = event
        self.reason = reason
        self.providerEventID = providerEventID
    }
}

/// The booking an idempotency key created, and what was asked, so a replay with other data is refused.
public struct IdempotencyRecord: Hashable, Sendable {
    public var key: String
    public var fingerprint: String
    public var bookingID: BookingID
    public var createdAt: Date

    public init(key: String, fingerprint: String, bookingID: BookingID, createdAt: Date) {
        self.key = key
        self.fingerprint = fingerprint
        self.bookingID = bookingID
        self.createdAt = createdAt
    }
}

/// An administrator. The password hash is produced and checked by the web layer (bcrypt).
public struct AdminAccount: Hashable, Sendable {
    public var id: AdminID
    public var email: EmailAddress
    public var passwordHash: String
    public var createdAt: Date

    public init(id: AdminID, email: EmailAddress, passwordHash: String, createdAt: Date) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

/// A signed-in admin: the token itself is never stored, only its hash.
public struct AdminSession: Hashable, Sendable {
    public var tokenHash: String
    public var adminID: AdminID
    public var expiresAt: Date

    public init(tokenHash: String, adminID: AdminID, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.adminID = adminID
        self.expiresAt = expiresAt
    }
}
