import Booking
import Crypto
import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import Workflow

/// Admin passwords (bcrypt) and session tokens (random, stored only as a SHA-256 hash).
public struct AdminPasswords: Sendable {
    public var cost: UInt8

    public init(cost: UInt8 = 12) { self.cost = cost }

    /// A bcrypt hash, computed off the request threads.
    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether the password matches the hash, computed off the request threads.
    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Checks a new password: 10 to 200 characters.
    public static func validate(_ password: String) throws(BookingError) {
        guard (10...200).contains(password.count) else {
            throw .invalidField(field: "password", reason: "must be 10 to 200 characters")
        }
    }

    /// A new session token: 256 random bits, base64url.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_"
        )
        .replacingOccurrences(of: "=", with: "")
    }

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Counts failed logins per email; past the limit within the window, logins are refused with 429.
actor LoginThrottle {
    private var failures: [String: [Date]] = [:]
    let limit: Int
    let window: TimeInterval

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    func isBlocked(_ key: String, now: Date) -> Bool {
        let recent = (self.failures[key] ?? []).filter { now.timeIntervalSince($0) < self.window }
        self.failures[key] = recent
        return recent.count >= self.limit
    }

    func recordFailure(_ key: String, now: Date) { self.failures[key, default: []].append(now) }

    func reset(_ key: String) { self.failures[key] = nil }
}

/// Lets a request through only with `Authorization: Bearer <live admin session token>`; sets `context.adminID`.
struct AdminAuthenticator: RouterMiddleware {
    let workflow: BookingWorkflow

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response)
        async throws -> Response
    {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError.unauthorized
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.count <= 200,
            let session = try await self.workflow.adminSession(tokenHash: AdminPasswords.tokenHash(token))
        else { throw APIError.unauthorized }
        var context = context
        context.adminID = session.adminID
        return try await next(request, context)
    }
}
