import Booking
import Foundation
import TestSupport
import Testing
import Workflow

/// The provider's payment facts, applied once each, never losing money.
@Suite struct PaymentEventTests {
    let admin = AdminDecision(admin: AdminID(rawValue: "adm_1"))

    @Test(arguments: StoreKind.allCases) func aDuplicateEventIsAcknowledgedAndAppliedOnce(kind: StoreKind) async throws
    {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        let event = practice.paidEvent(for: booking, eventID: "evt_once")
        #expect(
            try await practice.workflow.payments.applyPaymentEvent(event)
                == .applied(booking.id, from: .awaitingPayment, to: .awaitingApproval))
        #expect(try await practice.workflow.payments.applyPaymentEvent(event) == .duplicate)
        // The same payment under another event id (checkout.session.completed then async_payment_succeeded).
        #expect(
            try await practice.workflow.payments.applyPaymentEvent(
                practice.paidEvent(for: booking, eventID: "evt_other"))
                == .ignored(reason: "already applied"))
        let history = try await practice.workflow.history(of: booking.id)
        #expect(history.filter { $0.event == "paymentSucceeded" }.count == 1)
    }

    @Test(arguments: StoreKind.allCases) func tenConcurrentDeliveriesOfOneEventApplyItOnce(kind: StoreKind) async throws
    {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        let event = practice.paidEvent(for: booking, eventID: "evt_storm")
        let outcomes = try await withThrowingTaskGroup(of: PaymentEventOutcome.self) { group in
            for _ in 0..<10 { group.addTask { try await practice.workflow.payments.applyPaymentEvent(event) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .duplicate }.count == 9)
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(effects.filter { $0 == .emailClient(.paymentReceived) }.count == 1)
    }

    @Test(arguments: StoreKind.allCases) func aWrongAmountIsFlaggedAndNotMarkedPaid(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        let outcome = try await practice.workflow.payments.applyPaymentEvent(
            practice.paidEvent(for: booking, amount: Money(minorUnits: 100, currency: .eur)))
        #expect(outcome == .flagged(booking.id, from: .awaitingPayment, to: .awaitingPayment, flags: [.amountMismatch]))
        let flagged = try await practice.workflow.booking(booking.id)
        #expect(flagged.payment.status == .unpaid)
        #expect(flagged.lifecycle.attention == [.amountMismatch])
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(effects.last == .emailAdmins(.paymentNeedsAttention))
    }

    @Test(arguments: StoreKind.allCases) func aLatePaymentRetakesItsSlotWhenStillFree(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        practice.clock.advance(by: 31 * 60)
        #expect(try await practice.workflow.holds.expireLapsedHolds() == [booking.id])
        #expect(try await practice.workflow.booking(booking.id).state == .expired)
        let outcome = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        #expect(outcome == .applied(booking.id, from: .expired, to: .awaitingApproval))
        // The slot is taken again.
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.clients.book(practice.request(email: "max@example.com"))
        }
    }

    @Test(arguments: StoreKind.allCases) func aLatePaymentWhoseSlotIsGoneIsRefunded(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        practice.clock.advance(by: 31 * 60)
        // The hold lapsed and, before any expiry job ran, Max booked the same time.
        let max = try await practice.workflow.clients.book(practice.request(email: "max@example.com")).booking
        let outcome = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        #expect(outcome == .flagged(booking.id, from: .expired, to: .expired, flags: [.latePaymentSlotTaken]))
        let late = try await practice.workflow.booking(booking.id)
        #expect(late.payment.status == .refundPending)
        #expect(late.lifecycle.attention == [.latePaymentSlotTaken])
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(effects.contains(.emailClient(.latePaymentRefunded)))
        #expect(effects.contains { if case .refund(let order, _) = $0 { order.minorUnits == 4500 } else { false } })
        #expect(try await practice.workflow.booking(max.id).state == .awaitingPayment)
        let history = try await practice.workflow.history(of: booking.id)
        #expect(history.map(\.event) == ["created", "paymentWindowLapsed", "paymentSucceeded"])
        #expect(history[1].actor == .system)
    }

    /// Taking its slot back is placing the booking again, with the staff member's buffer of now: a neighbour booked
    /// under a larger buffer keeps it. (Checked with the booking's own older buffer, PostgreSQL's overlap check
    /// would refuse the write and the webhook would fail.)
    @Test(arguments: StoreKind.allCases) func aLatePaymentTakesItsSlotBackOnlyWithTheBufferOfNow(kind: StoreKind)
        async throws
    {
        let practice = try await TestPractice(kind: kind)
        try await practice.setCamillesBuffer(0)
        let zoe = try await practice.workflow.clients.book(practice.request()).booking
        let lea = try await practice.workflow.clients.book(
            practice.request(at: zoe.start.addingTimeInterval(3 * 3600), email: "lea@example.com")
        ).booking
        #expect(zoe.bufferMinutes == 0)
        practice.clock.advance(by: 31 * 60)
        #expect(Set(try await practice.workflow.holds.expireLapsedHolds()) == [zoe.id, lea.id])
        // Once the buffer is an hour, Max books 15 minutes after Zoë's lapsed booking, 75 minutes before Léa's.
        try await practice.setCamillesBuffer(60)
        let max = try await practice.workflow.clients.book(
            practice.request(at: zoe.end.addingTimeInterval(15 * 60), email: "max@example.com")
        ).booking
        #expect(
            try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: zoe))
                == .flagged(zoe.id, from: .expired, to: .expired, flags: [.latePaymentSlotTaken]))
        #expect(try await practice.workflow.booking(max.id).state == .awaitingPayment)
        #expect(
            try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: lea))
                == .applied(lea.id, from: .expired, to: .awaitingApproval))
        #expect(try await practice.workflow.booking(lea.id).bufferMinutes == 60)
    }

    @Test(arguments: StoreKind.allCases) func anEventForNoBookingOfOursIsAcknowledged(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let event = PaymentEvent(
            id: "evt_x", type: "checkout.session.completed", bookingID: BookingID(rawValue: "bk_unknown"),
            kind: .succeeded(PaymentReceipt(amount: Money(minorUnits: 1, currency: .eur))))
        #expect(try await practice.workflow.payments.applyPaymentEvent(event) == .unknownBooking)
        #expect(try await practice.workflow.payments.applyPaymentEvent(event) == .duplicate)
    }

    @Test(arguments: StoreKind.allCases) func anEventTheStateCannotTakeIsKeptInTheHistoryAndAcknowledged(
        kind: StoreKind
    ) async throws {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        let failed = PaymentEvent(
            id: "evt_failed", type: "checkout.session.async_payment_failed", bookingID: booking.id,
            kind: .failed(reason: "late failure"))
        guard case .ignored = try await practice.workflow.payments.applyPaymentEvent(failed) else {
            Issue.record("expected the event to be ignored")
            return
        }
        #expect(try await practice.workflow.booking(booking.id).payment.status == .paid)
        let last = try #require(try await practice.workflow.history(of: booking.id).last)
        #expect(last.providerEventID == "evt_failed")
        #expect(last.reason?.hasPrefix("not applied") == true)
    }

    @Test(arguments: StoreKind.allCases) func rejectingAPaidBookingRefundsItAndTheRefundIsConfirmed(kind: StoreKind)
        async throws
    {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        let rejected = try await practice.workflow.admin.reject(
            booking.id, AdminDecision(admin: AdminID(rawValue: "adm_1"), note: "Fully booked that week"))
        #expect(rejected.state == .rejected)
        #expect(rejected.payment.status == .refundPending)
        let refunds = try await practice.store.read { try await $0.outbox(of: booking.id) }.compactMap {
            message -> (RefundOrder, String)? in
            if case .refund(let order, let key) = message.effect { return (order, key) }
            return nil
        }
        #expect(refunds.count == 1)
        #expect(
            refunds.first?.0 == RefundOrder(minorUnits: 4500, currency: .eur, paymentIntentID: "pi_test_\(booking.id)"))
        #expect(refunds.first?.1.hasPrefix("rdv-refund-\(booking.id)-") == true)
        let refunded = PaymentEvent(
            id: "evt_refund", type: "charge.refunded", bookingID: booking.id,
            kind: .refunded(totalMinorUnits: 4500, paymentIntentID: "pi_test_\(booking.id)"))
        #expect(
            try await practice.workflow.payments.applyPaymentEvent(refunded)
                == .applied(booking.id, from: .rejected, to: .rejected))
        #expect(try await practice.workflow.booking(booking.id).payment.status == .refunded)
        // The same total again, under another event id and found by the payment intent alone: counted once.
        let again = PaymentEvent(
            id: "evt_refund_2", type: "charge.refunded", bookingID: nil,
            kind: .refunded(totalMinorUnits: 4500, paymentIntentID: "pi_test_\(booking.id)"))
        #expect(
            try await practice.workflow.payments.applyPaymentEvent(again) == .ignored(reason: "refund already counted"))
    }

    @Test(arguments: StoreKind.allCases) func anExpiredCheckoutIsForgottenSoTheLinkOpensANewOne(kind: StoreKind)
        async throws
    {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.attachCheckout(bookingID: booking.id, checkoutSessionID: "cs_1")
        #expect(try await practice.workflow.booking(booking.id).payment.checkoutSessionID == "cs_1")
        let expired = PaymentEvent(
            id: "evt_exp", type: "checkout.session.expired", bookingID: booking.id,
            kind: .checkoutExpired(checkoutSessionID: "cs_1"))
        _ = try await practice.workflow.payments.applyPaymentEvent(expired)
        #expect(try await practice.workflow.booking(booking.id).payment.checkoutSessionID == nil)
        #expect(try await practice.workflow.booking(booking.id).state == .awaitingPayment)
    }

    @Test(arguments: StoreKind.allCases) func lapsedHoldsExpireAndFreeTheirSlot(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.attachCheckout(bookingID: booking.id, checkoutSessionID: "cs_1")
        practice.clock.advance(by: 29 * 60)
        #expect(try await practice.workflow.holds.expireLapsedHolds().isEmpty)
        practice.clock.advance(by: 60)
        #expect(try await practice.workflow.holds.expireLapsedHolds() == [booking.id])
        let expired = try await practice.workflow.booking(booking.id)
        #expect(expired.state == .expired)
        #expect(expired.holdUntil == nil)
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(effects.suffix(2) == [.expireCheckout(checkoutSessionID: "cs_1"), .emailClient(.paymentLapsed)])
        _ = try await practice.workflow.clients.book(practice.request(email: "max@example.com"))
    }
}
