import Booking
import Foundation
import Testing

/// The whole transition table: every (state, event) pair, with no I/O.
@Suite struct BookingStateMachineTests {
    static let price = Money(minorUnits: 4500, currency: .eur)
    /// The payment that settled the sample bookings that are paid.
    static let firstPayment = PaymentReceipt(amount: price, checkoutSessionID: "cs_first", paymentIntentID: "pi_first")
    /// The payment the table's `paymentSucceeded` event carries: a new one.
    static let newPayment = PaymentReceipt(amount: price, checkoutSessionID: "cs_new", paymentIntentID: "pi_new")

    /// A lifecycle in the given state, reached through legal events from `open`, as a booking would get there.
    static func lifecycle(in state: BookingState) -> BookingLifecycle {
        func opened(_ confirmation: ConfirmationMode = .none) -> BookingLifecycle {
            BookingLifecycle.open(confirmation: confirmation, payment: .link, approval: .manual, price: price).lifecycle
        }
        func applying(_ events: [BookingEvent], to start: BookingLifecycle) -> BookingLifecycle {
            var lifecycle = start
            for event in events { _ = try! lifecycle.apply(event) }
            return lifecycle
        }
        let pay = BookingEvent.paymentSucceeded(firstPayment, slotStillFree: true)
        return switch state {
        case .awaitingClientConfirmation: opened(.askClient)
        case .awaitingPayment: opened()
        case .awaitingApproval: applying([pay], to: opened())
        case .approved: applying([pay, .approved], to: opened())
        case .completed: applying([pay, .approved, .completed], to: opened())
        case .noShow: applying([pay, .approved, .markedNoShow], to: opened())
        case .rejected: applying([pay, .rejected], to: opened())
        case .canceled: applying([.canceled], to: opened())
        case .expired: applying([.paymentWindowLapsed], to: opened())
        }
    }

    static func event(_ kind: BookingEventKind) -> BookingEvent {
        switch kind {
        case .paymentSucceeded: .paymentSucceeded(newPayment, slotStillFree: true)
        case .paymentFailed: .paymentFailed(reason: "card_declined")
        case .paymentWindowLapsed: .paymentWindowLapsed
        case .clientConfirmed: .clientConfirmed
        case .approved: .approved
        case .rejected: .rejected
        case .canceled: .canceled
        case .rescheduled: .rescheduled
        case .completed: .completed
        case .markedNoShow: .markedNoShow
        case .refunded: .refunded(minorUnits: 4500, paymentIntentID: "pi_first")
        case .markedPaidOffline: .markedPaidOffline
        case .putBackOnHold: .putBackOnHold
        }
    }

    /// What a legal pair must give.
    struct Expected: Sendable {
        var to: BookingState
        var actions: [BookingAction]
    }

    static let refundFirst = BookingAction.refund(
        RefundOrder(minorUnits: 4500, currency: .eur, paymentIntentID: "pi_first"))
    static let refundNew = BookingAction.refund(
        RefundOrder(minorUnits: 4500, currency: .eur, paymentIntentID: "pi_new"))
    static let attention = BookingAction.notifyAdmins(.paymentNeedsAttention)
    static let settledForApproval: [BookingAction] = [
        .notifyClient(.paymentReceived), .notifyAdmins(.awaitingApproval),
    ]

