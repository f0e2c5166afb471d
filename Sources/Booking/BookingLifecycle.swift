import Foundation

/// Whether a booking made by an admin waits for the client to confirm it first.
public enum ConfirmationMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// The booking stands as made.
    case none
    /// The client must confirm before paying.
    case askClient
}

/// A booking's state machine: its state, its payment and what needs attention.
///
/// Each event goes through `apply(_:)`, which returns the transition and the actions it causes, or throws
/// `BookingError.illegalTransition` naming the state and the event. Nothing else changes the state.
public struct BookingLifecycle: Hashable, Sendable, Codable {
    public private(set) var state: BookingState
    public private(set) var payment: PaymentRecord
    /// What settlement leads to: `manual` waits in `awaitingApproval`, `automatic` goes straight to `approved`.
    public let approvalOnSettlement: ApprovalMode
    /// Money matters an admin must look at.
    public private(set) var attention: Set<AttentionFlag>
    /// Money received beyond the price (a second payment, a payment after closing): always refunded.
    public private(set) var surplusReceivedMinorUnits: Int64
    /// Of the surplus, what the provider confirmed as refunded.
    public private(set) var surplusRefundedMinorUnits: Int64

    /// Rebuilds a stored lifecycle. For storage adapters only: everything else goes through `open` and `apply`.
    public init(
        restoring state: BookingState, payment: PaymentRecord, approvalOnSettlement: ApprovalMode,
        attention: Set<AttentionFlag>, surplusReceivedMinorUnits: Int64, surplusRefundedMinorUnits: Int64
    ) {
        self.state = state
        self.payment = payment
        self.approvalOnSettlement = approvalOnSettlement
        self.attention = attention
        self.surplusReceivedMinorUnits = surplusReceivedMinorUnits
        self.surplusRefundedMinorUnits = surplusRefundedMinorUnits
    }

    /// The lifecycle of a new booking and the actions of its creation.
    ///
    /// A booking with a payment to make or a confirmation to give holds its slot; one that is already settled
    /// (paid offline or free) goes straight to approval.
    public static func open(
        confirmation: ConfirmationMode, payment method: PaymentMethod, approval: ApprovalMode, price: Money
    ) -> (lifecycle: BookingLifecycle, actions: [BookingAction]) {
        var lifecycle = BookingLifecycle(
            restoring: .awaitingPayment, payment: PaymentRecord(method: method, expected: price),
            approvalOnSettlement: approval,
            attention: [], surplusReceivedMinorUnits: 0, surplusRefundedMinorUnits: 0
        )
        if method == .offline {
            lifecycle.payment.status = .paid
            lifecycle.payment.receivedMinorUnits = price.minorUnits
        }
        if confirmation == .askClient {
            lifecycle.state = .awaitingClientConfirmation
            return (lifecycle, [.notifyClient(.confirmationRequested)])
        }
        guard lifecycle.payment.isSettled else { return (lifecycle, []) }
        lifecycle.state = approval == .automatic ? .approved : .awaitingApproval
        return (lifecycle, approval == .automatic ? [.notifyClient(.approved)] : [])
    }

    /// Applies one event. Legal events return the transition; illegal ones throw and change nothing.
    public mutating func apply(_ event: BookingEvent) throws(BookingError) -> Transition {
        let from = self.state
        var next = self
        let actions = try next.reduce(event)
        let changed = next != self
        self = next
        return Transition(from: from, to: self.state, event: event.kind, actions: actions, changedAnything: changed)
    }

    /// Remembers the provider checkout session opened for this booking's payment link (not a state change).
    public mutating func attachCheckout(sessionID: String?) { self.payment.checkoutSessionID = sessionID }

    /// Clears a flag an admin has dealt with.
    public mutating func resolve(_ flag: AttentionFlag) { self.attention.remove(flag) }

    // MARK: - The transition table

