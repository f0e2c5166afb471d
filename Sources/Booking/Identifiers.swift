import Foundation

/// A string identifier that is its own type, so a `BookingID` can never be passed where a `ClientID` is expected.
public protocol TypedIdentifier: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible
where RawValue == String {
    /// The prefix newly generated identifiers of this type carry (`bk`, `cl`, ...).
    static var prefix: String { get }
    /// Wraps a raw value without checking it.
    init(rawValue: String)
}

extension TypedIdentifier {
    /// The raw value, for logs and URLs.
    public var description: String { self.rawValue }

    /// Orders identifiers by their raw value.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Wraps a value received from outside, refusing empty or oversized strings and anything outside `[A-Za-z0-9_-]`.
    public init?(validating raw: String) {
        guard (1...128).contains(raw.utf8.count),
            raw.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            })
        else { return nil }
        self.init(rawValue: raw)
    }
}

/// Identifies a booking (`bk_…`).
public struct BookingID: TypedIdentifier {
    public static let prefix = "bk"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a client (`cl_…`).
public struct ClientID: TypedIdentifier {
    public static let prefix = "cl"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a bookable service of the catalog (`svc_…`).
public struct ServiceID: TypedIdentifier {
    public static let prefix = "svc"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a staff member who takes sessions (`stf_…`).
public struct StaffID: TypedIdentifier {
    public static let prefix = "stf"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Identifies an administrator (`adm_…`).
public struct AdminID: TypedIdentifier {
    public static let prefix = "adm"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// The secret a client holds to see and act on one booking; it appears in URLs, so it is random with 256 bits.
public struct AccessToken: TypedIdentifier {
    public static let prefix = "tok"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}
