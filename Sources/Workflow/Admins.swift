import Booking
import Foundation

extension BookingWorkflow {
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

    /// The live session with this token hash.
    public func adminSession(tokenHash: String) async throws -> AdminSession? {
        let now = self.clock.now()
        return try await self.store.read { try await $0.adminSession(tokenHash: tokenHash, at: now) }
    }

    /// A client by id.
    public func client(_ id: ClientID) async throws -> Client {
        try await self.store.read { try Self.require(await $0.client(id), "client") }
    }

    /// Bookings for the admin lists.
    public func bookings(matching filter: BookingFilter) async throws -> [Booking] {
        try await self.store.read { try await $0.bookings(matching: filter) }
    }
}
