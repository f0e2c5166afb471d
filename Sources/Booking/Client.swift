import Foundation

/// A validated email address, kept as typed (trimmed, NFC, domain in lower case) with a normalized form for matching.
/// This is the one normalization of emails: every comparison, lookup and count goes through it.
public struct EmailAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The address as the person typed it: trimmed of whitespace and controls, in Unicode NFC, the domain lower-cased.
    public let value: String

    /// What is trimmed from both ends: Unicode whitespace, line breaks (U+0085, U+2028 too) and control characters.
    private static let trimmed = CharacterSet.whitespacesAndNewlines.union(.controlCharacters)

    /// Validates an address: one `@`, a non-empty local part of at most 64 bytes, a dotted domain, no spaces and no
    /// control characters inside.
    public init(_ raw: String) throws(BookingError) {
        let trimmed = raw.trimmingCharacters(in: Self.trimmed).precomposedStringWithCanonicalMapping
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.utf8.count <= 254, parts.count == 2 else {
            throw .invalidField(field: "email", reason: "not an email address")
        }
        let local = parts[0]
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard !local.isEmpty, local.utf8.count <= 64, local.allSatisfy({ Self.localAllowed.contains($0) }),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains(".."),
            labels.count >= 2,
            labels.allSatisfy({ label in
                !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
            })
        else {
            throw .invalidField(field: "email", reason: "not an email address")
        }
        self.value = "\(local)@\(domain.lowercased())"
    }

    /// Characters allowed in the local part (RFC 5322 atoms and dots).
    private static let localAllowed = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")

    /// The form used to match one client (or admin) across requests: lower-cased whole. Practices' clients expect
    /// `Anna@Example.com` and `anna@example.com` to be one person, as every mainstream mail provider treats them.
    public var normalized: String { self.value.lowercased() }

    public var description: String { self.value }

    public static func == (lhs: EmailAddress, rhs: EmailAddress) -> Bool { lhs.normalized == rhs.normalized }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.normalized) }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        do { self = try EmailAddress(raw) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }
}

/// A person who books sessions.
public struct Client: Hashable, Sendable, Codable, Identifiable {
    public var id: ClientID
    public var name: String
    public var email: EmailAddress
    public var phone: String?
    /// The IANA time zone the client reads times in (emails use it); nil: the practice's.
    public var timeZone: String?
    /// A banned client cannot book.
    public var isBanned: Bool
    /// Notes only admins see.
    public var privateNotes: String
    /// The language the client chose (pages, and their emails); nil: the practice's.
    public var language: Language?
    public var createdAt: Date

    public init(
        id: ClientID, name: String, email: EmailAddress, phone: String? = nil, timeZone: String? = nil,
        isBanned: Bool = false, privateNotes: String = "", language: Language? = nil, createdAt: Date
    ) {
        self.language = language
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
        self.timeZone = timeZone
        self.isBanned = isBanned
        self.privateNotes = privateNotes
        self.createdAt = createdAt
    }

    /// Validates a name as typed: trimmed, 1 to 200 characters, one line, no controls or direction overrides.
    public static func validatedName(_ raw: String) throws(BookingError) -> String {
        let name = try TypedText.checked(raw.trimmingCharacters(in: .whitespacesAndNewlines), field: "name")
        guard !name.isEmpty else { throw .invalidField(field: "name", reason: "must not be empty") }
        guard name.count <= 200 else { throw .invalidField(field: "name", reason: "at most 200 characters") }
        return name
    }

    /// The zone this client reads times in: their own when they gave one, else the practice's.
    public func displayTimeZone(practice: String) -> String { self.timeZone ?? practice }

    /// Validates an optional IANA time zone name (`Europe/Paris`).
    public static func validatedTimeZone(_ raw: String?) throws(BookingError) -> String? {
        guard let raw, !raw.isEmpty else { return nil }
        guard raw.count <= 64, let zone = TimeZone(identifier: raw) else {
            throw .invalidField(field: "timeZone", reason: "not an IANA time zone such as Europe/Paris")
        }
        return zone.identifier
    }

    /// Validates an optional phone number: digits, spaces and `+-().`, 4 to 32 characters.
    public static func validatedPhone(_ raw: String?) throws(BookingError) -> String? {
        guard let raw else { return nil }
        let phone = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if phone.isEmpty { return nil }
        let allowed = Set("0123456789 +-().")
        guard (4...32).contains(phone.count), phone.allSatisfy({ allowed.contains($0) }) else {
            throw .invalidField(field: "phone", reason: "not a phone number")
        }
        return phone
    }
}

/// Rules for free text people type (names, notes): no control characters (line breaks only where a field allows
/// them) and no bidirectional overrides, embeddings or isolates, which can make text read differently than it is.
public enum TypedText {
    /// U+202A–U+202E (embeddings, overrides), U+2066–U+2069 (isolates), U+200E/U+200F and U+061C (marks).
    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// Whether `scalar` may appear in a field; `multiline` lets line feeds and tabs through.
    static func isAllowed(_ scalar: Unicode.Scalar, multiline: Bool) -> Bool {
        if multiline, scalar == "\n" || scalar == "\t" { return true }
        if scalar.properties.generalCategory == .control { return false }
        // Line and paragraph separators break lines as surely as a line feed.
        if scalar.value == 0x2028 || scalar.value == 0x2029 { return false }
        return !Self.isBidiControl(scalar)
    }

    /// `text` with its line ends made `\n` when multiline, or an `invalidField` error naming `field`.
    public static func checked(_ text: String, field: String, multiline: Bool = false) throws(BookingError) -> String {
        let text = multiline ? text.replacingOccurrences(of: "\r\n", with: "\n") : text
        guard text.unicodeScalars.allSatisfy({ Self.isAllowed($0, multiline: multiline) }) else {
            throw .invalidField(
                field: field,
                reason: multiline
                    ? "must not contain control characters other than line breaks"
                    : "must not contain line breaks, control characters or direction overrides")
        }
        return text
    }

    /// `text` without control characters and direction overrides, for one-line places such as email subjects.
    public static func singleLine(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if Self.isAllowed(scalar, multiline: false) {
                scalars.append(scalar)
            } else if scalar.properties.generalCategory == .control || scalar.value == 0x2028 || scalar.value == 0x2029
            {
                scalars.append(" ")
            }
        }
        return String(scalars)
    }
}
