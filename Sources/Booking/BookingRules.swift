import Foundation

/// Whether a paid booking waits for an admin or is approved at once.
public enum ApprovalMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// An admin approves each paid booking.
    case manual
    /// A booking is approved as soon as it is paid.
    case automatic
}

/// The practice's booking rules. A copy is stored with every booking when it is made, so a later change of the
/// rules affects only new bookings.
public struct BookingRules: Hashable, Sendable, Codable {
    public var approvalMode: ApprovalMode
    /// How long a client booking holds its slot waiting for payment.
    public var clientPaymentWindowMinutes: Int
    /// How long a booking made by an admin holds its slot waiting for payment (or confirmation).
    public var adminPaymentWindowMinutes: Int
    /// The earliest a session may start after the moment of booking.
    public var minimumLeadTimeMinutes: Int
    /// The furthest ahead a session may be booked.
    public var maximumAdvanceDays: Int
    /// Most bookings one client may hold on one local day (nil: no limit).
    public var maxBookingsPerClientPerDay: Int?
    /// Most bookings one client may hold in one ISO week (nil: no limit).
    public var maxBookingsPerClientPerWeek: Int?
    /// Only clients already known to the practice may book on the public side.
    public var onlyExistingClients: Bool
    /// When set, only emails matching this pattern may book (`*@example.com`; `*` matches any run of characters).
    public var allowedEmailPattern: String?
    /// A client may cancel up to this many hours before the start (admins may always cancel).
    public var clientCancellationNoticeHours: Int
    /// Minutes between two offered start times.
    public var slotStepMinutes: Int

    public init(
        approvalMode: ApprovalMode = .manual,
        clientPaymentWindowMinutes: Int = 30,
        adminPaymentWindowMinutes: Int = 48 * 60,
        minimumLeadTimeMinutes: Int = 60,
        maximumAdvanceDays: Int = 90,
        maxBookingsPerClientPerDay: Int? = 2,
        maxBookingsPerClientPerWeek: Int? = 5,
        onlyExistingClients: Bool = false,
        allowedEmailPattern: String? = nil,
        clientCancellationNoticeHours: Int = 24,
        slotStepMinutes: Int = 15
    ) {
        self.approvalMode = approvalMode
        self.clientPaymentWindowMinutes = clientPaymentWindowMinutes
        self.adminPaymentWindowMinutes = adminPaymentWindowMinutes
        self.minimumLeadTimeMinutes = minimumLeadTimeMinutes
        self.maximumAdvanceDays = maximumAdvanceDays
        self.maxBookingsPerClientPerDay = maxBookingsPerClientPerDay
        self.maxBookingsPerClientPerWeek = maxBookingsPerClientPerWeek
        self.onlyExistingClients = onlyExistingClients
        self.allowedEmailPattern = allowedEmailPattern
        self.clientCancellationNoticeHours = clientCancellationNoticeHours
        self.slotStepMinutes = slotStepMinutes
    }

