import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Notifications

/// `/dev/mailbox`: the emails the service would have sent, when no SMTP server is configured. A list, each message
/// with its headers and both parts (links work), its raw `.eml` and its attachments; `/dev/mailbox.json` for scripts.
struct DevelopmentMailboxPages: Sendable {
    let mailbox: DevelopmentMailbox

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
        router.get("dev/mailbox") { _, _ in try await self.list() }
        router.get("dev/mailbox.json") { _, _ -> Response in
            let messages = try await self.mailbox.messages().map {
                Summary(
                    id: $0.id, to: $0.to.map(\.address), subject: $0.subject, date: $0.date,
                    url: "/dev/mailbox/\($0.id)", text: $0.text)
            }
            return try JSONCoding.encoder.encodeAsResponse(SummaryList(messages: messages), status: .ok)
        }
        router.get("dev/mailbox/:id") { _, context -> Response in
            let raw = context.parameters.get("id") ?? ""
            if raw.hasSuffix(".eml") {
                let message = try await self.message(String(raw.dropLast(4)))
                return Self.response(message.rendered(), type: "message/rfc822")
            }
            return try await self.show(self.message(raw))
        }
        router.get("dev/mailbox/:id/html") { _, context -> Response in
            let message = try await self.message(context.parameters.get("id") ?? "")
            // Links leave the frame it is shown in.
            let html = message.html.replacingOccurrences(of: "<head>", with: "<head><base target=\"_top\">")
            return Self.response(html, type: "text/html; charset=utf-8")
        }
        router.get("dev/mailbox/:id/attachments/:index") { _, context -> Response in
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
            rows += """
                <tr><td>\(Page.escape(message.date.formatted(.iso8601)))</td>\
                <td>\(Page.escape(message.to.map(\.address).joined(separator: ", ")))</td>\
                <td><a href="/dev/mailbox/\(Page.escape(message.id))">\(Page.escape(message.subject))</a></td></tr>
                """
        }
        let body =
            messages.isEmpty
            ? "<p>No emails yet. Book a session and the client's email appears here.</p>"
            : "<p>Emails are kept here because no SMTP server is configured (SMTP_URL).</p>"
                + "<table><tr><th>Date</th><th>To</th><th>Subject</th></tr>\(rows)</table>"
        return Page.document(.ok, title: "Development mailbox", body: body, wide: true)
    }

    private func show(_ message: EmailMessage) -> Response {
        var attachments = ""
        for (index, attachment) in message.attachments.enumerated() {
            attachments +=
                "<a href=\"/dev/mailbox/\(Page.escape(message.id))/attachments/\(index)\">\(Page.escape(attachment.filename))</a> "
        }
        let body = """
            <p><a href="/dev/mailbox">← All emails</a> · <a href="/dev/mailbox/\(Page.escape(message.id)).eml">Raw message</a></p>
            <table>
            <tr><th>From</th><td>\(Page.escape(message.from.description))</td></tr>
            <tr><th>To</th><td>\(Page.escape(message.to.map(\.description).joined(separator: ", ")))</td></tr>
            <tr><th>Date</th><td>\(Page.escape(message.date.formatted(.iso8601)))</td></tr>
            <tr><th>Message-ID</th><td>\(Page.escape(message.messageID))</td></tr>
            \(attachments.isEmpty ? "" : "<tr><th>Attachments</th><td>\(attachments)</td></tr>")
            </table>
            <iframe src="/dev/mailbox/\(Page.escape(message.id))/html" title="HTML part" \
            style="width:100%;height:40rem;border:1px solid #ddd;margin-top:1rem"></iframe>
            <h2>Plain text</h2>
            <pre style="white-space:pre-wrap">\(Page.escape(message.text))</pre>
            """
        return Page.document(.ok, title: message.subject, body: body, wide: true)
    }

    static func response(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