    /// The table, written from the product's rules. A pair missing here must be illegal.
    static let table: [BookingState: [BookingEventKind: Expected]] = [
        .awaitingClientConfirmation: [
            .paymentSucceeded: Expected(to: .awaitingApproval, actions: settledForApproval),
            .paymentFailed: Expected(to: .awaitingClientConfirmation, actions: [.notifyClient(.paymentFailed)]),
            .paymentWindowLapsed: Expected(
                to: .expired, actions: [.releaseHold, .expireCheckout, .notifyClient(.paymentLapsed)]),
            .clientConfirmed: Expected(to: .awaitingPayment, actions: [.notifyClient(.paymentRequested)]),
            .rejected: Expected(to: .rejected, actions: [.releaseHold, .expireCheckout, .notifyClient(.rejected)]),
            .canceled: Expected(to: .canceled, actions: [.releaseHold, .expireCheckout, .notifyClient(.canceled)]),
            .rescheduled: Expected(to: .awaitingClientConfirmation, actions: [.notifyClient(.rescheduled)]),
            .markedPaidOffline: Expected(to: .awaitingClientConfirmation, actions: []),
        ],
        .awaitingPayment: [
            .paymentSucceeded: Expected(to: .awaitingApproval, actions: settledForApproval),
            .paymentFailed: Expected(to: .awaitingPayment, actions: [.notifyClient(.paymentFailed)]),
            .paymentWindowLapsed: Expected(
                to: .expired, actions: [.releaseHold, .expireCheckout, .notifyClient(.paymentLapsed)]),
            .rejected: Expected(to: .rejected, actions: [.releaseHold, .expireCheckout, .notifyClient(.rejected)]),
            .canceled: Expected(to: .canceled, actions: [.releaseHold, .expireCheckout, .notifyClient(.canceled)]),
            .rescheduled: Expected(to: .awaitingPayment, actions: [.notifyClient(.rescheduled)]),
            .markedPaidOffline: Expected(to: .awaitingApproval, actions: settledForApproval),
        ],
        .awaitingApproval: [
            .paymentSucceeded: Expected(to: .awaitingApproval, actions: [refundNew, attention]),
            .approved: Expected(to: .approved, actions: [.notifyClient(.approved)]),
            .rejected: Expected(to: .rejected, actions: [.releaseHold, refundFirst, .notifyClient(.rejected)]),
            .canceled: Expected(to: .canceled, actions: [.releaseHold, refundFirst, .notifyClient(.canceled)]),
            .rescheduled: Expected(to: .awaitingApproval, actions: [.notifyClient(.rescheduled)]),
            .refunded: Expected(to: .awaitingApproval, actions: [attention]),
        ],
        .approved: [
            .paymentSucceeded: Expected(to: .approved, actions: [refundNew, attention]),
            .canceled: Expected(to: .canceled, actions: [.releaseHold, refundFirst, .notifyClient(.canceled)]),
            .rescheduled: Expected(to: .approved, actions: [.notifyClient(.rescheduled)]),
            .putBackOnHold: Expected(to: .awaitingApproval, actions: [.notifyClient(.pendingAgain)]),
            .completed: Expected(to: .completed, actions: []),
            .markedNoShow: Expected(to: .noShow, actions: []),
            .refunded: Expected(to: .approved, actions: [attention]),
        ],
        .completed: [
            .paymentSucceeded: Expected(to: .completed, actions: [refundNew, attention]),
            .refunded: Expected(to: .completed, actions: [attention]),
        ],
        .noShow: [
            .paymentSucceeded: Expected(to: .noShow, actions: [refundNew, attention]),
            .refunded: Expected(to: .noShow, actions: [attention]),
        ],
        .rejected: [
            .paymentSucceeded: Expected(to: .rejected, actions: [refundNew, attention]),
            .refunded: Expected(to: .rejected, actions: []),
        ],
        .canceled: [
            .paymentSucceeded: Expected(to: .canceled, actions: [refundNew, attention])
        ],
        .expired: [
            .paymentSucceeded: Expected(to: .awaitingApproval, actions: [.retakeSlot] + settledForApproval)
        ],
    ]

    static var allPairs: [(BookingState, BookingEventKind)] {
        BookingState.allCases.flatMap { state in BookingEventKind.allCases.map { (state, $0) } }
    }

