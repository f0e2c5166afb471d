import Foundation

/// Every refusal the domain and the workflow can give, each with a stable `code` that clients match on.
///
/// Only the web layer turns these into HTTP statuses, in one place.
public enum BookingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The event is not allowed in the booking's current state.
    case illegalTransition(from: BookingState, event: BookingEventKind)
    /// Another booking (or a live hold) already occupies the time, buffers included.
    case slotTaken
    /// The start is not a bookable time for the service (outside working hours, a day off, off the step).
    case slotUnavailable(reason: String)
    /// The client may not book this service (additional time without a completed first session, ...).
    case notEligible(reason: String)
    /// The start is too soon or too far ahead for the booking rules.
    case outsideBookingWindow(reason: String)
    /// The client already has as many bookings as the rules allow for that day or week.
    case clientLimitReached(reason: String)
    /// The client is banned and cannot book.
    case clientBanned
    /// Only existing clients may book, or the email is not allowed by the rules.
    case clientNotAllowed(reason: String)
    /// An input field is missing or malformed.
    case invalidField(field: String, reason: String)
    /// The thing asked for does not exist.
    case notFound(what: String)
    /// An idempotency key was reused with a different request.
    case idempotencyKeyReused
    /// The action is not allowed at this time (completing a session before it started, a late client cancel).
    case tooEarlyOrLate(reason: String)

    /// The stable machine-readable code (`slot_taken`, `illegal_transition`, ...).
    public var code: String {
        switch self {
        case .illegalTransition: "illegal_transition"
        case .slotTaken: "slot_taken"
        case .slotUnavailable: "slot_unavailable"
        case .notEligible: "not_eligible"
        case .outsideBookingWindow: "outside_booking_window"
        case .clientLimitReached: "client_limit_reached"
        case .clientBanned: "client_banned"
        case .clientNotAllowed: "client_not_allowed"
        case .invalidField: "invalid_field"
        case .notFound: "not_found"
        case .idempotencyKeyReused: "idempotency_key_reused"
        case .tooEarlyOrLate: "not_allowed_now"
        }
    }

    /// A sentence for a person.
    public var message: String {
        switch self {
        case .illegalTransition(let from, let event):
            "A booking that is \(from.rawValue) cannot take the event \(event.rawValue)."
        case .slotTaken: "That time is no longer available."
        case .slotUnavailable(let reason): "That time cannot be booked: \(reason)."
        case .notEligible(let reason): "Not eligible: \(reason)."
        case .outsideBookingWindow(let reason): "Outside the booking window: \(reason)."
        case .clientLimitReached(let reason): "Booking limit reached: \(reason)."
        case .clientBanned: "This client cannot make bookings."
        case .clientNotAllowed(let reason): "Booking not allowed: \(reason)."
        case .invalidField(let field, let reason): "Invalid \(field): \(reason)."
        case .notFound(let what): "No such \(what)."
        case .idempotencyKeyReused: "This Idempotency-Key was already used with a different request."
        case .tooEarlyOrLate(let reason): "Not allowed now: \(reason)."
        }
    }

    public var description: String { "\(self.code): \(self.message)" }
}
