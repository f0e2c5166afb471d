import Foundation

/// Who may book what: additional time only after a completed first session of the same category.
public enum Eligibility {
    /// Throws `notEligible` naming the category when the client's history has no completed first session of it.
    /// `history` is the client's bookings; canceled, rejected, expired and no-show ones do not count.
    public static func check(_ selection: ServiceSelection, history: [Booking], now: Date) throws(BookingError) {
        let needed = Set(selection.services.filter { $0.kind == .additionalTime }.map(\.category))
        for category in ServiceCategory.allCases where needed.contains(category) {
            let hasFirstSession = history.contains { booking in
                booking.countsAsCompleted(at: now)
                    && booking.lines.contains { $0.kind == .initial && $0.category == category }
            }
            guard hasFirstSession else {
                throw .notEligible(
                    reason:
                        "additional \(category.rawValue) time is only for clients who have completed a first \(category.rawValue) session"
                )
            }
        }
    }
}