    @Test("every (state, event) pair", arguments: allPairs)
    func transition(state: BookingState, kind: BookingEventKind) throws {
        var lifecycle = Self.lifecycle(in: state)
        try #require(lifecycle.state == state)
        let before = lifecycle
        if let expected = Self.table[state]?[kind] {
            let transition = try lifecycle.apply(Self.event(kind))
            #expect(transition.from == state)
            #expect(transition.to == expected.to)
            #expect(lifecycle.state == expected.to)
            #expect(transition.event == kind)
            #expect(transition.actions == expected.actions)
        } else {
            #expect(throws: BookingError.illegalTransition(from: state, event: kind)) {
                try lifecycle.apply(Self.event(kind))
            }
            #expect(lifecycle == before, "an illegal event changes nothing")
        }
    }

    @Test func illegalTransitionErrorNamesStateAndEvent() {
        let error = BookingError.illegalTransition(from: .completed, event: .approved)
        #expect(error.code == "illegal_transition")
        #expect(error.message.contains("completed"))
        #expect(error.message.contains("approved"))
    }

    @Test func paymentMarksPaidWithAmountAndReferences() throws {
        var lifecycle = Self.lifecycle(in: .awaitingPayment)
        _ = try lifecycle.apply(.paymentSucceeded(Self.newPayment, slotStillFree: true))
        #expect(lifecycle.payment.status == .paid)
        #expect(lifecycle.payment.receivedMinorUnits == 4500)
        #expect(lifecycle.payment.paymentIntentID == "pi_new")
        #expect(lifecycle.payment.checkoutSessionID == "cs_new")
    }

    @Test func theSamePaymentReportedTwiceChangesNothing() throws {
        var lifecycle = Self.lifecycle(in: .awaitingApproval)
        let before = lifecycle
        let transition = try lifecycle.apply(.paymentSucceeded(Self.firstPayment, slotStillFree: true))
        #expect(!transition.changedAnything)
        #expect(transition.actions.isEmpty)
        #expect(lifecycle == before)
    }

    @Test func automaticApprovalGoesStraightToApproved() throws {
        var lifecycle = BookingLifecycle.open(
            confirmation: .none, payment: .link, approval: .automatic, price: Self.price
        ).lifecycle
        let transition = try lifecycle.apply(.paymentSucceeded(Self.newPayment, slotStillFree: true))
        #expect(transition.to == .approved)
        #expect(transition.actions == [.notifyClient(.approved)])
    }

    @Test(arguments: [
        Money(minorUnits: 4000, currency: .eur), Money(minorUnits: 4500, currency: Currency("USD")!),
    ])
    func aWrongAmountIsFlaggedNotMarkedPaid(amount: Money) throws {
        var lifecycle = Self.lifecycle(in: .awaitingPayment)
        let transition = try lifecycle.apply(
            .paymentSucceeded(PaymentReceipt(amount: amount, paymentIntentID: "pi_x"), slotStillFree: true))
        #expect(lifecycle.state == .awaitingPayment)
        #expect(lifecycle.payment.status == .unpaid)
        #expect(lifecycle.attention.contains(.amountMismatch))
        #expect(transition.actions == [.notifyAdmins(.paymentNeedsAttention)])
    }

    @Test func aLatePaymentWhoseSlotWasTakenIsRefunded() throws {
        var lifecycle = Self.lifecycle(in: .expired)
        let transition = try lifecycle.apply(.paymentSucceeded(Self.newPayment, slotStillFree: false))
        #expect(lifecycle.state == .expired)
        #expect(lifecycle.payment.status == .refundPending)
        #expect(lifecycle.attention == [.latePaymentSlotTaken])
        #expect(transition.actions == [Self.refundNew, .notifyClient(.latePaymentRefunded), Self.attention])
    }

    @Test func refundConfirmationsSettleTheRefund() throws {
        var lifecycle = Self.lifecycle(in: .rejected)
        #expect(lifecycle.payment.status == .refundPending)
        _ = try lifecycle.apply(.refunded(minorUnits: 2000, paymentIntentID: "pi_first"))
        #expect(lifecycle.payment.status == .refundPending)
        _ = try lifecycle.apply(.refunded(minorUnits: 2500, paymentIntentID: "pi_first"))
        #expect(lifecycle.payment.status == .refunded)
        #expect(throws: BookingError.illegalTransition(from: .rejected, event: .refunded)) {
            try lifecycle.apply(.refunded(minorUnits: 1, paymentIntentID: "pi_first"))
        }
    }

    @Test func cancelingAnOfflinePaymentAsksAnAdminToRefund() throws {
        var lifecycle = BookingLifecycle.open(
            confirmation: .none, payment: .offline, approval: .manual, price: Self.price
        ).lifecycle
        #expect(lifecycle.state == .awaitingApproval)
        let transition = try lifecycle.apply(.canceled)
        #expect(transition.actions == [.releaseHold, Self.attention, .notifyClient(.canceled)])
        #expect(lifecycle.attention == [.offlineRefundDue])
        #expect(lifecycle.payment.status == .refundPending)
    }

    @Test func cancelingAFreeBookingRefundsNothing() throws {
        var lifecycle = BookingLifecycle.open(
            confirmation: .none, payment: .free, approval: .automatic, price: .zero(.eur)
        ).lifecycle
        #expect(lifecycle.state == .approved)
        #expect(lifecycle.payment.status == .notRequired)
        let transition = try lifecycle.apply(.canceled)
        #expect(transition.actions == [.releaseHold, .notifyClient(.canceled)])
    }

    @Test(arguments: [
        (ConfirmationMode.none, PaymentMethod.link, ApprovalMode.manual, BookingState.awaitingPayment),
        (.none, .offline, .manual, .awaitingApproval),
        (.none, .offline, .automatic, .approved),
        (.none, .free, .manual, .awaitingApproval),
        (.none, .free, .automatic, .approved),
        (.askClient, .link, .manual, .awaitingClientConfirmation),
        (.askClient, .offline, .automatic, .awaitingClientConfirmation),
        (.askClient, .free, .manual, .awaitingClientConfirmation),
    ])
    func openingStates(
        confirmation: ConfirmationMode, payment: PaymentMethod, approval: ApprovalMode, expected: BookingState
    ) {
        let opened = BookingLifecycle.open(
            confirmation: confirmation, payment: payment, approval: approval, price: Self.price)
        #expect(opened.lifecycle.state == expected)
    }

    @Test func confirmingAnOfflinePaidBookingFollowsTheApprovalMode() throws {
        var lifecycle = BookingLifecycle.open(
            confirmation: .askClient, payment: .offline, approval: .automatic, price: Self.price
        ).lifecycle
        let transition = try lifecycle.apply(.clientConfirmed)
        #expect(transition.to == .approved)
    }
}
