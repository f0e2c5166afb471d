import Booking
import Foundation
import Hummingbird
import Markup
import Notifications
import Workflow

/// `/account/sign-in?token=…`: where the account email's signed link leads. The link proves who the client is
/// (our signature, the sign-in purpose, not expired) and works once. Opening it (GET) only shows a sign-in button,
/// so mail scanners and link previews that fetch it do not use it up; the button (POST) uses it and opens the
/// client's area: their bookings, each with a link to its page.
struct ClientAreaPage: Sendable {
    let workflow: BookingWorkflow
    let links: SignedLink
    let branding: EmailBranding

    func addRoutes(to router: Router<AppContext>) {
        router.get("account/sign-in") { request, _ in
            try await self.checked(request) { token, claims in
                let client = try? await self.workflow.admin.client(ClientID(rawValue: claims.clientID))
                let action = "/account/sign-in?token=\(HTML.escape(token))"
                return Page.document(
                    .ok, title: "Sign in to \(self.branding.businessName)",
                    body: """
                        <p>Signing in as \(HTML.escape(client?.name ?? "you")). This link works once.</p>
                        <form method="post" action="\(action)"><button class="button" type="submit">Sign in</button></form>
                        """)
            }
        }
        router.post("account/sign-in") { request, _ in
            try await self.checked(request) { _, claims in
                guard try await self.workflow.accounts.redeemOnce(linkNonce: claims.nonce) else { return Self.used }
                return try await self.area(claims)
            }
        }
    }

    static var used: Response {
        Page.html(
            .gone, title: "Link already used",
            message: "This sign-in link has been used already; each link works once. Your booking pages stay "
                + "reachable from the emails about each booking.")
    }

    /// Runs `body` for a link we signed, for signing in, not expired and not used yet; answers the refusal otherwise.
    private func checked(
        _ request: Request, _ body: (String, SignedLink.Claims) async throws -> Response
    ) async throws -> Response {
        guard let token = request.uri.queryParameters.get("token") else {
            return Page.html(.badRequest, title: "Link incomplete", message: "This sign-in link has no token.")
        }
        let claims: SignedLink.Claims
        do {
            claims = try self.links.verify(String(token), purpose: .signIn, now: self.workflow.clock.now())
        } catch .expired {
            return Page.html(
                .gone, title: "Link expired",
                message: "This sign-in link has expired. Ask \(self.branding.businessName) for a new one.")
        } catch {
            return Page.html(.badRequest, title: "Invalid link", message: "This sign-in link is not valid.")
        }
        if try await self.workflow.accounts.linkWasUsed(nonce: claims.nonce) { return Self.used }
        return try await body(String(token), claims)
    }

    /// The client's bookings.
    private func area(_ claims: SignedLink.Claims) async throws -> Response {
        let area: (client: Client, bookings: [Booking])
        do {
            area = try await self.workflow.clients.clientArea(ClientID(rawValue: claims.clientID))
        } catch BookingError.notFound {
            return Page.html(.notFound, title: "Unknown client", message: "This client record no longer exists.")
        }
        var rows = ""
        for booking in area.bookings {
            rows += """
                <tr><td><a href="/bookings/\(booking.accessToken)">\(HTML.escape(booking.lines.map(\.name).joined(separator: " + ")))</a></td>\
                <td>\(HTML.escape(booking.start.formatted(.iso8601)))</td><td>\(HTML.escape(booking.state.rawValue))</td>\
                <td>\(HTML.escape(booking.payment.status.rawValue))</td></tr>
                """
        }
        let body = """
            <p>Signed in as \(HTML.escape(area.client.name)) (\(HTML.escape(area.client.email.value))).
            Bookmark the booking pages you need: this link works once.</p>
            <table><tr><th>Service</th><th>Start (UTC)</th><th>Status</th><th>Payment</th></tr>\(rows)</table>
            """
        return Page.document(.ok, title: "Your bookings with \(self.branding.businessName)", body: body, wide: true)
    }
}
