import Booking
import Foundation

/// The client's own access to their area: sessions started by a single-use sign-in link or a password, kept alive
/// by use and ended by signing out or by inactivity; the client's optional password. Tokens and password hashes
/// are made by the web layer (random tokens, bcrypt); only hashes are stored.
public struct ClientAccounts: UseCase {
    let context: WorkflowContext

    /// How long a client session lasts without use.
    public static let idleLifetime: TimeInterval = 2 * 3600

    /// The client with this email, if any (sign-in answers the same either way; this decides whether to email).
    public func client(email: String) async throws -> Client? {
        guard let email = try? EmailAddress(email) else { return nil }
        return try await self.store.read { try await $0.client(email: email) }
    }

    /// A client by id, if they exist.
    public func client(id: ClientID) async throws -> Client? {
        try await self.store.read { try await $0.client(id) }
    }

    /// Starts a session for a client, and forgets the sessions that have expired.
    public func startSession(clientID: ClientID, tokenHash: String) async throws -> ClientSession {
        let now = self.clock.now()
        let session = ClientSession(
            tokenHash: tokenHash, clientID: clientID, createdAt: now,
            expiresAt: now.addingTimeInterval(Self.idleLifetime)
        )
        try await self.store.write { tx in
            guard try await tx.client(clientID) != nil else { throw BookingError.notFound(what: "client") }
            _ = try await tx.deleteClientSessions(expiredAt: now)
            try await tx.insert(session)
        }
        return session
    }

    /// The live session with this token hash, kept alive for another `idleLifetime` (written at most once a
    /// minute), with its client; nil when there is none or it expired.
    public func session(tokenHash: String) async throws -> (session: ClientSession, client: Client)? {
        let now = self.clock.now()
        guard
            let found = try await self.store.read({ reader -> (ClientSession, Client)? in
                guard let session = try await reader.clientSession(tokenHash: tokenHash, at: now),
                    let client = try await reader.client(session.clientID)
                else { return nil }
                return (session, client)
            })
        else { return nil }
        var session = found.0
        let renewed = now.addingTimeInterval(Self.idleLifetime)
        if renewed.timeIntervalSince(session.expiresAt) > 60 {
            try await self.store.write { try await $0.extendClientSession(tokenHash: tokenHash, until: renewed) }
            session.expiresAt = renewed
        }
        return (session, found.1)
    }

    /// Ends a session (sign-out): its cookie stops working at once.
    public func endSession(tokenHash: String) async throws {
        try await self.store.write { try await $0.deleteClientSession(tokenHash: tokenHash) }
    }

    /// Sets the client's password (its bcrypt hash).
    public func setPassword(_ clientID: ClientID, hash: String) async throws {
        let now = self.clock.now()
        try await self.store.write { tx in
            guard try await tx.client(clientID) != nil else { throw BookingError.notFound(what: "client") }
            try await tx.setClientPassword(clientID, hash: hash, at: now)
        }
    }

    /// Records the language the client chose (while signed in): their pages and emails use it.
    public func setLanguage(_ clientID: ClientID, _ language: Language) async throws {
        try await self.store.write { tx in
            guard var client = try await tx.client(clientID) else { throw BookingError.notFound(what: "client") }
            guard client.language != language else { return }
            client.language = language
            try await tx.update(client)
        }
    }

    /// The client with this email and their password hash, if they set one.
    public func passwordHash(email: EmailAddress) async throws -> (client: Client, hash: String)? {
        try await self.store.read { reader in
            guard let client = try await reader.client(email: email),
                let hash = try await reader.clientPasswordHash(client.id)
            else { return nil }
            return (client, hash)
        }
    }
}
