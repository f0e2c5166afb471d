import Booking
import Foundation
import GRDB
import Workflow

// Rows of admin accounts and their sessions, client sessions and client passwords.

/// A row of `admins`.
struct AdminRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "admins"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: String
    var email: String
    var emailNormalized: String
    var passwordHash: String
    var createdAt: Int64

    init(_ admin: AdminAccount) {
        self.id = admin.id.rawValue
        self.email = admin.email.value
        self.emailNormalized = admin.email.normalized
        self.passwordHash = admin.passwordHash
        self.createdAt = Millis.from(admin.createdAt)
    }

    func domain() throws -> AdminAccount {
        guard let email = try? EmailAddress(self.email) else {
            throw StoreError.corruptRow(table: Self.databaseTableName, id: self.id)
        }
        return AdminAccount(
            id: AdminID(rawValue: self.id), email: email, passwordHash: self.passwordHash,
            createdAt: Millis.date(self.createdAt))
    }
}

/// A row of `admin_sessions`.
struct AdminSessionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "admin_sessions"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var tokenHash: String
    var adminId: String
    var expiresAt: Int64
}

/// A row of `client_sessions`.
struct ClientSessionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "client_sessions"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var tokenHash: String
    var clientId: String
    var createdAt: Int64
    var expiresAt: Int64

    init(_ session: ClientSession) {
        self.tokenHash = session.tokenHash
        self.clientId = session.clientID.rawValue
        self.createdAt = Millis.from(session.createdAt)
        self.expiresAt = Millis.from(session.expiresAt)
    }

    var domain: ClientSession {
        ClientSession(
            tokenHash: self.tokenHash, clientID: ClientID(rawValue: self.clientId),
            createdAt: Millis.date(self.createdAt), expiresAt: Millis.date(self.expiresAt))
    }
}

/// A row of `client_passwords`.
struct ClientPasswordRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "client_passwords"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var clientId: String
    var passwordHash: String
    var updatedAt: Int64
}
