/// Where a JSON document breaks JSON's grammar (RFC 8259).
struct JSONReadError: Error, CustomStringConvertible {
    /// The byte where reading stopped.
    var offset: Int
    var reason: String

    var description: String { "\(self.reason) at byte \(self.offset)" }
}

/// A one-pass reader of JSON bytes. Every byte is checked against JSON's grammar (RFC 8259: strings with their escapes
/// and valid UTF-8, numbers, literals, nesting up to `maximumDepth`), and a caller builds only the values it asks for;
/// the rest is checked and skipped without being built.
/// NB: written for Stripe's events. `JSONDecoder` builds a dictionary of every member of every object it opens (a
/// checkout session has some 70), and on a webhook that was the largest cost of the service's own code after HTTP.
struct JSONReader {
    /// As deep as `JSONDecoder` goes.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Reads the one value of `document` with `body`; only blanks may follow it.
    static func read<T>(_ document: some Collection<UInt8>, _ body: (inout JSONReader) throws -> T) throws -> T {
        func read(_ buffer: UnsafeBufferPointer<UInt8>) throws -> T {
            var reader = JSONReader(buffer)
            let value = try body(&reader)
            reader.skipBlanks()
            guard reader.offset == buffer.count else { throw reader.failure("more after the document's value") }
            return value
        }
        if let value = try document.withContiguousStorageIfAvailable(read) { return value }
        return try Array(document).withUnsafeBufferPointer(read)
    }

    // MARK: Containers

    /// Reads an object, handing each member's name to `member`, which must read or skip its value.
    mutating func readObject(_ member: (inout JSONReader, String) throws -> Void) throws {
        try self.readMembers(naming: true) { reader, name in try member(&reader, name ?? "") }
    }

    /// An object's members, named when `naming` (a skipped object's names are checked, not built).
    private mutating func readMembers(naming: Bool, _ member: (inout JSONReader, String?) throws -> Void) throws {
        try self.enter(UInt8(ascii: "{"), "an object")
        if try self.nextByte() == UInt8(ascii: "}") { return self.leave() }
        while true {
            guard try self.nextByte() == UInt8(ascii: "\"") else { throw self.failure("expected a member name") }
            let name: String?
            if naming {
                name = try self.readString()
            } else {
                name = nil
                _ = try self.scanString()
            }
            guard try self.nextByte() == UInt8(ascii: ":") else { throw self.failure("expected ':' after a name") }
            self.offset += 1
            try member(&self, name)
            switch try self.nextByte() {
            case UInt8(ascii: ","): self.offset += 1
            case UInt8(ascii: "}"): return self.leave()
            default: throw self.failure("expected ',' or '}' in an object")
            }
        }
    }

    /// Reads an array, calling `element` for each element, which must read or skip it.
    mutating func readArray(_ element: (inout JSONReader) throws -> Void) throws {
        try self.enter(UInt8(ascii: "["), "an array")
        if try self.nextByte() == UInt8(ascii: "]") { return self.leave() }
        while true {
            try element(&self)
            switch try self.nextByte() {
            case UInt8(ascii: ","): self.offset += 1
            case UInt8(ascii: "]"): return self.leave()
            default: throw self.failure("expected ',' or ']' in an array")
            }
        }
    }

    // MARK: Values

    /// The next value's first byte tells its kind.
    enum Kind { case object, array, string, number, literal }

