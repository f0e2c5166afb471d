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
    /// Only bookings flagged for an admin's attention (amount mismatch, late payment, refused refund...).
    public var flaggedOnly: Bool = false
    /// Only this staff member's bookings.
    public var staffID: StaffID?
    /// Only bookings with this service among their lines.
    public var serviceID: ServiceID?
    /// Only bookings whose client's name or email contains this text (any case).
    public var clientQuery: String?
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
    /// The steps the workflow records itself, beside the state machine's events (`BookingEventKind`).
    public enum Step: String, CaseIterable, Sendable {
        case created, checkoutOpened, paymentReminderSent, archived
    }

    public var bookingID: BookingID
    public var at: Date
    public var actor: Actor
    /// The state before; nil for the creation.
    public var from: BookingState?
    public var to: BookingState
    /// A `BookingEventKind`'s name (`paymentSucceeded`), or a `HistoryEntry.Step`'s (`created`).
    public var event: String
    public var reason: String?
    public var providerEventID: String?
    /// Whether an admin chose to show the reason (their note) to the client: in the email this step sends and on the
    /// client's booking page.
    public var reasonShownToClient: Bool

    public init(
        bookingID: BookingID, at: Date, actor: Actor, from: BookingState?, to: BookingState, event: String,
        reason: String? = nil, providerEventID: String? = nil, reasonShownToClient: Bool = false
    ) {
        self.reasonShownToClient = reasonShownToClient
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

/// A signed-in client: the token itself is never stored, only its hash. It ends when unused until `expiresAt`.
public struct ClientSession: Hashable, Sendable {
    public var tokenHash: String
    public var clientID: ClientID
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: String, clientID: ClientID, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.clientID = clientID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
