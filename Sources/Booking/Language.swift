import Foundation

/// A language the service speaks to people in: its pages and its emails.
public enum Language: String, CaseIterable, Sendable, Hashable, Codable {
    case en
    case fr

    /// The locale dates, times and prices are formatted in (24-hour clocks in both).
    public var locale: Locale { Locale(identifier: self == .fr ? "fr_FR" : "en_GB") }
}

extension Money {
    /// The amount as people read it in `language`: `€45.00`, `45,00 €` (two decimals, the currencies we sell in).
    public func formatted(in language: Language) -> String {
        (Decimal(self.minorUnits) / 100).formatted(.currency(code: self.currency.code).locale(language.locale))
    }
}
