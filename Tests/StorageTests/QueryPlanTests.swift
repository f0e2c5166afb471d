import Foundation
import TestSupport
import Testing

@testable import Storage

/// The hot queries read an index, never the whole history: their cost stays the same with years of bookings.
@Suite struct QueryPlanTests {
    @Test func everyHotReadUsesAnIndex() async throws {
        let store = try SQLiteBookingStore(
            path: TemporaryDirectory.make().appendingPathComponent("plans.sqlite").path)
        for (name, sql) in HotStatements.indexedReads {
            let plan = try await store.queryPlan(sql)
            // A full scan reads "SCAN table" with no index; "SEARCH" and "SCAN ... USING INDEX" are bounded.
            let fullScans = plan.filter { $0.hasPrefix("SCAN ") && !$0.contains("USING") }
            #expect(fullScans.isEmpty, "\(name): \(plan)")
            #expect(!plan.isEmpty, "\(name): no plan")
        }
    }

    @Test func theBusyTimeQueryBoundsTheStartFromBothSides() async throws {
        let store = try SQLiteBookingStore(
            path: TemporaryDirectory.make().appendingPathComponent("plans.sqlite").path)
        let plan = try await store.queryPlan(HotStatements.busyTimes(staffCount: 1))
        #expect(plan.contains { $0.contains("bookings_by_staff_and_start (staff_id=? AND start_at>? AND start_at<?)") })
    }
}