    private mutating func reduce(_ event: BookingEvent) throws(BookingError) -> [BookingAction] {
        let illegal = BookingError.illegalTransition(from: self.state, event: event.kind)
        switch (self.state, event) {
        case (_, .paymentSucceeded(let receipt, let slotStillFree)):
            return self.receive(receipt, slotStillFree: slotStillFree)

        case (.awaitingPayment, .paymentFailed), (.awaitingClientConfirmation, .paymentFailed):
            guard !self.payment.isSettled else { throw illegal }
            self.payment.status = .failed
            return [.notifyClient(.paymentFailed)]

        case (.awaitingPayment, .paymentWindowLapsed), (.awaitingClientConfirmation, .paymentWindowLapsed):
            guard !self.payment.isSettled else { throw illegal }
            self.state = .expired
            return [.releaseHold, .expireCheckout, .notifyClient(.paymentLapsed)]

        case (.awaitingClientConfirmation, .clientConfirmed):
            if self.payment.isSettled { return self.enterApproval(notice: nil) }
            self.state = .awaitingPayment
            return [.notifyClient(.paymentRequested)]

        case (.awaitingApproval, .approved):
            self.state = .approved
            return [.notifyClient(.approved)]

        case (.awaitingClientConfirmation, .rejected), (.awaitingPayment, .rejected), (.awaitingApproval, .rejected):
            self.state = .rejected
            return self.closeAndRefund(notice: .rejected)

        case (.awaitingClientConfirmation, .canceled), (.awaitingPayment, .canceled), (.awaitingApproval, .canceled),
            (.approved, .canceled):
            self.state = .canceled
            return self.closeAndRefund(notice: .canceled)

        case (.awaitingClientConfirmation, .rescheduled), (.awaitingPayment, .rescheduled),
            (.awaitingApproval, .rescheduled),
            (.approved, .rescheduled):
            return [.notifyClient(.rescheduled)]

        case (.approved, .putBackOnHold):
            self.state = .awaitingApproval
            return [.notifyClient(.pendingAgain)]

        case (.approved, .completed):
            self.state = .completed
            return []

        case (.approved, .markedNoShow):
            self.state = .noShow
            return []

        case (_, .refunded(let minorUnits, let paymentIntentID)):
            return try self.confirmRefund(minorUnits: minorUnits, paymentIntentID: paymentIntentID, illegal: illegal)

        case (.awaitingPayment, .markedPaidOffline), (.awaitingClientConfirmation, .markedPaidOffline):
            guard self.payment.status == .unpaid || self.payment.status == .failed else { throw illegal }
            self.payment.status = .paid
            self.payment.method = .offline
            self.payment.receivedMinorUnits = self.payment.expected.minorUnits
            self.attention.remove(.amountMismatch)
            if self.state == .awaitingClientConfirmation { return [] }
            return self.enterApproval(notice: .paymentReceived)

        default:
            throw illegal
        }
    }

    /// Settled: approve at once or wait for an admin, as the booking's approval mode says.
    private mutating func enterApproval(notice: ClientNotice?) -> [BookingAction] {
        if self.approvalOnSettlement == .automatic {
            self.state = .approved
            return [.notifyClient(.approved)]
        }
        self.state = .awaitingApproval
        return (notice.map { [BookingAction.notifyClient($0)] } ?? []) + [.notifyAdmins(.awaitingApproval)]
    }

    /// Closes a booking that may hold money: frees the slot, stops the checkout, refunds what was received.
    private mutating func closeAndRefund(notice: ClientNotice) -> [BookingAction] {
        var actions: [BookingAction] = [.releaseHold]
        if !self.payment.isSettled { actions.append(.expireCheckout) }
        actions += self.refundEverything()
        actions.append(.notifyClient(notice))
        return actions
    }

    /// Queues the refund of whatever was received and not yet refunded.
    private mutating func refundEverything() -> [BookingAction] {
        let amount = self.payment.refundableMinorUnits
        guard amount > 0 else { return [] }
        self.payment.refundRequestedMinorUnits += amount
        self.payment.status = .refundPending
        if self.payment.method == .offline {
            self.attention.insert(.offlineRefundDue)
            return [.notifyAdmins(.paymentNeedsAttention)]
        }
        let order = RefundOrder(
            minorUnits: amount, currency: self.payment.expected.currency, paymentIntentID: self.payment.paymentIntentID)
        return [.refund(order)]
    }

