import Foundation
import NIOCore
import NIOPosix

/// A real SMTP server for tests: `Tests/tools/smtp_sink.py` (aiosmtpd) in a child process, storing each accepted
/// message as an `.eml` file. It needs `python3` with `aiosmtpd` (`.ci/run` installs it); without them `start`
/// throws, and the test fails loudly.
/// (`Process` is only started, terminated and waited on, which Foundation allows from any thread.)
public final class SMTPSink: @unchecked Sendable {
    public let port: Int
    public let folder: URL
    private let process: Process

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts the sink on `port` (a free one when nil). `tls`: a certificate and key in PEM files, offered by
    /// STARTTLS and required before AUTH. `auth`: `user:password`, required for sending.
    public static func start(
        port: Int? = nil, folder: URL? = nil, tls: (certificate: URL, key: URL)? = nil, implicitTLS: Bool = false,
        auth: String? = nil, loginOnly: Bool = false
    ) async throws -> SMTPSink {
        var chosen = port
        if chosen == nil { chosen = try await freePort() }
        let port = chosen ?? 0
        let folder = try folder ?? TemporaryDirectory.make()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = [
            "python3", Fixtures.root.appendingPathComponent("Tests/tools/smtp_sink.py").path, "--port", "\(port)",
            "--dir", folder.path,
        ]
        if let tls { arguments += ["--tls", tls.certificate.path, tls.key.path] }
        if implicitTLS { arguments.append("--implicit-tls") }
        if let auth { arguments += ["--auth", auth] }
        if loginOnly { arguments.append("--login-only") }
        process.arguments = arguments
        let log = folder.appendingPathComponent("sink.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        // Ready when it accepts connections; dead means python3 or aiosmtpd is missing: say what it said.
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            if !process.isRunning || ContinuousClock.now > deadline {
                process.terminate()
                let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw Unavailable(description: "the SMTP sink (python3 + aiosmtpd) did not start: \(said)")
            }
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            {
                try? await channel.close()
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return SMTPSink(port: port, folder: folder, process: process)
    }

    private init(port: Int, folder: URL, process: Process) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    /// Stops the server (the messages stay in the folder).
    public func stop() {
        guard self.process.isRunning else { return }
        self.process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while self.process.isRunning, Date() < deadline { usleep(20_000) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }

    deinit { self.stop() }

    /// The raw messages received so far, oldest first.
    public func messages() throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(
            at: self.folder, includingPropertiesForKeys: [.contentModificationDateKey]
        ).filter { $0.pathExtension == "eml" }
        let dated = try files.map {
            ($0, try $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate ?? .distantPast)
        }
        return try dated.sorted { $0.1 < $1.1 }.map { try String(contentsOf: $0.0, encoding: .utf8) }
    }

    /// Waits until at least `count` messages arrived (or the timeout passed); returns them.
    public func waitForMessages(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let messages = try self.messages()
            if messages.count >= count || ContinuousClock.now > deadline { return messages }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A loopback port nobody listens on right now.
    public static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    /// A self-signed certificate for `localhost` and 127.0.0.1, made with the openssl command.
    public static func makeCertificate(in folder: URL) throws -> (certificate: URL, key: URL) {
        let certificate = folder.appendingPathComponent("cert.pem")
        let key = folder.appendingPathComponent("key.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", certificate.path,
            "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { usleep(20_000) }
        guard process.terminationStatus == 0 else {
            throw Unavailable(description: "openssl could not make a test certificate")
        }
        return (certificate, key)
    }
}
