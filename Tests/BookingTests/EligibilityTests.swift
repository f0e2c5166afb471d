import Booking
import Foundation
import TestSupport
import Testing

@Suite struct EligibilityTests {
    let now = Instants.utc("2026-12-10T12:00:00Z")

    func booking(_ service: Service, endingAt end: Date, through events: [BookingEvent]) -> Booking {
        var lifecycle = BookingLifecycle.open(
            confirmation: .none, payment: .link, approval: .manual, price: service.price
        ).lifecycle
        for event in events { _ = try! lifecycle.apply(event) }
        return Booking(
            id: BookingID(rawValue: "bk_1"), accessToken: AccessToken(rawValue: "tok_1"),
            clientID: ClientID(rawValue: "cl_1"),
            staffID: StaffMember.camille.id, lines: [BookingLine(service)], start: end.addingTimeInterval(-2700),
            end: end,
            rules: .standard, bufferMinutes: 60, origin: .client, lifecycle: lifecycle, holdUntil: nil, createdAt: end,
            updatedAt: end)
    }

    func paid(_ service: Service) -> BookingEvent {
        .paymentSucceeded(PaymentReceipt(amount: service.price, paymentIntentID: "pi_1"), slotStillFree: true)
    }

    @Test func aFirstSessionNeedsNothing() throws {
        try Eligibility.check(try ServiceSelection([.chatFirst]), history: [], now: self.now)
    }

    @Test func additionalTimeWithoutAFirstSessionIsRefusedWithTheReason() {
        #expect(
            throws: BookingError.notEligible(
                reason: "additional chat time is only for clients who have completed a first chat session")
        ) {
            try Eligibility.check(try ServiceSelection([.chatMore]), history: [], now: self.now)
        }
    }

    @Test func anApprovedSessionThatEndedCounts() throws {
        let past = self.booking(
            .chatFirst, endingAt: self.now.addingTimeInterval(-3600), through: [self.paid(.chatFirst), .approved])
        try Eligibility.check(try ServiceSelection([.chatMore]), history: [past], now: self.now)
    }

    @Test func aSessionMarkedCompletedCounts() throws {
        let done = self.booking(
            .chatFirst, endingAt: self.now.addingTimeInterval(-3600),
            through: [self.paid(.chatFirst), .approved, .completed])
        try Eligibility.check(try ServiceSelection([.chatMore]), history: [done], now: self.now)
    }

    @Test func anApprovedSessionStillAheadDoesNotCount() {
        let ahead = self.booking(
            .chatFirst, endingAt: self.now.addingTimeInterval(3600), through: [self.paid(.chatFirst), .approved])
        #expect(throws: BookingError.self) {
            try Eligibility.check(try ServiceSelection([.chatMore]), history: [ahead], now: self.now)
        }
    }

    @Test(arguments: [
        [BookingEvent.canceled], [.paymentWindowLapsed], [.markedPaidOffline, .rejected],
        [.markedPaidOffline, .approved, .markedNoShow],
        [.markedPaidOffline],
    ])
    func closedOrPendingSessionsDoNotCount(events: [BookingEvent]) {
        let past = self.booking(.chatFirst, endingAt: self.now.addingTimeInterval(-3600), through: events)
        #expect(throws: BookingError.self) {
            try Eligibility.check(try ServiceSelection([.chatMore]), history: [past], now: self.now)
        }
    }

    @Test func theFirstSessionMustBeOfTheSameCategory() {
        let call = self.booking(
            .callFirst, endingAt: self.now.addingTimeInterval(-3600),
            through: [self.paid(.callFirst), .approved, .completed])
        #expect(throws: BookingError.self) {
            try Eligibility.check(try ServiceSelection([.chatMore]), history: [call], now: self.now)
        }
        #expect(throws: Never.self) {
            try Eligibility.check(try ServiceSelection([.callMore]), history: [call], now: self.now)
        }
    }
}
