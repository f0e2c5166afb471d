import Foundation

/// The two kinds of session a practice sells.
public enum ServiceCategory: String, Hashable, Sendable, Codable, CaseIterable {
    case chat
    case call
}

/// Whether a service is a first session or additional time after one.
public enum ServiceKind: String, Hashable, Sendable, Codable, CaseIterable {
    case initial
    case additionalTime
}

/// A bookable service of the catalog.
public struct Service: Hashable, Sendable, Codable, Identifiable {
    public var id: ServiceID
    public var name: String
    public var category: ServiceCategory
    public var kind: ServiceKind
    /// Length of the session in minutes.
    public var durationMinutes: Int
    /// Price of one session.
    public var price: Money
    /// Inactive services stay in the catalog for old bookings but cannot be booked.
    public var isActive: Bool

    public init(
        id: ServiceID, name: String, category: ServiceCategory, kind: ServiceKind,
        durationMinutes: Int, price: Money, isActive: Bool = true
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.kind = kind
        self.durationMinutes = durationMinutes
        self.price = price
        self.isActive = isActive
    }

    /// Checks the values an admin may type in.
    public func validated() throws(BookingError) -> Service {
        guard !self.name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidField(field: "name", reason: "must not be empty")
        }
        guard (5...(12 * 60)).contains(self.durationMinutes) else {
            throw .invalidField(field: "durationMinutes", reason: "must be between 5 and 720")
        }
        guard self.price.minorUnits >= 0 else { throw .invalidField(field: "price", reason: "must not be negative") }
        return self
    }
}

/// A copy of a service as it was sold, kept on the booking so later catalog edits do not change it.
public struct BookingLine: Hashable, Sendable, Codable {
    public var serviceID: ServiceID
    public var name: String
    public var category: ServiceCategory
    public var kind: ServiceKind
    public var durationMinutes: Int
    public var price: Money

    /// Snapshots a service.
    public init(_ service: Service) {
        self.serviceID = service.id
        self.name = service.name
        self.category = service.category
        self.kind = service.kind
        self.durationMinutes = service.durationMinutes
        self.price = service.price
    }
}

/// One appointment: one to five active services in one currency, taken back to back.
public struct ServiceSelection: Hashable, Sendable {
    /// The most services one appointment may combine.
    public static let maximumCount = 5

    /// The services in the order they are taken.
    public let services: [Service]

    /// Validates the combination.
    public init(_ services: [Service]) throws(BookingError) {
        guard !services.isEmpty else {
            throw .invalidField(field: "serviceIds", reason: "at least one service is required")
        }
        guard services.count <= Self.maximumCount else {
            throw .invalidField(field: "serviceIds", reason: "at most \(Self.maximumCount) services per appointment")
        }
        if let inactive = services.first(where: { !$0.isActive }) {
            throw .invalidField(field: "serviceIds", reason: "\(inactive.id) is not offered any more")
        }
        guard Set(services.map(\.price.currency)).count == 1 else {
            throw .invalidField(
                field: "serviceIds", reason: "services priced in different currencies cannot be combined")
        }
        self.services = services
    }

    /// Total length in minutes.
    public var durationMinutes: Int { self.services.reduce(0) { $0 + $1.durationMinutes } }

    /// Total length.
    public var duration: TimeInterval { TimeInterval(self.durationMinutes * 60) }

    /// Total price.
    public var price: Money {
        Money(
            minorUnits: self.services.reduce(0) { $0 + $1.price.minorUnits }, currency: self.services[0].price.currency)
    }

    /// The identifiers, in order.
    public var serviceIDs: [ServiceID] { self.services.map(\.id) }

    /// The snapshot stored with a booking.
    public var lines: [BookingLine] { self.services.map(BookingLine.init) }
}