    /// The kind of the next value, which is not consumed.
    mutating func nextKind() throws -> Kind {
        switch try self.nextByte() {
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): .literal
        default: throw self.failure("expected a value")
        }
    }

    /// Reads a string.
    mutating func readString() throws -> String {
        guard try self.nextByte() == UInt8(ascii: "\"") else { throw self.failure("expected a string") }
        let (raw, start, escaped) = try self.scanString()
        return escaped ? try Self.unescape(raw, at: start) : String(decoding: raw, as: UTF8.self)
    }

    /// Reads an integer that fits 64 bits, or gives `nil` for another number (a fraction, an exponent, too large).
    mutating func readInteger() throws -> Int64? {
        let (start, end, isInteger) = try self.scanNumber()
        guard isInteger else { return nil }
        var index = start
        let negative = self.bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var value: Int64 = 0
        while index < end {
            let digit = Int64(self.bytes[index] - UInt8(ascii: "0"))
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflowShift, !overflowAdd else { return nil }
            value = next
            index += 1
        }
        return value
    }

    /// Reads `true`, `false` or `null`: the Boolean, or `nil` for `null`.
    mutating func readLiteral() throws -> Bool? {
        let (word, value): (String, Bool?) =
            switch try self.nextByte() {
            case UInt8(ascii: "t"): ("true", true)
            case UInt8(ascii: "f"): ("false", false)
            default: ("null", nil)
            }
        guard self.bytes[self.offset...].starts(with: word.utf8) else {
            throw self.failure("expected true, false or null")
        }
        self.offset += word.utf8.count
        return value
    }

    /// Checks the next value, whatever it is, and steps over it.
    mutating func skipValue() throws {
        switch try self.nextKind() {
        case .object: try self.readMembers(naming: false) { reader, _ in try reader.skipValue() }
        case .array: try self.readArray { reader in try reader.skipValue() }
        case .string: _ = try self.scanString()
        case .number: _ = try self.scanNumber()
        case .literal: _ = try self.readLiteral()
        }
    }

    // MARK: Shape-tolerant reads

    /// The next value if it is a string; any other value is checked, skipped, and gives `nil`.
    mutating func stringIfString() throws -> String? {
        guard try self.nextKind() == .string else {
            try self.skipValue()
            return nil
        }
        return try self.readString()
    }

    /// The next value if it is an integer that fits 64 bits; any other value is checked, skipped, and gives `nil`.
    mutating func integerIfInteger() throws -> Int64? {
        guard try self.nextKind() == .number else {
            try self.skipValue()
            return nil
        }
        return try self.readInteger()
    }

    // MARK: Scanning

    private mutating func skipBlanks() {
        while self.offset < self.bytes.count {
            switch self.bytes[self.offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): self.offset += 1
            default: return
            }
        }
    }

    /// The next byte that is not a blank, not consumed.
    private mutating func nextByte() throws -> UInt8 {
        self.skipBlanks()
        guard self.offset < self.bytes.count else { throw self.failure("unexpected end of the document") }
        return self.bytes[self.offset]
    }

    private mutating func enter(_ opening: UInt8, _ what: String) throws {
        guard try self.nextByte() == opening else { throw self.failure("expected \(what)") }
        guard self.depth < Self.maximumDepth else { throw self.failure("nested deeper than \(Self.maximumDepth)") }
        self.depth += 1
        self.offset += 1
    }

    private mutating func leave() {
        self.depth -= 1
        self.offset += 1
    }

    /// Steps over a string (the offset on its opening quote), checking its escapes and its UTF-8: its bytes between
    /// the quotes, where they start, and whether they hold escapes.
    private mutating func scanString() throws -> (raw: UnsafeBufferPointer<UInt8>, start: Int, escaped: Bool) {
        self.offset += 1
        let start = self.offset
        var escaped = false
        var ascii = true
        while true {
            guard self.offset < self.bytes.count else { throw self.failure("a string without its closing quote") }
            let byte = self.bytes[self.offset]
            switch byte {
            case UInt8(ascii: "\""):
                let raw = UnsafeBufferPointer(rebasing: self.bytes[start..<self.offset])
                self.offset += 1
                if !ascii, !Self.isValidUTF8(raw) { throw JSONReadError(offset: start, reason: "invalid UTF-8") }
                return (raw, start, escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                self.offset += 1
                guard self.offset < self.bytes.count else { throw self.failure("a string without its closing quote") }
                switch self.bytes[self.offset] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    self.offset += 1
                case UInt8(ascii: "u"):
                    guard let unit = self.codeUnit(at: self.offset + 1) else {
                        throw self.failure("a \\u escape without four hex digits")
                    }
                    self.offset += 5
                    // NB: a character beyond the BMP comes as a surrogate pair, both halves escaped; half of one is
                    // not a character.
                    if (0xDC00...0xDFFF).contains(unit) { throw self.failure("a lone surrogate in a \\u escape") }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard self.offset + 1 < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "\\"),
                            self.bytes[self.offset + 1] == UInt8(ascii: "u"),
                            let low = self.codeUnit(at: self.offset + 2), (0xDC00...0xDFFF).contains(low)
                        else { throw self.failure("a lone surrogate in a \\u escape") }
                        self.offset += 6
                    }
                default:
                    throw self.failure("an unknown escape")
                }
            case 0..<0x20:
                throw self.failure("a control character inside a string")
            default:
                if byte >= 0x80 { ascii = false }
                self.offset += 1
            }
        }
    }

    /// The UTF-16 code unit of the four hex digits at `index`, if there are four.
    private func codeUnit(at index: Int) -> UInt32? {
        guard index + 3 < self.bytes.count else { return nil }
        var unit: UInt32 = 0
        for digit in self.bytes[index...(index + 3)] {
            guard let value = Self.hexValue(digit) else { return nil }
            unit = unit << 4 | UInt32(value)
        }
        return unit
    }

    /// Steps over a number: where it starts and ends, and whether it is an integer (no fraction, no exponent).
    private mutating func scanNumber() throws -> (start: Int, end: Int, isInteger: Bool) {
        _ = try self.nextByte()
        let start = self.offset
        func digits(_ reader: inout JSONReader) -> Int {
            let first = reader.offset
            while reader.offset < reader.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.bytes[reader.offset])
            {
                reader.offset += 1
            }
            return reader.offset - first
        }
        func take(_ reader: inout JSONReader, _ byte: UInt8) -> Bool {
            guard reader.offset < reader.bytes.count, reader.bytes[reader.offset] == byte else { return false }
            reader.offset += 1
            return true
        }
        _ = take(&self, UInt8(ascii: "-"))
        if take(&self, UInt8(ascii: "0")) {
            // NB: JSON allows no leading zero: "01" is a 0 followed by a stray 1, refused by the caller's grammar.
        } else if digits(&self) == 0 {
            throw self.failure("expected a digit")
        }
        var isInteger = true
        if take(&self, UInt8(ascii: ".")) {
            isInteger = false
            guard digits(&self) > 0 else { throw self.failure("expected a digit after the decimal point") }
        }
        if take(&self, UInt8(ascii: "e")) || take(&self, UInt8(ascii: "E")) {
            isInteger = false
            if !take(&self, UInt8(ascii: "+")) { _ = take(&self, UInt8(ascii: "-")) }
            guard digits(&self) > 0 else { throw self.failure("expected a digit in the exponent") }
        }
        return (start, self.offset, isInteger)
    }

    /// A string's content with its escapes resolved (their syntax already checked).
    private static func unescape(
        _ raw: UnsafeBufferPointer<UInt8>, at start: Int
    ) throws -> String {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = 0
        func escapedUnit(at index: Int) -> UInt32 {
            raw[(index + 1)...(index + 4)].reduce(0) { $0 << 4 | UInt32(Self.hexValue($1)!) }
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            index += 1
            let escape = raw[index]
            index += 1
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                // NB: the scan checked the digits and that surrogates come in pairs.
                var scalar = escapedUnit(at: index - 1)
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (escapedUnit(at: index + 1) - 0xDC00)
                    index += 6
                }
                guard let character = Unicode.Scalar(scalar) else {
                    throw JSONReadError(offset: start + index, reason: "a lone surrogate in a \\u escape")
                }
                Unicode.UTF8.encode(character) { output.append($0) }
            default: output.append(escape)  // ", \ and /
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private func failure(_ reason: String) -> JSONReadError { JSONReadError(offset: self.offset, reason: reason) }
}
