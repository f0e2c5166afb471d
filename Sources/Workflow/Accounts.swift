import Booking
import Foundation

/// Accounts and access: admin accounts and their sessions, the key that signs client links, single-use links.
public struct Accounts: UseCase {
    let context: WorkflowContext

    /// Creates an admin; the password hash comes from the web layer (bcrypt). Refuses a second admin with one email.
    public func createAdmin(email: String, passwordHash: String) async throws -> AdminAccount {
        let email = try EmailAddress(email)
        let now = self.clock.now()
        return try await self.store.write { tx in
            if try await tx.admin(email: email) != nil {
                throw BookingError.invalidField(field: "email", reason: "an admin with this email exists")
            }
            let admin = AdminAccount(
                id: self.ids.make(AdminID.self), email: email, passwordHash: passwordHash, createdAt: now)
            try await tx.insert(admin)
            return admin
        }
    }

    /// The admin with this email, if any.
    public func adminAccount(email: String) async throws -> AdminAccount? {
        guard let email = try? EmailAddress(email) else { return nil }
        return try await self.adminAccount(email: email)
    }

    /// The admin with this (normalized) email, if any.
    public func adminAccount(email: EmailAddress) async throws -> AdminAccount? {
        return try await self.store.read { try await $0.admin(email: email) }
    }

    /// The admin with this id, if any.
    public func admin(id: AdminID) async throws -> AdminAccount? {
        try await self.store.read { try await $0.admin(id) }
    }

    /// How many admins exist.
    public func adminCount() async throws -> Int { try await self.store.read { try await $0.adminCount() } }

    /// Every admin account, oldest first.
    public func admins() async throws -> [AdminAccount] { try await self.store.read { try await $0.admins() } }

    /// Records a signed-in session, and forgets the sessions that have expired.
    public func startAdminSession(_ session: AdminSession) async throws {
        let now = self.clock.now()
        try await self.store.write {
            _ = try await $0.deleteAdminSessions(expiredAt: now)
            try await $0.insert(session)
        }
    }

    /// Ends a session (sign-out): its token stops working at once.
    public func endAdminSession(tokenHash: String) async throws {
        try await self.store.write { try await $0.deleteAdminSession(tokenHash: tokenHash) }
    }

    /// Replaces an admin's password (its bcrypt hash, made by the web layer). Their sessions stay: changing one's
    /// password on one device does not sign one out elsewhere.
    public func setAdminPassword(_ id: AdminID, hash: String) async throws {
        try await self.store.write { tx in
            guard try await tx.admin(id) != nil else { throw BookingError.notFound(what: "admin") }
            try await tx.updateAdminPassword(id, hash: hash)
        }
    }

    /// Invites an admin: their account exists at once, with no usable password until they set one from the
    /// emailed link (`unusableHash` must match no password). Refuses an email that is an admin already.
    public func inviteAdmin(email: String, unusableHash: String) async throws -> AdminAccount {
        try await self.createAdmin(email: email, passwordHash: unusableHash)
    }

    /// How long an admin's page session lasts without use.
    public static let pageSessionIdleLifetime: TimeInterval = 2 * 3600

    /// The live page session with this token hash, kept alive for another `pageSessionIdleLifetime` (written at
    /// most once a minute), with its admin.
    public func pageSession(tokenHash: String) async throws -> (session: AdminSession, admin: AdminAccount)? {
        let now = self.clock.now()
        guard
            let found = try await self.store.read({ reader -> (AdminSession, AdminAccount)? in
                guard let session = try await reader.adminSession(tokenHash: tokenHash, at: now),
                    let admin = try await reader.admin(session.adminID)
                else { return nil }
                return (session, admin)
            })
        else { return nil }
        var session = found.0
        let renewed = now.addingTimeInterval(Self.pageSessionIdleLifetime)
        if renewed.timeIntervalSince(session.expiresAt) > 60 {
            try await self.store.write { try await $0.extendAdminSession(tokenHash: tokenHash, until: renewed) }
            session.expiresAt = renewed
        }
        return (session, found.1)
    }

    /// The live session with this token hash.
    public func adminSession(tokenHash: String) async throws -> AdminSession? {
        let now = self.clock.now()
        return try await self.store.read { try await $0.adminSession(tokenHash: tokenHash, at: now) }
    }

    // MARK: - Signed client links

    static let linkKeySetting = "links.signing_key"

    /// The secret that signs links sent to clients (sign-in links): made once, kept in the database, so links stay
    /// valid across restarts and instances.
    public func linkSigningKey() async throws -> String {
        if let key = try await self.store.read({ try await $0.setting(Self.linkKeySetting) }) { return key }
        let fresh = self.ids.token(length: 52)
        return try await self.store.write { tx in
            // Another instance may have made one meanwhile: the first stored wins.
            if let key = try await tx.setting(Self.linkKeySetting) { return key }
            try await tx.saveSetting(Self.linkKeySetting, value: fresh)
            return fresh
        }
    }

    /// Whether a single-use link was used already (without using it).
    public func linkWasUsed(nonce: String) async throws -> Bool {
        try await self.store.read { try await $0.setting(Self.usedLinkSetting(nonce)) } != nil
    }

    static func usedLinkSetting(_ nonce: String) -> String { "links.used.\(nonce)" }

    /// Marks a single-use link used; false when it was used before. Check and mark are one write transaction.
    public func redeemOnce(linkNonce nonce: String) async throws -> Bool {
        let now = self.clock.now()
        return try await self.store.write { tx in
            let key = Self.usedLinkSetting(nonce)
            if try await tx.setting(key) != nil { return false }
            try await tx.saveSetting(key, value: "\(Int64(now.timeIntervalSince1970))")
            return true
        }
    }
}
