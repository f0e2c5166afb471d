import Foundation

/// An ISO 4217 currency code, always three upper-case letters (`EUR`).
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The upper-case code.
    public let code: String

    /// Accepts a three-letter code in any case; returns nil for anything else.
    public init?(_ code: String) {
        let upper = code.uppercased()
        guard upper.utf8.count == 3, upper.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        else { return nil }
        self.code = upper
    }

    public var description: String { self.code }

    /// The euro, the demo catalog's currency.
    public static let eur = Currency("EUR")!

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let currency = Currency(raw) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an ISO 4217 code: \(raw)"))
        }
        self = currency
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.code)
    }
}

/// An amount of money in integer minor units (cents) of one currency. Never a floating-point number.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The amount in minor units (4500 for 45.00 EUR).
    public var minorUnits: Int64
    /// The currency of the amount.
    public var currency: Currency

    /// Creates an amount; callers validate non-negativity where it matters.
    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Zero in the given currency.
    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    /// `45.00 EUR`, assuming two decimals (the currencies we sell in).
    public var description: String {
        let sign = self.minorUnits < 0 ? "-" : ""
        let magnitude = self.minorUnits.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents) \(self.currency.code)"
    }
}
