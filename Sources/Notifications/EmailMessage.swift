import Foundation

/// A name and an address, as in `"Ada Lovelace" <ada@example.com>`.
public struct Mailbox: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String?
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    /// Parses `Name <address>` or a bare address (as `MAIL_FROM` is written).
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let address = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = String(name.dropFirst().dropLast())
            }
            self.init(name: name.isEmpty ? nil : name, address: String(address))
        } else {
            self.init(address: trimmed)
        }
        guard Self.isPlausibleAddress(self.address) else { return nil }
    }

    /// One `@`, something on each side, no spaces, angle brackets or line breaks (which could inject SMTP commands).
    /// The address as it goes on the wire (headers, SMTP): an international domain in its ASCII (`xn--`) form.
    public var wireAddress: String { IDNA.asciiAddress(self.address) }

    static func isPlausibleAddress(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !address.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0.isNewline })
    }

    /// The header form: an encoded word for a non-ASCII name, a quoted string otherwise.
    public var headerValue: String {
        guard let name, !name.isEmpty else { return "<\(self.wireAddress)>" }
        return "\(MIME.phrase(name)) <\(self.wireAddress)>"
    }

    public var description: String { self.headerValue }

    /// For people to read: `Name <address>`, the name as written (not encoded for a header).
    public var displayText: String {
        guard let name, !name.isEmpty else { return self.address }
        return "\(name) <\(self.address)>"
    }
}

/// A file attached to an email.
public struct EmailAttachment: Hashable, Sendable, Codable {
    public var filename: String
    /// The full media type, parameters included (`text/calendar; charset=UTF-8; method=PUBLISH`).
    public var contentType: String
    public var content: Data

    public init(filename: String, contentType: String, content: Data) {
        self.filename = filename
        self.contentType = contentType
        self.content = content
    }
}

/// An email ready to send: a plain-text and an HTML part, and attachments.
public struct EmailMessage: Hashable, Sendable, Codable, Identifiable {
    /// The outbox row it delivers (also the stem of its Message-ID, so a resend is recognisable).
    public var id: String
    /// `<id@domain>`.
    public var messageID: String
    public var from: Mailbox
    public var to: [Mailbox]
    public var subject: String
    public var date: Date
    public var text: String
    public var html: String
    public var attachments: [EmailAttachment]

    public init(
        id: String, messageID: String, from: Mailbox, to: [Mailbox], subject: String, date: Date, text: String,
        html: String, attachments: [EmailAttachment] = []
    ) {
        self.id = id
        self.messageID = messageID
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.text = text
        self.html = html
        self.attachments = attachments
    }

    /// The RFC 5322 message with MIME parts (CRLF line ends, every body line under 78 characters):
    /// multipart/mixed of multipart/alternative (text/plain, text/html) and the attachments, or just the
    /// multipart/alternative when there are none.
    public func rendered() -> String {
        let stem = self.messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<>")).replacingOccurrences(
            of: "@", with: "."
        )
        let alternative = "alt-\(stem)"
        let mixed = "mix-\(stem)"
        var headers = [
            "From: \(self.from.headerValue)",
            "To: \(self.to.map(\.headerValue).joined(separator: ",\r\n "))",
            "Subject: \(MIME.unstructured(self.subject))",
            "Date: \(MIME.date(self.date))",
            "Message-ID: \(self.messageID)",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
        ]
        var body: [String] = []
        let alternativeParts = [
            "--\(alternative)",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "",
            MIME.base64Lines(Data(self.text.utf8)),
            "--\(alternative)",
            "Content-Type: text/html; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "",
            MIME.base64Lines(Data(self.html.utf8)),
            "--\(alternative)--",
        ]
        if self.attachments.isEmpty {
            headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(alternative)\"")
            body = alternativeParts
        } else {
            headers.append("Content-Type: multipart/mixed;\r\n boundary=\"\(mixed)\"")
            body = ["--\(mixed)", "Content-Type: multipart/alternative;\r\n boundary=\"\(alternative)\"", ""]
            body += alternativeParts
            for attachment in self.attachments {
                body += [
                    "--\(mixed)",
                    "Content-Type: \(attachment.contentType);\r\n name=\"\(attachment.filename)\"",
                    "Content-Disposition: attachment;\r\n filename=\"\(attachment.filename)\"",
                    "Content-Transfer-Encoding: base64",
                    "",
                    MIME.base64Lines(attachment.content),
                ]
            }
            body.append("--\(mixed)--")
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body.joined(separator: "\r\n") + "\r\n"
    }
}

/// Header and body encodings of RFC 2045–2047 and RFC 5322.
enum MIME {
    /// Base64 in lines of 76 characters.
    static func base64Lines(_ data: Data) -> String {
        data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    /// An unstructured header value (Subject): as is when printable ASCII, else RFC 2047 encoded words of at
    /// most 75 characters each, split between characters, folded onto continuation lines.
    static func unstructured(_ text: String) -> String {
        let singleLine = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if singleLine.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) && singleLine.utf8.count < 900
        {
            return singleLine
        }
        return encodedWords(singleLine)
    }

    /// A display name: an atom run when safe, a quoted string when it has specials, encoded words when not ASCII.
    static func phrase(_ text: String) -> String {
        let singleLine = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard singleLine.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) else {
            return encodedWords(singleLine)
        }
        let escaped = singleLine.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
            of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// `=?UTF-8?B?...?=` words, each of at most 60 characters (36 bytes of text, so a header line stays under 78), joined by folding whitespace.
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk = Data()
        for character in text {
            let bytes = Data(String(character).utf8)
            if chunk.count + bytes.count > 36 {
                words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=")
                chunk = Data()
            }
            chunk.append(bytes)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// RFC 5322 date: `Tue, 01 Dec 2026 13:00:00 +0000`.
    static func date(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.weekday, .year, .month, .day, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}
