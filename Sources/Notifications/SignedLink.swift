import Crypto
import Foundation

/// Links that carry their own proof: `base64url(payload).base64url(HMAC-SHA256(key, payload))`, where the payload
/// names a purpose, a subject (the client or admin it is for), an expiry and a nonce. The signature proves we made it; the purpose keeps a link
/// for one thing from opening another; the nonce lets the caller allow each link once.
public struct SignedLink: Sendable {
    public enum Purpose: String, Sendable {
        /// Opens the client area (the subject is a client id).
        case signIn = "sign-in"
        /// Lets an invited admin set their password (the subject is an admin id).
        case adminInvitation = "admin-invitation"
    }

    public struct Claims: Hashable, Sendable {
        public var purpose: Purpose
        /// The id of the client or admin the link is for.
        public var subject: String
        public var expiresAt: Date
        public var nonce: String

        public init(purpose: Purpose, subject: String, expiresAt: Date, nonce: String) {
            self.purpose = purpose
            self.subject = subject
            self.expiresAt = expiresAt
            self.nonce = nonce
        }
    }

    public enum Failure: Error, Hashable, Sendable {
        case malformed
        case badSignature
        case wrongPurpose
        case expired
    }

    private let secret: Data
    private var key: SymmetricKey { SymmetricKey(data: self.secret) }

    public init(secret: String) {
        self.secret = Data(secret.utf8)
    }

    public func token(for claims: Claims) -> String {
        let payload = Data(
            "v1|\(claims.purpose.rawValue)|\(claims.subject)|\(Int64(claims.expiresAt.timeIntervalSince1970))|\(claims.nonce)"
                .utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: self.key)
        return Self.base64URL(payload) + "." + Self.base64URL(Data(mac))
    }

    /// The claims of a token we signed, for `purpose`, not expired at `now`.
    public func verify(_ token: String, purpose: Purpose, now: Date) throws(Failure) -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.data(base64URL: parts[0]), let mac = Self.data(base64URL: parts[1])
        else { throw .malformed }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: self.key) else {
            throw .badSignature
        }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0] == "v1", let expiry = Int64(fields[3]) else { throw .malformed }
        guard fields[1] == purpose.rawValue else { throw .wrongPurpose }
        let claims = Claims(
            purpose: purpose, subject: String(fields[2]), expiresAt: Date(timeIntervalSince1970: TimeInterval(expiry)),
            nonce: String(fields[4]))
        guard claims.expiresAt > now else { throw .expired }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
