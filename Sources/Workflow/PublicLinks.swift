import Booking

/// Every public address the service hands out — in emails, redirects, calendar files and pages — built from the
/// service's public URL in this one place.
public struct PublicLinks: Hashable, Sendable {
    /// The public URL without a trailing slash (`https://rdv.example.com`).
    public let base: String

    public init(base: String) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// Whether the service is reached over https (cookies are then `Secure`).
    public var isSecure: Bool { self.base.hasPrefix("https:") }

    /// The site itself.
    public var site: String { self.base }

    /// Our own stable payment link for a booking, the one emails carry.
    public func payment(_ token: AccessToken) -> String { "\(self.base)/pay/\(token)" }

    /// Where the provider sends the client back after paying (the provider fills in its session id).
    public func paymentReturn(_ token: AccessToken) -> String {
        "\(self.base)/pay/\(token)/done?session_id={CHECKOUT_SESSION_ID}"
    }

    /// Where the provider sends the client back when they leave the checkout without paying.
    public func paymentCancelled(_ token: AccessToken) -> String { "\(self.base)/pay/\(token)/cancelled" }

    /// The client's page of one booking.
    public func bookingPage(_ token: AccessToken) -> String { "\(self.base)/bookings/\(token)" }

    /// The booking's calendar file, as it stands now, its texts in `language`.
    public func calendarFile(_ token: AccessToken, language: Language) -> String {
        "\(self.base)/api/bookings/\(token).ics?lang=\(language.rawValue)"
    }

    /// A booking's page in the dashboard (admins' emails and calendars link there).
    public func adminBooking(_ id: BookingID) -> String { "\(self.base)/admin/bookings/\(id)" }

    /// A staff member's calendar feed, for calendar apps to subscribe to (`https://…/calendar/{secret}.ics`).
    public func staffCalendar(secret: String) -> String { "\(self.base)/calendar/\(secret).ics" }

    /// The link an invited admin sets their password with, carrying a signed token.
    public func adminInvitation(token: String) -> String { "\(self.base)/admin/invitation?token=\(token)" }

    /// The client area's sign-in link carrying a signed token.
    public func clientSignIn(token: String) -> String { "\(self.base)/account/sign-in?token=\(token)" }
}
