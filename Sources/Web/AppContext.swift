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
        return try? fractional.parse(text)
    }

    static func format(_ date: Date) -> String { date.formatted(.iso8601) }
}