    /// Money arrived. Money is never lost: whatever cannot be applied is refunded or flagged for an admin.
    private mutating func receive(_ receipt: PaymentReceipt, slotStillFree: Bool) -> [BookingAction] {
        if self.alreadyApplied(receipt) { return [] }
        let awaitingMoney = self.payment.status == .unpaid || self.payment.status == .failed
        let canTakePayment =
            self.state == .awaitingPayment || self.state == .awaitingClientConfirmation || self.state == .expired
        guard awaitingMoney, canTakePayment || self.state == .rejected || self.state == .canceled else {
            // Already settled (or the booking closed after settling): a second payment, given back.
            return self.refundSurplus(receipt, flag: self.payment.isSettled ? .duplicatePayment : .paymentAfterClose)
        }
        guard receipt.amount == self.payment.expected else {
            // Another amount or currency than the price snapshot: not marked paid; an admin decides.
            self.attention.insert(.amountMismatch)
            self.payment.checkoutSessionID = receipt.checkoutSessionID ?? self.payment.checkoutSessionID
            return [.notifyAdmins(.paymentNeedsAttention)]
        }
        self.take(receipt)
        switch self.state {
        case .awaitingPayment, .awaitingClientConfirmation:
            // Paying a booking that waited for confirmation confirms it.
            return self.enterApproval(notice: .paymentReceived)
        case .expired where slotStillFree:
            return [.retakeSlot] + self.enterApproval(notice: .paymentReceived)
        case .expired:
            self.attention.insert(.latePaymentSlotTaken)
            return self.refundEverything() + [
                .notifyClient(.latePaymentRefunded), .notifyAdmins(.paymentNeedsAttention),
            ]
        default:
            // Rejected or canceled before the money came.
            self.attention.insert(.paymentAfterClose)
            return self.refundEverything() + [.notifyAdmins(.paymentNeedsAttention)]
        }
    }

    private func alreadyApplied(_ receipt: PaymentReceipt) -> Bool {
        guard self.payment.receivedMinorUnits > 0, self.payment.method == .link else { return false }
        if let intent = receipt.paymentIntentID, let known = self.payment.paymentIntentID { return intent == known }
        if let session = receipt.checkoutSessionID, let known = self.payment.checkoutSessionID {
            return session == known
        }
        return false
    }

    private mutating func take(_ receipt: PaymentReceipt) {
        self.payment.status = .paid
        self.payment.method = .link
        self.payment.receivedMinorUnits = receipt.amount.minorUnits
        self.payment.checkoutSessionID = receipt.checkoutSessionID ?? self.payment.checkoutSessionID
        self.payment.paymentIntentID = receipt.paymentIntentID
        self.attention.remove(.amountMismatch)
    }

    private mutating func refundSurplus(_ receipt: PaymentReceipt, flag: AttentionFlag) -> [BookingAction] {
        self.surplusReceivedMinorUnits += receipt.amount.minorUnits
        self.attention.insert(flag)
        let order = RefundOrder(
            minorUnits: receipt.amount.minorUnits, currency: receipt.amount.currency,
            paymentIntentID: receipt.paymentIntentID)
        return [.refund(order), .notifyAdmins(.paymentNeedsAttention)]
    }

    /// The provider confirms a refund: of the booking's payment, or of a surplus payment.
    private mutating func confirmRefund(
        minorUnits: Int64, paymentIntentID: String?, illegal: BookingError
    ) throws(BookingError) -> [BookingAction] {
        guard minorUnits > 0 else { throw illegal }
        let ofSurplus = paymentIntentID != nil && paymentIntentID != self.payment.paymentIntentID
        if ofSurplus {
            guard self.surplusRefundedMinorUnits + minorUnits <= self.surplusReceivedMinorUnits else { throw illegal }
            self.surplusRefundedMinorUnits += minorUnits
            return []
        }
        guard self.payment.receivedMinorUnits > 0,
            self.payment.refundedMinorUnits + minorUnits <= self.payment.receivedMinorUnits
        else { throw illegal }
        self.payment.refundedMinorUnits += minorUnits
        var actions: [BookingAction] = []
        if self.payment.refundedMinorUnits > self.payment.refundRequestedMinorUnits {
            // Refunded at the provider without us asking (from its dashboard).
            self.payment.refundRequestedMinorUnits = self.payment.refundedMinorUnits
            self.attention.insert(.externalRefund)
            actions.append(.notifyAdmins(.paymentNeedsAttention))
        }
        if self.payment.refundedMinorUnits == self.payment.receivedMinorUnits {
            self.payment.status = .refunded
        } else if self.payment.refundRequestedMinorUnits > self.payment.refundedMinorUnits {
            self.payment.status = .refundPending
        }
        return actions
    }
}
