import Booking
import Foundation

/// A client's booking request from the public API.
public struct ClientBookingRequest: Hashable, Sendable {
    public var serviceIDs: [ServiceID]
    public var start: Date
    public var name: String
    public var email: String
    public var phone: String?
    public var note: String?
    /// The client's IANA time zone, for the times in their emails.
    public var timeZone: String?
    /// The language the client booked in, for their emails.
    public var language: Language?

    public init(
        serviceIDs: [ServiceID], start: Date, name: String, email: String, phone: String? = nil, note: String? = nil,
        timeZone: String? = nil, language: Language? = nil
    ) {
        self.language = language
        self.serviceIDs = serviceIDs
        self.start = start
        self.name = name
        self.email = email
        self.phone = phone
        self.note = note
        self.timeZone = timeZone
    }

    /// A canonical text of the request, compared when an idempotency key is replayed.
    var fingerprint: String {
        [
            self.serviceIDs.map(\.rawValue).joined(separator: ","), "\(self.start.timeIntervalSince1970)", self.name,
            self.email.lowercased(), self.phone ?? "", self.note ?? "",
        ].joined(separator: "\u{1F}")
            // Appended only when given, so keys stored before the field existed still match their replays.
            + (self.timeZone.map { "\u{1F}tz=\($0)" } ?? "")
    }
}

/// The client of a booking made by hand: one already known, or a new one created with the booking.
public enum ClientChoice: Hashable, Sendable {
    case existing(ClientID)
    case new(name: String, email: String, phone: String?)
}

/// A booking an admin makes by hand, with its three independent options.
public struct AdminBookingRequest: Hashable, Sendable {
    /// How payment is taken.
    public enum Payment: String, Hashable, Sendable, CaseIterable {
        /// The client pays through the emailed link (the booking waits in `awaitingPayment`).
        case link
        /// The client paid by other means.
        case offline
        /// Nothing to pay.
        case free
    }

    /// What happens once the booking is settled.
    public enum Approval: String, Hashable, Sendable, CaseIterable {
        /// As the rules say (the default): a manual practice waits in `awaitingApproval`.
        case rules
        /// The admin approves in advance: settled means approved.
        case preApproved
    }

    public var client: ClientChoice
    public var serviceIDs: [ServiceID]
    public var start: Date
    /// The staff member; nil picks the first free one offering the services.
    public var staffID: StaffID?
    public var confirmation: ConfirmationMode
    public var payment: Payment
    public var approval: Approval
    public var notifyClient: Bool
    /// Books additional time for a client without a completed first session; the reason is recorded.
    public var eligibilityOverrideReason: String?
    public var note: String?

    public init(
        client: ClientChoice, serviceIDs: [ServiceID], start: Date, staffID: StaffID? = nil,
        confirmation: ConfirmationMode = .none, payment: Payment = .link, approval: Approval = .rules,
        notifyClient: Bool = true, eligibilityOverrideReason: String? = nil, note: String? = nil
    ) {
        self.client = client
        self.serviceIDs = serviceIDs
        self.start = start
        self.staffID = staffID
        self.confirmation = confirmation
        self.payment = payment
        self.approval = approval
        self.notifyClient = notifyClient
        self.eligibilityOverrideReason = eligibilityOverrideReason
        self.note = note
    }
}

/// What an admin passes with a decision on a booking.
public struct AdminDecision: Hashable, Sendable {
    public var admin: AdminID
    /// Written to the history as the reason.
    public var note: String?
    /// Send the client the email this decision causes (default: yes).
    public var notifyClient: Bool
    /// Show the note to the client, in that email and on their booking page (default: no, admins only).
    public var noteShownToClient: Bool

    public init(admin: AdminID, note: String? = nil, notifyClient: Bool = true, noteShownToClient: Bool = false) {
        self.noteShownToClient = noteShownToClient
        self.admin = admin
        self.note = note
        self.notifyClient = notifyClient
    }
}

/// A booking as created, with whether an idempotent replay returned it.
public struct BookingReceipt: Hashable, Sendable {
    public var booking: Booking
    public var client: Client
    /// True when an earlier request with the same idempotency key had created it.
    public var replayed: Bool
}

/// What a client booking would give, before it is made (see `ClientBooking.preview`).
public struct BookingPreview: Hashable, Sendable {
    public var selection: ServiceSelection
    /// The slot with the staff member who would take it.
    public var slot: Slot
    public var staffName: String?
}