    /// Decodes rules; a missing key takes its default, so a document may give only what it changes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BookingRules()
        self.approvalMode = try c.decodeIfPresent(ApprovalMode.self, forKey: .approvalMode) ?? d.approvalMode
        self.clientPaymentWindowMinutes =
            try c.decodeIfPresent(Int.self, forKey: .clientPaymentWindowMinutes) ?? d.clientPaymentWindowMinutes
        self.adminPaymentWindowMinutes =
            try c.decodeIfPresent(Int.self, forKey: .adminPaymentWindowMinutes) ?? d.adminPaymentWindowMinutes
        self.minimumLeadTimeMinutes =
            try c.decodeIfPresent(Int.self, forKey: .minimumLeadTimeMinutes) ?? d.minimumLeadTimeMinutes
        self.maximumAdvanceDays = try c.decodeIfPresent(Int.self, forKey: .maximumAdvanceDays) ?? d.maximumAdvanceDays
        self.maxBookingsPerClientPerDay =
            c.contains(.maxBookingsPerClientPerDay)
            ? try c.decodeIfPresent(Int.self, forKey: .maxBookingsPerClientPerDay) : d.maxBookingsPerClientPerDay
        self.maxBookingsPerClientPerWeek =
            c.contains(.maxBookingsPerClientPerWeek)
            ? try c.decodeIfPresent(Int.self, forKey: .maxBookingsPerClientPerWeek) : d.maxBookingsPerClientPerWeek
        self.onlyExistingClients =
            try c.decodeIfPresent(Bool.self, forKey: .onlyExistingClients) ?? d.onlyExistingClients
        self.allowedEmailPattern = try c.decodeIfPresent(String.self, forKey: .allowedEmailPattern)
        self.clientCancellationNoticeHours =
            try c.decodeIfPresent(Int.self, forKey: .clientCancellationNoticeHours) ?? d.clientCancellationNoticeHours
        self.slotStepMinutes = try c.decodeIfPresent(Int.self, forKey: .slotStepMinutes) ?? d.slotStepMinutes
    }

    /// Encodes every rule, `null` for an absent limit or pattern, so a stored snapshot is complete.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.approvalMode, forKey: .approvalMode)
        try c.encode(self.clientPaymentWindowMinutes, forKey: .clientPaymentWindowMinutes)
        try c.encode(self.adminPaymentWindowMinutes, forKey: .adminPaymentWindowMinutes)
        try c.encode(self.minimumLeadTimeMinutes, forKey: .minimumLeadTimeMinutes)
        try c.encode(self.maximumAdvanceDays, forKey: .maximumAdvanceDays)
        try c.encode(self.maxBookingsPerClientPerDay, forKey: .maxBookingsPerClientPerDay)
        try c.encode(self.maxBookingsPerClientPerWeek, forKey: .maxBookingsPerClientPerWeek)
        try c.encode(self.onlyExistingClients, forKey: .onlyExistingClients)
        try c.encode(self.allowedEmailPattern, forKey: .allowedEmailPattern)
        try c.encode(self.clientCancellationNoticeHours, forKey: .clientCancellationNoticeHours)
        try c.encode(self.slotStepMinutes, forKey: .slotStepMinutes)
    }

    private enum CodingKeys: String, CodingKey {
        case approvalMode, clientPaymentWindowMinutes, adminPaymentWindowMinutes, minimumLeadTimeMinutes
        case maximumAdvanceDays, maxBookingsPerClientPerDay, maxBookingsPerClientPerWeek, onlyExistingClients
        case allowedEmailPattern, clientCancellationNoticeHours, slotStepMinutes
    }

    /// The rules a new practice starts with.
    public static let standard = BookingRules()

    /// The range of each number an admin types in, by field (the API's and the page's names).
    /// NB: the provider's checkout sessions live 30 minutes to 24 hours; a payment window shorter than 30 minutes
    /// could never be honoured by it, and one longer than 24 hours gets a fresh checkout when the link is followed.
    public static let ranges: [String: ClosedRange<Int>] = [
        "clientPaymentWindowMinutes": 30...(7 * 24 * 60), "adminPaymentWindowMinutes": 30...(30 * 24 * 60),
        "minimumLeadTimeMinutes": 0...(30 * 24 * 60), "maximumAdvanceDays": 1...730,
        "clientCancellationNoticeHours": 0...(30 * 24), "slotStepMinutes": 5...240,
        "maxBookingsPerClientPerDay": 1...100, "maxBookingsPerClientPerWeek": 1...500,
    ]

    /// Checks values an admin may type in.
    public func validated() throws(BookingError) -> BookingRules {
        func check(_ value: Int, _ field: String) throws(BookingError) {
            guard let range = Self.ranges[field] else {
                preconditionFailure("\(field) has no range in BookingRules.ranges")
            }
            guard range.contains(value) else {
                throw .invalidField(field: field, reason: "must be between \(range.lowerBound) and \(range.upperBound)")
            }
        }
        try check(self.clientPaymentWindowMinutes, "clientPaymentWindowMinutes")
        try check(self.adminPaymentWindowMinutes, "adminPaymentWindowMinutes")
        try check(self.minimumLeadTimeMinutes, "minimumLeadTimeMinutes")
        try check(self.maximumAdvanceDays, "maximumAdvanceDays")
        try check(self.clientCancellationNoticeHours, "clientCancellationNoticeHours")
        try check(self.slotStepMinutes, "slotStepMinutes")
        if let perDay = self.maxBookingsPerClientPerDay { try check(perDay, "maxBookingsPerClientPerDay") }
        if let perWeek = self.maxBookingsPerClientPerWeek { try check(perWeek, "maxBookingsPerClientPerWeek") }
        if let pattern = self.allowedEmailPattern, pattern.isEmpty || pattern.count > 254 {
            throw .invalidField(field: "allowedEmailPattern", reason: "must be 1 to 254 characters")
        }
        return self
    }

    /// Whether the rules let this email book (always true without a pattern). Matching ignores case.
    public func allows(email: EmailAddress) -> Bool {
        guard let pattern = self.allowedEmailPattern else { return true }
        return Self.glob(Array(pattern.lowercased()), matches: Array(email.normalized))
    }

    /// `*` matches any run of characters; everything else matches itself.
    static func glob(_ pattern: [Character], matches text: [Character]) -> Bool {
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] != "*", pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let starAt = star {
                p = starAt + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
