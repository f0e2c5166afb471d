import Foundation
import Notifications
import Testing

/// A minimal MIME reader for the tests: headers (unfolded) and the base64 parts of a multipart message.
struct ParsedMessage {
    var headers: [(String, String)]
    var parts: [(contentType: String, disposition: String?, body: Data)]

    func header(_ name: String) -> String? { self.headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    init(_ raw: String) throws {
        let split = try #require(raw.range(of: "\r\n\r\n"))
        self.headers = Self.headers(String(raw[..<split.lowerBound]))
        self.parts = []
        let body = String(raw[split.upperBound...])
        // Every leaf part: headers, blank line, base64 until the next boundary line.
        for chunk in body.components(separatedBy: "\r\n--") {
            guard let end = chunk.range(of: "\r\n\r\n") else { continue }
            let partHeaders = Self.headers(String(chunk[..<end.lowerBound]))
            guard let type = partHeaders.first(where: { $0.0.lowercased() == "content-type" })?.1,
                !type.hasPrefix("multipart/"),
                partHeaders.contains(where: { $0.0.lowercased() == "content-transfer-encoding" && $0.1 == "base64" })
            else { continue }
            let encoded = chunk[end.upperBound...].components(separatedBy: "\r\n").prefix { !$0.hasPrefix("--") }
                .joined()
            let data = try #require(Data(base64Encoded: encoded))
            let disposition = partHeaders.first { $0.0.lowercased() == "content-disposition" }?.1
            self.parts.append((type, disposition, data))
        }
    }

    static func headers(_ text: String) -> [(String, String)] {
        text.replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            // Lines of the boundary itself carry no colon before their headers; skip the first boundary token.
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard !name.contains(" ") else { return nil }
            return (name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    func text(_ type: String) -> String? {
        self.parts.first { $0.contentType.hasPrefix(type) }.map { String(decoding: $0.body, as: UTF8.self) }
    }
}

/// Decodes RFC 2047 `=?UTF-8?B?...?=` words (as a mail client does).
func decodeEncodedWords(_ value: String) -> String {
    let words = value.components(separatedBy: " ").filter { !$0.isEmpty }
    guard words.allSatisfy({ $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") }) else { return value }
    let bytes = words.flatMap { Data(base64Encoded: String($0.dropFirst(10).dropLast(2))) ?? Data() }
    return String(decoding: bytes, as: UTF8.self)
}

@Suite("MIME messages")
struct MessageTests {
    let message = EmailMessage(
        id: "msg_abc", messageID: "<msg_abc@example.com>",
        from: Mailbox(name: "Cabinet Ré", address: "hello@example.com"),
        to: [Mailbox(name: "Zoë \"Z\" Dupré", address: "zoe@example.com")],
        subject: "Réservation confirmée\u{00A0}: votre séance de discussion du mardi 1 décembre avec le cabinet",
        date: Date(timeIntervalSince1970: 1_795_000_000), text: "Hello Zoë,\n.leading dot\nPay: https://x/pay/tok\n",
        html: "<p>Hello Zoë</p>",
        attachments: [
            EmailAttachment(
                filename: "booking.ics", contentType: "text/calendar; charset=UTF-8; method=PUBLISH",
                content: Data("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".utf8))
        ])

    @Test func headersAreEncodedAndPartsDecodeBack() throws {
        let raw = self.message.rendered()
        #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        for line in raw.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
        #expect(raw.unicodeScalars.allSatisfy { $0.isASCII })
        let parsed = try ParsedMessage(raw)
        #expect(parsed.header("Message-ID") == "<msg_abc@example.com>")
        #expect(parsed.header("MIME-Version") == "1.0")
        #expect(parsed.header("Date") == "Wed, 18 Nov 2026 11:06:40 +0000")
        #expect(decodeEncodedWords(try #require(parsed.header("Subject"))) == self.message.subject)
        #expect(parsed.header("From")?.hasSuffix("<hello@example.com>") == true)
        #expect(parsed.header("Content-Type")?.hasPrefix("multipart/mixed") == true)
        #expect(parsed.text("text/plain") == self.message.text)
        #expect(parsed.text("text/html") == self.message.html)
        let calendar = try #require(parsed.parts.first { $0.contentType.hasPrefix("text/calendar") })
        #expect(calendar.disposition?.contains("filename=\"booking.ics\"") == true)
        #expect(String(decoding: calendar.body, as: UTF8.self).hasPrefix("BEGIN:VCALENDAR"))
    }

    @Test func asciiNamesAreQuotedAndAddressesParsed() throws {
        let mailbox = try #require(Mailbox(parsing: "Rendezvous Team <team@example.com>"))
        #expect(mailbox.name == "Rendezvous Team")
        #expect(mailbox.headerValue == "\"Rendezvous Team\" <team@example.com>")
        #expect(Mailbox(parsing: "bare@example.com")?.name == nil)
        #expect(Mailbox(parsing: "no at sign") == nil)
        #expect(Mailbox(parsing: "x <a@b.c\r\nRCPT TO:<evil@x>>") == nil)
    }
}
