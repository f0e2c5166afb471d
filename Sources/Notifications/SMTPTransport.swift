import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to reach the SMTP server, from `SMTP_URL`.
public struct SMTPConfiguration: Hashable, Sendable {
    /// `smtp` starts in plain text and upgrades with STARTTLS when the server offers it; `smtps` is TLS from the
    /// first byte (implicit TLS, usually port 465).
    public enum Security: String, Hashable, Sendable {
        case startTLS = "smtp"
        case implicitTLS = "smtps"
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// Refuse to send when STARTTLS is not offered (`?starttls=required`).
    public var requireTLS: Bool
    /// A PEM file of certificates to trust instead of the system's (a private CA, or a test server's certificate).
    public var trustRootsFile: String?
    /// The name we give in EHLO.
    public var heloName: String
    public var connectTimeout: TimeAmount
    /// The longest a whole conversation (connect to QUIT) may take.
    public var conversationTimeout: TimeAmount

    public init(
        host: String, port: Int, security: Security = .startTLS, username: String? = nil, password: String? = nil,
        requireTLS: Bool = false, trustRootsFile: String? = nil, heloName: String = "rendezvous.localhost",
        connectTimeout: TimeAmount = .seconds(10), conversationTimeout: TimeAmount = .seconds(60)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.trustRootsFile = trustRootsFile
        self.heloName = heloName
        self.connectTimeout = connectTimeout
        self.conversationTimeout = conversationTimeout
    }

    /// Reads `smtp://user:pass@host:port` or `smtps://...`; user and password are percent-decoded. The query may
    /// say `starttls=required`. Default ports: 587 (smtp) and 465 (smtps).
    public init(url text: String, trustRootsFile: String? = nil) throws(MailDeliveryError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let security = Security(rawValue: scheme), let host = components.host, !host.isEmpty
        else {
            throw MailDeliveryError(
                permanent: true, "SMTP_URL must look like smtp://user:pass@host:port or smtps://...")
        }
        let query = components.queryItems ?? []
        let requireTLS = query.contains { $0.name == "starttls" && $0.value == "required" }
        self.init(
            host: host, port: components.port ?? (security == .implicitTLS ? 465 : 587), security: security,
            username: components.percentEncodedUser?.removingPercentEncoding,
            password: components.percentEncodedPassword?.removingPercentEncoding, requireTLS: requireTLS,
            trustRootsFile: trustRootsFile)
    }
}

/// Sends email over SMTP (RFC 5321) on SwiftNIO: EHLO, STARTTLS or implicit TLS, AUTH PLAIN or LOGIN,
/// MAIL/RCPT/DATA with dot-stuffing, QUIT. One connection per message, bounded by timeouts.
public struct SMTPTransport: MailTransport {
    public let configuration: SMTPConfiguration
    private let tlsContext: NIOSSLContext
    private let logger: Logger

    public init(configuration: SMTPConfiguration, logger: Logger = Logger(label: "rendezvous.smtp")) throws {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.trustRootsFile { tls.trustRoots = .file(file) }
        self.tlsContext = try NIOSSLContext(configuration: tls)
        self.logger = logger
    }

    public func send(_ message: EmailMessage) async throws {
        let configuration = self.configuration
        let channel = try await self.connect()
        let deadline = channel.channel.eventLoop.scheduleTask(in: configuration.conversationTimeout) {
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var session = SMTPSession(
                    replies: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel)
                try await self.converse(&session, message)
            }
        } catch let error as MailDeliveryError {
            throw error
        } catch {
            throw MailDeliveryError(permanent: false, "SMTP conversation with \(configuration.host) failed: \(error)")
        }
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let configuration = self.configuration
        let implicitTLS = configuration.security == .implicitTLS
        let context = self.tlsContext
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(configuration.connectTimeout)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(
                                Self.makeTLSHandler(context: context, host: configuration.host))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw MailDeliveryError(
                permanent: false, "cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
    }

    /// The TLS handler; SNI and name checks use the host name (an IP address is checked against the certificate's
    /// IP entries instead).
    private static func makeTLSHandler(context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }

