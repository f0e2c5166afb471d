import Booking
import Foundation
import GRDB
import Workflow

// Rows of the practice: services, staff (with their schedules), settings (the rules), clients.

/// A row of `services`.
struct ServiceRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "services"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: String
    var name: String
    var category: String
    var kind: String
    var durationMinutes: Int
    var priceMinor: Int64
    var currency: String
    var isActive: Bool
    var position: Int

    init(_ service: Service, position: Int) {
        self.id = service.id.rawValue
        self.name = service.name
        self.category = service.category.rawValue
        self.kind = service.kind.rawValue
        self.durationMinutes = service.durationMinutes
        self.priceMinor = service.price.minorUnits
        self.currency = service.price.currency.code
        self.isActive = service.isActive
        self.position = position
    }

    func domain() throws -> Service {
        guard let category = ServiceCategory(rawValue: self.category), let kind = ServiceKind(rawValue: self.kind),
            let currency = Currency(self.currency)
        else { throw StoreError.corruptRow(table: Self.databaseTableName, id: self.id) }
        return Service(
            id: ServiceID(rawValue: self.id), name: self.name, category: category, kind: kind,
            durationMinutes: self.durationMinutes, price: Money(minorUnits: self.priceMinor, currency: currency),
            isActive: self.isActive)
    }
}

/// A row of `staff`: a staff member and their schedule.
struct StaffRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "staff"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: String
    var name: String
    var scheduleJson: String
    var position: Int
    var email: String?
    var phone: String?

    var member: StaffMember {
        StaffMember(
            id: StaffID(rawValue: self.id), name: self.name, email: self.email.flatMap { try? EmailAddress($0) },
            phone: self.phone)
    }
    func schedule() throws -> StaffSchedule { try ColumnJSON.decode(StaffSchedule.self, from: self.scheduleJson) }
}

/// A row of `settings`: one named JSON value (the booking rules).
struct SettingRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "settings"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase
    static let rulesKey = "booking_rules"

    var key: String
    var valueJson: String
}

/// A row of `clients`.
struct ClientRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "clients"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var id: String
    var name: String
    var email: String
    var emailNormalized: String
    var phone: String?
    var timeZone: String?
    var isBanned: Bool
    var privateNotes: String
    var language: String?
    var createdAt: Int64

    init(_ client: Client) {
        self.language = client.language?.rawValue
        self.id = client.id.rawValue
        self.name = client.name
        self.email = client.email.value
        self.emailNormalized = client.email.normalized
        self.phone = client.phone
        self.timeZone = client.timeZone
        self.isBanned = client.isBanned
        self.privateNotes = client.privateNotes
        self.createdAt = Millis.from(client.createdAt)
    }

    func domain() throws -> Client {
        guard let email = try? EmailAddress(self.email) else {
            throw StoreError.corruptRow(table: Self.databaseTableName, id: self.id)
        }
        return Client(
            id: ClientID(rawValue: self.id), name: self.name, email: email, phone: self.phone,
            timeZone: self.timeZone, isBanned: self.isBanned, privateNotes: self.privateNotes,
            language: self.language.flatMap(Language.init(rawValue:)), createdAt: Millis.date(self.createdAt))
    }
}
