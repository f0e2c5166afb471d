import Foundation

/// Stripe's `application/x-www-form-urlencoded` bodies: ordered pairs, nested keys with brackets
/// (`line_items[0][price_data][unit_amount]=4500`).
///
/// Encoding follows the official clients: keys keep their brackets unencoded, everything else outside
/// `[A-Za-z0-9-._~]` is percent-encoded and a space becomes `+`.
public struct StripeForm: Hashable, Sendable {
    /// The pairs in the order they were added.
    public private(set) var pairs: [(key: String, value: String)]

    public init(_ pairs: [(key: String, value: String)] = []) { self.pairs = pairs }

    /// Adds a pair; a nil value adds nothing.
    public mutating func append(_ key: String, _ value: String?) {
        guard let value else { return }
        self.pairs.append((key, value))
    }

    /// Adds an integer.
    public mutating func append(_ key: String, _ value: Int64?) { self.append(key, value.map { String($0) }) }

    /// The body bytes.
    public var encoded: String {
        self.pairs.map { "\(Self.escape($0.key, keepBrackets: true))=\(Self.escape($0.value, keepBrackets: false))" }
            .joined(separator: "&")
    }

    /// Parses a body as the official clients send it (brackets encoded or not, `+` for space).
    public init(parsing body: String) {
        self.pairs = body.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.unescape(String(pieces[0]))
            let value = pieces.count > 1 ? Self.unescape(String(pieces[1])) : ""
            return (key, value)
        }
    }

    /// The last value given for `key`.
    public subscript(key: String) -> String? { self.pairs.last { $0.key == key }?.value }

    /// The keys that start with `prefix[` followed by an index, in index order (`line_items[0]`, `line_items[1]`).
    public func indices(of prefix: String) -> [Int] {
        let start = prefix + "["
        let indices = self.pairs.compactMap { pair -> Int? in
            guard pair.key.hasPrefix(start) else { return nil }
            let rest = pair.key.dropFirst(start.count)
            guard let close = rest.firstIndex(of: "]") else { return nil }
            return Int(rest[..<close])
        }
        return Array(Set(indices)).sorted()
    }

    /// The entries of a hash parameter (`metadata[booking_id]=bk_1` gives `booking_id: bk_1`).
    public func dictionary(_ prefix: String) -> [String: String] {
        let start = prefix + "["
        var result: [String: String] = [:]
        for pair in self.pairs where pair.key.hasPrefix(start) && pair.key.hasSuffix("]") {
            let inner = pair.key.dropFirst(start.count).dropLast()
            guard !inner.contains("[") && !inner.contains("]") else { continue }
            result[String(inner)] = pair.value
        }
        return result
    }

    /// A canonical text of the pairs, order-independent, to compare two requests' parameters.
    public var fingerprint: String {
        self.pairs.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
    }

    public static func == (lhs: StripeForm, rhs: StripeForm) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in self.pairs {
            hasher.combine(pair.key)
            hasher.combine(pair.value)
        }
    }

    static func escape(_ text: String, keepBrackets: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "[") where keepBrackets, UInt8(ascii: "]") where keepBrackets:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                let hex = Array("0123456789ABCDEF")
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
