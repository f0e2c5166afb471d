import Foundation

/// Who made a booking.
public enum BookingOrigin: String, Hashable, Sendable, Codable, CaseIterable {
    /// The client, on the public API or pages.
    case client
    /// An admin, by hand.
    case admin
}

/// A booking: a client's appointment with one staff member, its price snapshot, rules snapshot and lifecycle.
public struct Booking: Hashable, Sendable, Codable, Identifiable {
    public var id: BookingID
    /// The client's secret for the booking's link.
    public var accessToken: AccessToken
    public var clientID: ClientID
    public var staffID: StaffID
    /// The services as sold.
    public var lines: [BookingLine]
    public var start: Date
    public var end: Date
    /// The rules in force when the booking was made.
    public var rules: BookingRules
    /// The staff member's buffer when the booking was made (kept free before and after it).
    public var bufferMinutes: Int
    public var origin: BookingOrigin
    /// State, payment and attention flags.
    public var lifecycle: BookingLifecycle
    /// While awaiting payment or confirmation, the slot is held until then.
    public var holdUntil: Date?
    /// What the client wrote when booking.
    public var clientNote: String?
    /// Set once an admin archives the closed booking.
    public var archivedAt: Date?
    /// Raised at each reschedule (the calendar file's SEQUENCE).
    public var sequence: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: BookingID, accessToken: AccessToken, clientID: ClientID, staffID: StaffID, lines: [BookingLine],
        start: Date, end: Date, rules: BookingRules, bufferMinutes: Int, origin: BookingOrigin,
        lifecycle: BookingLifecycle, holdUntil: Date?, clientNote: String? = nil, archivedAt: Date? = nil,
        sequence: Int = 0, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accessToken = accessToken
        self.clientID = clientID
        self.staffID = staffID
        self.lines = lines
        self.start = start
        self.end = end
        self.rules = rules
        self.bufferMinutes = bufferMinutes
        self.origin = origin
        self.lifecycle = lifecycle
        self.holdUntil = holdUntil
        self.clientNote = clientNote
        self.archivedAt = archivedAt
        self.sequence = sequence
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var state: BookingState { self.lifecycle.state }
    public var payment: PaymentRecord { self.lifecycle.payment }
    public var price: Money { self.lifecycle.payment.expected }

    /// Whether the booking keeps its time from others at `now`: for good once settled, until `holdUntil` before.
    public func occupiesSlot(at now: Date) -> Bool {
        if self.state.occupiesSlot { return true }
        if self.state.holdsSlotUntilDeadline, let holdUntil = self.holdUntil { return holdUntil > now }
        return false
    }

    /// The longest a booking can last: five services of at most twelve hours each. Interval queries bound a
    /// booking's start from below with it, so their cost does not grow with the years of history before them.
    public static let maximumLength: TimeInterval = 5 * 12 * 3600

    /// When a new hold ends: the payment window from `now`, but never after the session starts, so nothing can be
    /// paid after it took place and a slot is never held past its own start.
    public static func holdDeadline(now: Date, windowMinutes: Int, start: Date) -> Date {
        min(now.addingTimeInterval(TimeInterval(windowMinutes * 60)), start)
    }

    /// Whether the hold lapsed: still waiting for payment or confirmation after its deadline.
    public func holdLapsed(at now: Date) -> Bool {
        guard self.state.holdsSlotUntilDeadline, !self.payment.isSettled, let holdUntil = self.holdUntil else {
            return false
        }
        return holdUntil <= now
    }

    /// The time the booking keeps from other bookings, buffers included.
    public var blockedInterval: DateInterval {
        let buffer = TimeInterval(self.bufferMinutes * 60)
        return DateInterval(start: self.start.addingTimeInterval(-buffer), end: self.end.addingTimeInterval(buffer))
    }

    /// Takes its staff member's buffer of now from `schedules`, as a new booking does: for a booking placed again
    /// (moved, given to another staff member, or taking its slot back after a late payment). Kept as it is when
    /// the staff member has no schedule.
    public mutating func takeBuffer(from schedules: [StaffSchedule]) {
        guard let schedule = schedules.first(where: { $0.staffID == self.staffID }) else { return }
        self.bufferMinutes = schedule.bufferMinutes
    }

    /// Whether the session counts as a completed first session for eligibility at `now`.
    public func countsAsCompleted(at now: Date) -> Bool {
        switch self.state {
        case .completed: true
        case .approved: self.end <= now
        default: false
        }
    }
}
