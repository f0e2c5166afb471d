import Foundation

/// Where emails go when no SMTP server is configured: each message is written to a folder (as JSON beside its
/// `.eml`), survives restarts, and is browsable at `/dev/mailbox`. For demos and development only.
public actor DevelopmentMailbox: MailTransport {
    public nonisolated let directory: URL
    private let encoder: JSONEncoder
    private let decoder = JSONDecoder()

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        self.encoder = encoder
        self.decoder.dateDecodingStrategy = .iso8601
    }

    /// Stores the message; a second delivery of the same message replaces the first (it is the same email).
    public func send(_ message: EmailMessage) async throws {
        let stem = Self.fileStem(message.id)
        try self.encoder.encode(message).write(
            to: self.directory.appendingPathComponent(stem + ".json"), options: .atomic)
        try Data(message.rendered().utf8).write(
            to: self.directory.appendingPathComponent(stem + ".eml"), options: .atomic)
    }

    /// Every stored message, newest first.
    public func messages() throws -> [EmailMessage] {
        let names = try FileManager.default.contentsOfDirectory(atPath: self.directory.path)
        return try names.filter { $0.hasSuffix(".json") }.map { name in
            try self.decoder.decode(
                EmailMessage.self, from: Data(contentsOf: self.directory.appendingPathComponent(name)))
        }.sorted { ($0.date, $0.id) > ($1.date, $1.id) }
    }

    /// One message by its id.
    public func message(id: String) throws -> EmailMessage? {
        let url = self.directory.appendingPathComponent(Self.fileStem(id) + ".json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try self.decoder.decode(EmailMessage.self, from: Data(contentsOf: url))
    }

    /// Ids are ours (`msg_...`), but a file name never takes a path separator from anywhere.
    static func fileStem(_ id: String) -> String {
        String(id.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" })
    }
}