    private func converse(_ session: inout SMTPSession, _ message: EmailMessage) async throws {
        let configuration = self.configuration
        try await session.expect(220, after: nil)
        var extensions = try await session.hello(configuration.heloName)
        var encrypted = configuration.security == .implicitTLS
        if !encrypted, extensions.keys.contains("STARTTLS") {
            try await session.command("STARTTLS", expect: 220)
            // TLS goes in front of the line decoder, on the channel's own event loop.
            let channel = session.channel
            let context = self.tlsContext
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(
                    Self.makeTLSHandler(context: context, host: configuration.host), position: .first)
            }.get()
            encrypted = true
            extensions = try await session.hello(configuration.heloName)
        }
        if !encrypted, configuration.requireTLS {
            throw MailDeliveryError(permanent: true, "\(configuration.host) does not offer STARTTLS")
        }
        if let username = configuration.username {
            let password = configuration.password ?? ""
            guard encrypted || Self.isLoopback(configuration.host) else {
                throw MailDeliveryError(
                    permanent: true, "refusing to send SMTP credentials to \(configuration.host) without TLS")
            }
            let mechanisms = Set((extensions["AUTH"] ?? "").uppercased().split(separator: " ").map(String.init))
            if mechanisms.contains("PLAIN") || !mechanisms.contains("LOGIN") {
                let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
                try await session.command("AUTH PLAIN \(token)", expect: 235, redacted: "AUTH PLAIN ****")
            } else {
                try await session.command("AUTH LOGIN", expect: 334)
                try await session.command(
                    Data(username.utf8).base64EncodedString(), expect: 334, redacted: "(user name)")
                try await session.command(
                    Data(password.utf8).base64EncodedString(), expect: 235, redacted: "(password)")
            }
        }
        for address in [message.from.address] + message.to.map(\.address) where !Mailbox.isPlausibleAddress(address) {
            throw MailDeliveryError(permanent: true, "not a deliverable address: \(address)")
        }
        try await session.command("MAIL FROM:<\(message.from.wireAddress)>", expect: 250)
        for recipient in message.to {
            try await session.command("RCPT TO:<\(recipient.wireAddress)>", expect: 250, 251)
        }
        try await session.command("DATA", expect: 354)
        try await session.send(Self.dotStuffed(message.rendered()) + ".\r\n")
        try await session.expect(250, after: "the message")
        // The message is accepted; a failed QUIT changes nothing.
        try? await session.command("QUIT", expect: 221)
        self.logger.debug("sent", metadata: ["message": "\(message.messageID)", "to": "\(message.to)"])
    }

    /// Doubles a leading dot on every line (RFC 5321 §4.5.2); the text ends with CRLF.
    static func dotStuffed(_ text: String) -> String {
        var result = text.hasPrefix(".") ? "." + text : text
        result = result.replacingOccurrences(of: "\r\n.", with: "\r\n..")
        return result.hasSuffix("\r\n") ? result : result + "\r\n"
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// One SMTP conversation: commands out, replies in.
struct SMTPSession {
    var replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel

    /// Reads one (possibly multi-line) reply.
    mutating func reply() async throws -> (code: Int, lines: [String]) {
        var lines: [String] = []
        while true {
            guard let buffer = try await self.replies.next() else {
                throw MailDeliveryError(permanent: false, "the server closed the connection (or it timed out)")
            }
            let line = String(buffer: buffer)
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)) else {
                throw MailDeliveryError(permanent: false, "not an SMTP reply: \(line.prefix(80))")
            }
            lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
            if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") { return (code, lines) }
        }
    }

    mutating func expect(_ codes: Int..., after what: String?) async throws {
        let (code, lines) = try await self.reply()
        guard codes.contains(code) else {
            throw MailDeliveryError(
                permanent: (500..<600).contains(code),
                "\(what ?? "greeting"): the server answered \(code) \(lines.joined(separator: " "))")
        }
    }

    mutating func command(_ text: String, expect codes: Int..., redacted: String? = nil) async throws {
        try await self.send(text + "\r\n")
        let (code, lines) = try await self.reply()
        guard codes.contains(code) else {
            throw MailDeliveryError(
                permanent: (500..<600).contains(code),
                "\(redacted ?? text): the server answered \(code) \(lines.joined(separator: " "))")
        }
    }

    /// EHLO; returns the extensions the server offers (keyword → parameters).
    mutating func hello(_ name: String) async throws -> [String: String] {
        try await self.send("EHLO \(name)\r\n")
        let (code, lines) = try await self.reply()
        guard code == 250 else {
            throw MailDeliveryError(permanent: (500..<600).contains(code), "EHLO: the server answered \(code)")
        }
        var extensions: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let keyword = parts.first else { continue }
            extensions[keyword.uppercased()] = parts.count > 1 ? String(parts[1]) : ""
        }
        return extensions
    }

    func send(_ text: String) async throws {
        try await self.outbound.write(ByteBuffer(string: text))
    }
}

/// Splits the server's bytes into lines (CRLF or LF), refusing absurdly long ones.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maximumLineLength = 8192

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLineLength {
                throw MailDeliveryError(permanent: false, "an SMTP reply line is too long")
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
        }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}
