import Booking
import Foundation

/// The system's side: slots held for a payment or a confirmation are let go when their window lapses.
public struct Holds: UseCase {
    let context: WorkflowContext

    /// Expires every booking whose payment (or confirmation) window lapsed, freeing its slot. Returns their ids.
    public func expireLapsedHolds(limit: Int = 200) async throws -> [BookingID] {
        let now = self.clock.now()
        return try await self.store.write { tx in try await self.expireLapsedHolds(at: now, limit: limit, in: tx) }
    }
}

extension UseCase {
    /// Expires, inside the caller's transaction, the bookings whose window lapsed: the worker's pass, and what a
    /// claim of a slot does first, so a hold that lapsed moments ago never stands in a new booking's way (nor, on
    /// PostgreSQL, in the way of the constraint that keeps held and settled bookings apart).
    func expireLapsedHolds(at now: Date, limit: Int = 200, in tx: any BookingStoreTransaction) async throws
        -> [BookingID]
    {
        var expired: [BookingID] = []
        for booking in try await tx.lapsedHolds(at: now, limit: limit) {
            _ = try await self.transition(booking, .paymentWindowLapsed, actor: .system, now: now, in: tx)
            expired.append(booking.id)
        }
        return expired
    }
}
