import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Markup
import NIOCore
import Notifications
import Workflow

/// `/dev/mailbox`: the emails the service would have sent, when no SMTP server is configured. A list, each message
/// with its headers and both parts (links work), its raw `.eml` and its attachments; `/dev/mailbox.json` for scripts.
///
/// The emails hold booking tokens and sign-in links, so the mailbox answers only a signed-in admin
/// (`Authorization: Bearer`) or whoever holds its secret address, `/dev/mailbox?key=…`, printed once by `serve` at
/// start. Opening that address sets an HttpOnly cookie for `/dev` and redirects to the address without the
/// key, so the key does not stay in the address bar or the history. Never the peer address: behind a reverse proxy
/// on the same host, every peer is loopback.
struct DevelopmentMailboxPages: Sendable {
    let mailbox: DevelopmentMailbox
    let access: MailboxAccess
    let workflow: BookingWorkflow
    /// Whether cookies are marked `Secure` (the public URL is https).
    let secureCookies: Bool

    struct Summary: Codable, Sendable {
        var id: String
        var to: [String]
        var subject: String
        var date: Date
        var url: String
        var text: String
    }

    struct SummaryList: ResponseEncodable, Sendable {
        var messages: [Summary]
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get("dev/mailbox") { request, _ in
            if let key = request.uri.queryParameters.get("key") {
                guard self.access.accepts(String(key)) else { return Self.refusal(html: true) }
                var response = Page.redirect("/dev/mailbox")
                response.headers[.setCookie] = self.access.cookie(secure: self.secureCookies)
                return response
            }
            guard try await self.allowed(request) else { return Self.refusal(html: true) }
            return try await self.list()
        }
        let pages = router.group("dev/mailbox").add(middleware: Guard(pages: self))
        router.get("dev/mailbox.json") { request, _ -> Response in
            guard try await self.allowed(request) else { return Self.refusal(html: false) }
            let messages = try await self.mailbox.messages().map {
                Summary(
                    id: $0.id, to: $0.to.map(\.address), subject: $0.subject, date: $0.date,
                    url: "/dev/mailbox/\($0.id)", text: $0.text)
            }
            return try JSONCoding.encoder.encodeAsResponse(SummaryList(messages: messages), status: .ok)
        }
        pages.get(":id") { _, context -> Response in
            let raw = context.parameters.get("id") ?? ""
            if raw.hasSuffix(".eml") {
                let message = try await self.message(String(raw.dropLast(4)))
                return Self.response(message.rendered(), type: "message/rfc822")
            }
            return try await self.show(self.message(raw))
        }
        pages.get(":id/html") { _, context -> Response in
            let message = try await self.message(context.parameters.get("id") ?? "")
            // Links leave the frame it is shown in.
            let html = message.html.replacingOccurrences(of: "<head>", with: "<head><base target=\"_top\">")
            return Self.response(html, type: "text/html; charset=utf-8")
        }
        pages.get(":id/attachments/:index") { _, context -> Response in
            let message = try await self.message(context.parameters.get("id") ?? "")
            guard let index = context.parameters.get("index").flatMap(Int.init),
                message.attachments.indices.contains(index)
            else {
                throw APIError(.notFound, code: "not_found", message: "No such attachment.")
            }
            let attachment = message.attachments[index]
            var headers = HTTPFields()
            headers[.contentType] = attachment.contentType
            headers[.contentDisposition] = "attachment; filename=\"\(attachment.filename)\""
            return Response(
                status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: attachment.content)))
        }
    }

    /// Lets the mailbox's inner pages through only for someone `allowed`.
    struct Guard: RouterMiddleware {
        let pages: DevelopmentMailboxPages

        func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response)
            async throws -> Response
        {
            guard try await self.pages.allowed(request) else { return DevelopmentMailboxPages.refusal(html: true) }
            var response: Response
            do {
                response = try await next(request, context)
            } catch let error as APIError {
                response = error.response()
            }
            // Opened with the key in the address: the page's frame, attachments and links need the cookie too.
            if let key = request.uri.queryParameters.get("key"), self.pages.access.accepts(String(key)) {
                response.headers[.setCookie] = self.pages.access.cookie(secure: self.pages.secureCookies)
            }
            return response
        }
    }

    /// A signed-in admin, the mailbox cookie, or (for scripts reading the JSON) the key in the query.
    func allowed(_ request: Request) async throws -> Bool {
        if let key = request.cookies[MailboxAccess.cookieName]?.value, self.access.accepts(key) { return true }
        if let key = request.uri.queryParameters.get("key"), self.access.accepts(String(key)) { return true }
        return try await AdminAuthenticator.admin(of: request, workflow: self.workflow) != nil
    }

    static func refusal(html: Bool) -> Response {
        let message =
            "The development mailbox is private. Open the secret mailbox address that rendezvous serve printed "
            + "when it started, or send an admin's token (Authorization: Bearer)."
        guard html else { return APIError(.unauthorized, code: "unauthorized", message: message).response() }
        return Page.html(.unauthorized, title: "Private mailbox", message: message)
    }

    private func message(_ id: String) async throws -> EmailMessage {
        guard let message = try await self.mailbox.message(id: id) else {
            throw APIError(.notFound, code: "not_found", message: "No message \(id) in the mailbox.")
        }
        return message
    }

    private func list() async throws -> Response {
        let messages = try await self.mailbox.messages()
        var rows = ""
        for message in messages {
            // The subject first, to read on a phone; the day and the time each stay whole.
            let when = Self.readable(message.date).split(separator: " ", maxSplits: 1)
                .map { "<span class=\"nowrap\">\(HTML.escape(String($0)))</span>" }.joined(separator: " ")
            rows += """
                <tr><td><a href="/dev/mailbox/\(HTML.escape(message.id))">\(HTML.escape(message.subject))</a></td>\
                <td>\(HTML.escape(message.to.map(\.address).joined(separator: ", ")))</td><td>\(when)</td></tr>
                """
        }
        let body =
            messages.isEmpty
            ? "<p>No emails yet. Book a session and the client's email appears here.</p>"
            : "<p>Emails are kept here because no SMTP server is configured (SMTP_URL).</p>"
                + "<div class=\"rows\"><table><tr><th>Subject</th><th>To</th><th>Date</th></tr>\(rows)</table></div>"
        return Page.document(.ok, title: "Development mailbox", body: body, wide: true)
    }

    private func show(_ message: EmailMessage) -> Response {
        var attachments = ""
        for (index, attachment) in message.attachments.enumerated() {
            attachments +=
                "<a href=\"/dev/mailbox/\(HTML.escape(message.id))/attachments/\(index)\">\(HTML.escape(attachment.filename))</a> "
        }
        let body = """
            <p><a href="/dev/mailbox">← All emails</a> · <a href="/dev/mailbox/\(HTML.escape(message.id)).eml">Raw message</a></p>
            <table>
            <tr><th>From</th><td>\(HTML.escape(message.from.displayText))</td></tr>
            <tr><th>To</th><td>\(HTML.escape(message.to.map(\.displayText).joined(separator: ", ")))</td></tr>
            <tr><th>Date</th><td>\(HTML.escape(Self.readable(message.date)))</td></tr>
            <tr><th>Message-ID</th><td>\(HTML.escape(message.messageID))</td></tr>
            \(attachments.isEmpty ? "" : "<tr><th>Attachments</th><td>\(attachments)</td></tr>")
            </table>
            <iframe src="/dev/mailbox/\(HTML.escape(message.id))/html" title="HTML part" \
            style="width:100%;height:40rem;border:1px solid #ddd;margin-top:1rem"></iframe>
            <h2>Plain text</h2>
            <pre style="white-space:pre-wrap">\(HTML.escape(message.text))</pre>
            """
        return Page.document(.ok, title: message.subject, body: body, wide: true)
    }

    /// `2026-12-07 19:06:21 UTC`: a date a developer reads at a glance, with the seconds that tell two emails apart.
    static func readable(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) UTC",
                timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
    }

    static func response(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The development mailbox's secret: a random key, compared in constant time.
public struct MailboxAccess: Sendable {
    static let cookieName = "rendezvous_mailbox"
    /// The key's authentication code under a per-process key: what candidates are checked against.
    private let keyCode: Data
    private let codeKey: Data
    /// The key itself, to print once.
    public let key: String

    /// A new random key (256 bits).
    public init() { self.init(key: RandomIdentifierGenerator().token(length: 52)) }

    public init(key: String) {
        self.key = key
        self.codeKey = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        self.keyCode = Data(
            HMAC<SHA256>.authenticationCode(for: Data(key.utf8), using: SymmetricKey(data: self.codeKey)))
    }

    /// NB: a constant-time comparison of authentication codes, so response times say nothing about how much of a
    /// guess was right.
    func accepts(_ candidate: String) -> Bool {
        !candidate.isEmpty && candidate.count <= 200
            && HMAC<SHA256>.isValidAuthenticationCode(
                self.keyCode, authenticating: Data(candidate.utf8), using: SymmetricKey(data: self.codeKey))
    }

    func cookie(secure: Bool) -> String {
        "\(Self.cookieName)=\(self.key); Path=/dev; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }
}
