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

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Lets a request through only with `Authorization: Bearer <live admin session token>`; sets `context.adminID`.
struct AdminAuthenticator: RouterMiddleware {
    let workflow: BookingWorkflow

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response)
        async throws -> Response
    {
        guard let token = Self.bearerToken(request),
            let session = try await self.workflow.accounts.adminSession(tokenHash: AdminPasswords.tokenHash(token))
        else { throw APIError.unauthorized }
        var context = context
        context.adminID = session.adminID
        context.adminTokenHash = session.tokenHash
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110, section 11.1).
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.count <= 200 else { return nil }
        return token
    }

    /// The signed-in admin of a request, when it carries a live session token (for pages that also open otherwise).
    static func admin(of request: Request, workflow: BookingWorkflow) async throws -> AdminID? {
        guard let token = Self.bearerToken(request) else { return nil }
        return try await workflow.accounts.adminSession(tokenHash: AdminPasswords.tokenHash(token))?.adminID
    }
}
