import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Notifications
import Workflow

/// The pages of a booking's payment link: `/pay/{token}` sends the client to the provider's checkout (or says why
/// there is nothing to pay); the provider sends them back to `/pay/{token}/done` (payment received, awaiting the
/// practice's approval, add-to-calendar buttons) or `/pay/{token}/cancelled` (try again while the hold lasts).
struct PaymentPages: Sendable {
    let pages: BookingPages
    let branding: EmailBranding

    var workflow: BookingWorkflow { self.pages.workflow }
    var renderer: PageRenderer { self.pages.renderer }

    struct PaidModel {
        var message: String
        var google: String
        var outlook: String
        var yahoo: String
        var ics: String
        /// The booking's own page.
        var area: String
    }

    struct CancelledModel {
        var text: String
        var retry: String?
        var again: String
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get("pay/:token") { request, context in try await self.follow(request, context) }
        router.get("pay/:token/done") { request, context in
            let visit = try await self.pages.visit(request)
            guard let booking = try await self.booking(context) else { return self.unknown(visit) }
            let text = { (key: String) in self.renderer.words.text(key, visit.language) }
            let message =
                booking.payment.isSettled
                ? text(booking.state == .approved ? "paid.approved" : "paid.awaiting") : text("paid.confirming")
            let links = self.branding.addToCalendarLinks(
                for: booking, stamp: booking.updatedAt, language: visit.language)
            return self.renderer.page(
                "paid",
                PaidModel(
                    message: message, google: links.google, outlook: links.outlook, yahoo: links.yahoo, ics: links.ics,
                    area: "/bookings/\(booking.accessToken)"),
                title: "paid.title", for: visit)
        }
        router.get("pay/:token/cancelled") { request, context in
            let visit = try await self.pages.visit(request)
            guard let booking = try await self.booking(context) else { return self.unknown(visit) }
            let now = self.workflow.clock.now()
            let payable = booking.state == .awaitingPayment && !booking.holdLapsed(at: now)
            let deadline = booking.holdUntil.map { "\(visit.format.day($0)), \(visit.format.time($0))" } ?? ""
            let model = CancelledModel(
                text: self.renderer.words.text(
                    payable ? "cancelled.lead" : "cancelled.lapsed", visit.language, ["deadline": deadline]),
                retry: payable ? self.workflow.links.payment(booking.accessToken) : nil, again: "/")
            return self.renderer.page("cancelled", model, title: "cancelled.title", for: visit)
        }
    }

    private func booking(_ context: AppContext) async throws -> Booking? {
        try await self.workflow.booking(namedBy: context)
    }

    private func unknown(_ visit: PageVisit) -> Response {
        self.renderer.message(
            title: "pay.unknown.title", text: self.renderer.words.text("pay.unknown", visit.language), for: visit,
            status: .notFound)
    }

    /// Follows the payment link: to the provider's checkout, or a page that says why not.
    private func follow(_ request: Request, _ context: AppContext) async throws -> Response {
        let visit = try await self.pages.visit(request)
        guard let raw = context.parameters.get("token"), let token = AccessToken(validating: raw) else {
            return self.unknown(visit)
        }
        let text = { (key: String) in self.renderer.words.text(key, visit.language) }
        let outcome: PaymentLinkOutcome
        do {
            outcome = try await self.workflow.payments.followPaymentLink(token: token)
        } catch BookingError.notFound {
            return self.unknown(visit)
        } catch let error as BookingError {
            throw error
        } catch {
            context.logger.error("payment provider unavailable", metadata: ["error": "\(error)"])
            return self.renderer.message(
                title: "pay.unavailable.title", text: text("pay.unavailable"),
                link: (self.workflow.links.payment(token), text("cancelled.retry")), for: visit, status: .badGateway)
        }
        let area = (href: "/bookings/\(token)", label: text("paid.area"))
        switch outcome {
        case .checkout(let url):
            var headers = HTTPFields()
            headers[.location] = url
            return Response(status: .seeOther, headers: headers)
        case .alreadyPaid:
            return self.renderer.message(
                title: "pay.nothing.title", text: text("pay.alreadyPaid"), link: area, for: visit, status: .ok)
        case .notPayable(let booking, _):
            let reason =
                booking.state == .awaitingClientConfirmation
                ? "pay.confirmFirst"
                : booking.state == .expired || booking.holdLapsed(at: self.workflow.clock.now())
                    ? "pay.tooLate" : "pay.closed"
            return self.renderer.message(
                title: "pay.nothing.title", text: text(reason), link: area, for: visit, status: .gone)
        }
    }
}
