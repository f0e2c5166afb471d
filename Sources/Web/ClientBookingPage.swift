import Booking
import Foundation
import Hummingbird
import Markup
import Notifications
import Workflow

/// `/bookings/{token}`: the client's page of one booking, where email links lead: its state, the payment link while
/// one is due, confirm and cancel buttons within the rules, and the add-to-calendar links.
struct ClientBookingPage: Sendable {
    let api: PublicAPI

    func addRoutes(to router: Router<AppContext>) {
        router.get("bookings/:token") { _, context in
            let booking = try await self.api.workflow.booking(accessToken: try PublicAPI.token(context))
            return try await self.page(booking, notice: nil)
        }
        router.post("bookings/:token/confirm") { _, context in
            try await self.act(context) { try await self.api.workflow.clients.confirmByClient(token: $0) }
        }
        router.post("bookings/:token/cancel") { _, context in
            try await self.act(context) { try await self.api.workflow.clients.cancelByClient(token: $0) }
        }
    }

    /// Runs the action; on success back to the page (post/redirect/get), on a refusal the page says why.
    private func act(
        _ context: AppContext, _ action: @Sendable (AccessToken) async throws -> Booking
    ) async throws -> Response {
        let token = try PublicAPI.token(context)
        do {
            _ = try await action(token)
            return Page.redirect("/bookings/\(token)")
        } catch let error as BookingError {
            if case .notFound = error { throw APIError(error) }
            let booking = try await self.api.workflow.booking(accessToken: token)
            return try await self.page(booking, notice: error.message, status: APIError(error).status)
        }
    }

    private func page(
        _ booking: Booking, notice: String?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let branding = self.api.branding
        // In the zone of the client's emails: their own when they gave one, else the practice's.
        let zoneName = try await self.api.workflow.timeZones(of: booking).client
        let zone = TimeZone(identifier: zoneName) ?? .gmt
        let when =
            "\(EmailComposer.format(booking.start, "EEEE d MMMM yyyy, HH:mm", zone))–"
            + "\(EmailComposer.format(booking.end, "HH:mm", zone)) (\(zone.identifier))"
        let view = self.api.clientView(booking)
        var body = ""
        if let notice { body += "<p><strong>\(HTML.escape(notice))</strong></p>" }
        body += """
            <table>
            <tr><th>Service</th><td>\(HTML.escape(booking.lines.map(\.name).joined(separator: " + ")))</td></tr>
            <tr><th>When</th><td>\(HTML.escape(when))</td></tr>
            <tr><th>Price</th><td>\(HTML.escape(booking.price.description))</td></tr>
            <tr><th>Status</th><td id="status">\(HTML.escape(booking.state.rawValue))</td></tr>
            <tr><th>Payment</th><td id="payment-status">\(HTML.escape(booking.payment.status.rawValue))</td></tr>
            </table>
            """
        if let paymentURL = view.paymentUrl {
            body +=
                "<p><a class=\"button\" href=\"\(HTML.escape(paymentURL))\">Pay \(HTML.escape(booking.price.description))</a></p>"
        }
        if booking.state == .awaitingClientConfirmation {
            body += """
                <p><form method="post" action="/bookings/\(booking.accessToken)/confirm">\
                <button class="button" type="submit">Confirm the booking</button></form></p>
                """
        }
        if !booking.state.isClosed {
            body += """
                <p><form method="post" action="/bookings/\(booking.accessToken)/cancel">\
                <button type="submit">Cancel the booking</button></form></p>
                """
        }
        let links = self.api.calendarLinks(booking)
        body += """
            <p>Add to your calendar: <a href="\(HTML.escape(links.google))">Google</a> ·
            <a href="\(HTML.escape(links.outlook))">Outlook</a> · <a href="\(HTML.escape(links.yahoo))">Yahoo</a> ·
            <a href="\(HTML.escape(links.ics))">Apple and others (.ics)</a></p>
            """
        return Page.document(status, title: "Your booking with \(branding.businessName)", body: body)
    }
}
