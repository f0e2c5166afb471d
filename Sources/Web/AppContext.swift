import Booking
import Foundation
import Hummingbird

/// The request context of the service: Hummingbird's core storage plus the signed-in admin, if any.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AdminAuthenticator` on admin routes.
    public var adminID: AdminID?
    /// The hash of the admin session token this request came with (sign-out ends that session).
    public var adminTokenHash: String?
    /// The peer's IP address (the proxy's, behind a reverse proxy; see `WebConfiguration.trustForwardedFor`).
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// JSON with ISO 8601 instants.
    public var requestDecoder: JSONDecoder { JSONCoding.decoder }

    /// JSON with ISO 8601 instants and sorted keys.
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }
}

/// The service's JSON settings.
enum JSONCoding {
    /// NB: one shared coder each: they are immutable once configured, and making one per request shows in profiles.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 instant: \(text)"))
            }
            return date
        }
        return decoder
    }()
}

/// ISO 8601 instants, with or without fractional seconds, with a zone designator.
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? fractional.parse(text) { return date }
        return RFC3339.parse(text)
    }

    static func format(_ date: Date) -> String { date.formatted(.iso8601) }
}

/// RFC 3339 `date-time` in full, as the OpenAPI document's `format: date-time` promises: any year 0000–9999, `T`
/// or `t` (or a space), fractional seconds of any length, `Z`/`z` or any offset from -23:59 to +23:59, and a leap
/// second (`:60`, read as the next second's start). Foundation's ISO 8601 style refuses some of these.
enum RFC3339 {
    static func parse(_ text: String) -> Date? {
        let scalars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= scalars.count else { return nil }
            var value = 0
            for byte in scalars[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard scalars.count >= 20, let year = number(0..<4), scalars[4] == 45, let month = number(5..<7),
            scalars[7] == 45, let day = number(8..<10), [84, 116, 32].contains(scalars[10]),
            let hour = number(11..<13), scalars[13] == 58, let minute = number(14..<16), scalars[16] == 58,
            let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < scalars.count, scalars[index] == 46 {
            var scale = 0.1
            index += 1
            let start = index
            while index < scalars.count, (48...57).contains(scalars[index]) {
                fraction += Double(scalars[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < scalars.count else { return nil }
        var offset = 0
        switch scalars[index] {
        case 90, 122:
            index += 1
        case 43, 45:
            guard let hours = number((index + 1)..<(index + 3)), scalars.count > index + 3, scalars[index + 3] == 58,
                let minutes = number((index + 4)..<(index + 6)), hours < 24, minutes < 60
            else { return nil }
            offset = (hours * 60 + minutes) * 60 * (scalars[index] == 45 ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == scalars.count else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        guard let midnight = Calendar.utc.date(from: components),
            Calendar.utc.component(.day, from: midnight) == day
        else { return nil }
        let seconds = Double(hour * 3600 + minute * 60 + second - offset) + fraction
        return midnight.addingTimeInterval(seconds)
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC.
    fileprivate static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
