import Booking
import Workflow

/// An admin's decision on a booking, as the JSON API and the dashboard offer it: its name in the address
/// (`/bookings/{id}/{name}`), the state machine's event (nil for archiving, which is not a state change), and the
/// use case it runs. One table, so the API and the pages offer the same decisions.
struct AdminDecisionRoute: Sendable {
    var name: String
    var event: BookingEvent?
    var perform: @Sendable (AdminBooking, BookingID, AdminDecision) async throws -> Booking

    static let all: [AdminDecisionRoute] = [
        .init(name: "approve", event: .approved) { try await $0.approve($1, $2) },
        .init(name: "reject", event: .rejected) { try await $0.reject($1, $2) },
        .init(name: "cancel", event: .canceled) { try await $0.cancel($1, $2) },
        .init(name: "mark-paid", event: .markedPaidOffline) { try await $0.markPaidOffline($1, $2) },
        .init(name: "hold", event: .putBackOnHold) { try await $0.putBackOnHold($1, $2) },
        .init(name: "complete", event: .completed) { try await $0.complete($1, $2) },
        .init(name: "no-show", event: .markedNoShow) { try await $0.markNoShow($1, $2) },
        .init(name: "archive", event: nil) { try await $0.archive($1, by: $2.admin) },
    ]
}
