import Booking
import Foundation
import Hummingbird
import Notifications
import Workflow

/// An amount as the API shows it.
struct MoneyView: Codable, Sendable {
    /// Minor units (cents).
    var amount: Int64
    var currency: String

    init(_ money: Money) {
        self.amount = money.minorUnits
        self.currency = money.currency.code
    }
}

/// A service of the catalog.
struct ServiceView: ResponseEncodable, Sendable {
    var id: String
    var name: String
    var category: String
    var kind: String
    var durationMinutes: Int
    var price: MoneyView

    init(_ service: Service) {
        self.id = service.id.rawValue
        self.name = service.name
        self.category = service.category.rawValue
        self.kind = service.kind.rawValue
        self.durationMinutes = service.durationMinutes
        self.price = MoneyView(service.price)
    }
}

/// `GET /api/services`.
struct ServiceList: ResponseEncodable, Sendable {
    var services: [ServiceView]
}

/// `GET /api/services/{id}/slots`.
struct SlotList: ResponseEncodable, Sendable {
    struct Item: Codable, Sendable {
        var start: Date
        var end: Date
        var staffId: String
    }
    var timeZone: String
    var slots: [Item]
}

/// A line of a booking's history.
struct HistoryView: Codable, Sendable {
    var at: Date
    var actor: String
    var from: String?
    var to: String
    var event: String
    var reason: String?
    var reasonShownToClient: Bool?
    var providerEventId: String?

    init(_ entry: HistoryEntry, forAdmin: Bool) {
        self.at = entry.at
        self.actor =
            if forAdmin { entry.actor.description } else {
                switch entry.actor {
                case .client: "you"
                case .admin: "practice"
                case .provider: "payment provider"
                case .system: "system"
                }
            }
        self.from = entry.from?.rawValue
        self.to = entry.to.rawValue
        self.event = entry.event
        // The client sees the notes the admin chose to show them, as on their booking page.
        self.reason = forAdmin || entry.reasonShownToClient ? entry.reason : nil
        self.reasonShownToClient = forAdmin ? entry.reasonShownToClient : nil
        self.providerEventId = forAdmin ? entry.providerEventID : nil
    }
}

/// A booking as its client sees it (and, with the admin fields, as admins see it).
struct BookingView: ResponseEncodable, Sendable {
    struct Line: Codable, Sendable {
        var serviceId: String
        var name: String
        var category: String
        var kind: String
        var durationMinutes: Int
        var price: MoneyView
    }

    struct ClientView: Codable, Sendable {
        var id: String
        var name: String
        var email: String
        var phone: String?
        var banned: Bool
    }

    var id: String
    /// The client's access token: only in the answer to the request that created the booking, and to admins.
    var token: String?
    var status: String
    var paymentStatus: String
    var start: Date
    var end: Date
    var services: [Line]
    var price: MoneyView
    /// Our stable payment link, while there is something to pay.
    var paymentUrl: String?
    var holdUntil: Date?
    var history: [HistoryView]?
    // Admin fields.
    var client: ClientView?
    var staffId: String?
    var origin: String?
    var attention: [String]?
    var archived: Bool?
    var paidAmount: MoneyView?
    var refundedAmount: MoneyView?
    var note: String?
    /// Add-to-calendar links (Google, Outlook, Yahoo) and the .ics, on the client's views.
    var calendar: AddToCalendarLinks?

    init(
        _ booking: Booking, links: PublicLinks, token: Bool, history: [HistoryEntry]? = nil,
        admin client: Client? = nil
    ) {
        self.id = booking.id.rawValue
        self.token = token ? booking.accessToken.rawValue : nil
        self.status = booking.state.rawValue
        self.paymentStatus = booking.payment.status.rawValue
        self.start = booking.start
        self.end = booking.end
        self.services = booking.lines.map {
            Line(
                serviceId: $0.serviceID.rawValue, name: $0.name, category: $0.category.rawValue, kind: $0.kind.rawValue,
                durationMinutes: $0.durationMinutes, price: MoneyView($0.price))
        }
        self.price = MoneyView(booking.price)
        let payable = booking.state == .awaitingPayment && !booking.payment.isSettled
        self.paymentUrl = payable ? links.payment(booking.accessToken) : nil
        self.holdUntil = booking.holdUntil
        self.history = history.map { $0.map { HistoryView($0, forAdmin: client != nil) } }
        if let client {
            self.client = ClientView(
                id: client.id.rawValue, name: client.name, email: client.email.value, phone: client.phone,
                banned: client.isBanned)
            self.staffId = booking.staffID.rawValue
            self.origin = booking.origin.rawValue
            self.attention = booking.lifecycle.attention.map(\.rawValue).sorted()
            self.archived = booking.archivedAt != nil
            let currency = booking.price.currency
            self.paidAmount = MoneyView(Money(minorUnits: booking.payment.receivedMinorUnits, currency: currency))
            self.refundedAmount = MoneyView(Money(minorUnits: booking.payment.refundedMinorUnits, currency: currency))
            self.note = booking.clientNote
        }
    }
}

/// `GET /api/admin/bookings`.
struct BookingListView: ResponseEncodable, Sendable {
    var bookings: [BookingView]
}

/// A client as admins see it.
struct ClientAdminView: ResponseEncodable, Sendable {
    var id: String
    var name: String
    var email: String
    var phone: String?
    var banned: Bool

    init(_ client: Client) {
        self.id = client.id.rawValue
        self.name = client.name
        self.email = client.email.value
        self.phone = client.phone
        self.banned = client.isBanned
    }
}

/// A schedule as admins read and write it.
struct ScheduleDocument: ResponseCodable, Sendable {
    var staffId: String
    var name: String
    var schedule: StaffSchedule
}

/// The booking rules as admins read and write them.
struct RulesDocument: ResponseCodable, Sendable {
    var rules: BookingRules
}

/// The days of a month that have free starts, for a month calendar.
struct DayList: ResponseEncodable, Sendable {
    var month: String
    var timeZone: String
    /// `YYYY-MM-DD`, in order.
    var days: [String]
}
