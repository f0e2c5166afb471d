import Booking
import Foundation

/// The system's side: slots held for a payment or a confirmation are let go when their window lapses.
public struct Holds: UseCase {
    let context: WorkflowContext

    /// Expires every booking whose payment (or confirmation) window lapsed, freeing its slot. Returns their ids.
    public func expireLapsedHolds(limit: Int = 200) async throws -> [BookingID] {
        let now = self.clock.now()
        return try await self.store.write { tx in
            var expired: [BookingID] = []
            for booking in try await tx.lapsedHolds(at: now, limit: limit) {
                _ = try await self.transition(booking, .paymentWindowLapsed, actor: .system, now: now, in: tx)
                expired.append(booking.id)
            }
            return expired
        }
    }
}
