import Booking
import Foundation
import Payments

/// What following a booking's payment link leads to.
public enum PaymentLinkOutcome: Hashable, Sendable {
    /// A live provider checkout: send the client there.
    case checkout(url: String)
    /// Nothing left to pay.
    case alreadyPaid(Booking)
    /// The booking cannot be paid (canceled, lapsed, waiting for the client's confirmation...), and why.
    case notPayable(Booking, reason: String)
}

extension PaymentIntake {
    /// Follows a booking's payment link: reuses the open provider checkout, or opens one (again, if the last one
    /// expired while the booking still holds its slot) with an idempotency key per attempt, so concurrent clicks and
    /// retries make one checkout. A booking is never created waiting on the provider: this runs when the link is used.
    public func followPaymentLink(token: AccessToken) async throws -> PaymentLinkOutcome {
        let provider = self.context.provider
        let links = self.context.links
        let now = self.clock.now()
        // NB: read in a write transaction, so the booking's checkout and the count of checkouts opened are seen
        // together: concurrent clicks then agree on one idempotency key, or on the checkout one of them attached.
        let (booking, client, opened) = try await self.store.write { reader in
            let booking = try Self.require(await reader.booking(accessToken: token))
            let client = try Self.require(await reader.client(booking.clientID), "client")
            let opened = try await reader.history(of: booking.id).filter {
                $0.event == HistoryEntry.Step.checkoutOpened.rawValue
            }.count
            return (booking, client, opened)
        }
        if booking.payment.isSettled { return .alreadyPaid(booking) }
        switch booking.state {
        case .awaitingPayment:
            break
        case .awaitingClientConfirmation:
            return .notPayable(booking, reason: "Please confirm the booking first.")
        case .expired:
            return .notPayable(booking, reason: "The time to pay for this booking has passed.")
        default:
            return .notPayable(booking, reason: "This booking is \(booking.state.rawValue) and cannot be paid.")
        }
        if booking.holdLapsed(at: now) {
            return .notPayable(booking, reason: "The time to pay for this booking has passed.")
        }
        if let sessionID = booking.payment.checkoutSessionID {
            let session = try await provider.checkout(id: sessionID)
            switch session.status {
            case .open:
                if let url = session.url { return .checkout(url: url) }
            case .complete:
                return .alreadyPaid(booking)
            case .expired:
                break
            }
        }
        // NB: the parameters must be the same for every attempt under one idempotency key, so they may not depend on
        // the moment of the click. The checkout closes with the hold when the provider allows that (30 minutes to 24
        // hours ahead); otherwise it keeps the provider's default and the hold's expiry closes it.
        let holdFitsProvider =
            booking.holdUntil.map {
                $0 >= now.addingTimeInterval(31 * 60) && $0 <= now.addingTimeInterval(23 * 3600)
            } ?? false
        let request = CheckoutRequest(
            bookingReference: booking.id.rawValue,
            lines: booking.lines.map { CheckoutLine(name: $0.name, unitAmountMinorUnits: $0.price.minorUnits) },
            currency: booking.price.currency.code, customerEmail: client.email.value,
            successURL: links.paymentReturn(token),
            cancelURL: links.paymentCancelled(token), expiresAt: holdFitsProvider ? booking.holdUntil : nil,
            idempotencyKey: "rdv-checkout-\(booking.id)-\(opened + 1)")
        let session: CheckoutSession
        do {
            session = try await provider.createCheckout(request)
        } catch let error as any PaymentProviderError {
            // A concurrent click under the same key with other parameters: use the checkout it attached, if any.
            guard error.failure.reason == .idempotencyConflict,
                let attached = try await self.store.read({ try await $0.booking(booking.id) })?.payment
                    .checkoutSessionID
            else { throw error }
            session = try await provider.checkout(id: attached)
        }
        _ = try await self.attachCheckout(bookingID: booking.id, checkoutSessionID: session.id)
        guard let url = session.url else { throw BookingError.notFound(what: "checkout page") }
        return .checkout(url: url)
    }
}

extension PaymentEvent {
    /// The provider's fact in domain terms.
    public init(_ event: ProviderEvent) {
        let bookingID = event.bookingReference.flatMap(BookingID.init(validating:))
        let kind: Kind
        switch event.kind {
        case .paymentSucceeded(let payment):
            if let currency = Currency(payment.currency) {
                kind = .succeeded(
                    PaymentReceipt(
                        amount: Money(minorUnits: payment.amountMinorUnits, currency: currency),
                        checkoutSessionID: payment.checkoutSessionID, paymentIntentID: payment.paymentIntentID))
            } else {
                kind = .ignored
            }
        case .paymentPending: kind = .pending
        case .paymentFailed: kind = .failed(reason: "the payment failed at the provider")
        case .checkoutExpired(let sessionID): kind = .checkoutExpired(checkoutSessionID: sessionID)
        case .refunded(let intent, let total, _): kind = .refunded(totalMinorUnits: total, paymentIntentID: intent)
        case .ignored: kind = .ignored
        }
        self.init(id: event.id, type: event.type, bookingID: bookingID, kind: kind)
    }
}
