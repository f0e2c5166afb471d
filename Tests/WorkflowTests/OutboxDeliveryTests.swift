import Booking
import Foundation
import Payments
import TestSupport
import Testing
import Workflow

/// The one outbox loop, driven through the provider worker: a retryable failure backs off, a refusal is parked and
/// tells the admins, a success is marked delivered.
@Suite struct OutboxDeliveryTests {
    /// A provider whose refunds fail as told; every other call is refused.
    struct RefundingProvider: PaymentProvider {
        var failure: ProviderFailure?
        func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession { throw self.unused }
        func checkout(id: String) async throws -> CheckoutSession { throw self.unused }
        func expireCheckout(id: String, idempotencyKey: String) async throws -> CheckoutSession { throw self.unused }
        func events(_ query: EventQuery) async throws -> EventPage { throw self.unused }
        func refund(_ request: RefundRequest) async throws -> ProviderRefund {
            if let failure { throw failure }
            return ProviderRefund(
                id: "re_1", amountMinorUnits: request.amountMinorUnits ?? 0, currency: "eur",
                paymentIntentID: request.paymentIntentID, status: "succeeded")
        }
        var unused: ProviderFailure { ProviderFailure(.permanent, message: "not used by this test") }
    }

    /// A paid booking rejected by an admin: one refund row waits in the outbox.
    static func rejectedPaidBooking(provider: RefundingProvider) async throws -> (TestPractice, Booking) {
        let practice = try await TestPractice(provider: provider)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        _ = try await practice.workflow.admin.reject(booking.id, AdminDecision(admin: AdminID(rawValue: "adm_1")))
        return (practice, booking)
    }

    static func refundRow(_ practice: TestPractice, _ booking: Booking) async throws -> OutboxMessage {
        try #require(
            try await practice.store.read { try await $0.outbox(of: booking.id) }.first {
                if case .refund = $0.effect { true } else { false }
            })
    }

    @Test func aRetryableFailureBacksOffAndKeepsItsError() async throws {
        let (practice, booking) = try await Self.rejectedPaidBooking(
            provider: RefundingProvider(failure: ProviderFailure(.retryable, message: "provider unreachable")))
        #expect(try await ProviderOutboxWorker(workflow: practice.workflow).deliverDue() == 0)
        let row = try await Self.refundRow(practice, booking)
        #expect(row.deliveredAt == nil)
        #expect(row.attempts == 1)
        #expect(row.lastError == "provider unreachable")
        #expect(row.availableAt == practice.clock.now().addingTimeInterval(OutboxDelivery.backoff(afterAttempt: 1)))
    }

    @Test func aRefusalIsParkedAndTellsTheAdmins() async throws {
        let (practice, booking) = try await Self.rejectedPaidBooking(
            provider: RefundingProvider(failure: ProviderFailure(.permanent, message: "charge disputed")))
        let before = try await practice.store.read { try await $0.outbox(of: booking.id) }.count
        #expect(try await ProviderOutboxWorker(workflow: practice.workflow).deliverDue() == 0)
        let row = try await Self.refundRow(practice, booking)
        #expect(row.deliveredAt == nil)
        #expect(row.availableAt > practice.clock.now().addingTimeInterval(86_400 * 300))
        let rows = try await practice.store.read { try await $0.outbox(of: booking.id) }
        #expect(rows.count == before + 1)
        #expect(rows.last?.effect == .emailAdmins(.paymentNeedsAttention))
    }

    @Test func aDeliveredRowIsMarkedAndNotSentAgain() async throws {
        let (practice, booking) = try await Self.rejectedPaidBooking(provider: RefundingProvider(failure: nil))
        #expect(try await ProviderOutboxWorker(workflow: practice.workflow).deliverDue() == 1)
        #expect(try await Self.refundRow(practice, booking).deliveredAt != nil)
        #expect(try await ProviderOutboxWorker(workflow: practice.workflow).deliverDue() == 0)
    }

    @Test func theBackoffDoublesUpToTenMinutes() {
        #expect(OutboxDelivery.backoff(afterAttempt: 1) == 2)
        #expect(OutboxDelivery.backoff(afterAttempt: 3) == 8)
        #expect(OutboxDelivery.backoff(afterAttempt: 40) == 600)
    }
}
