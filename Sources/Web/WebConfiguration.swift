import Foundation
import Workflow

/// What the web layer needs to know that is not a collaborator.
public struct WebConfiguration: Sendable {
    /// The base of links we hand out (payment links, return URLs): `http://127.0.0.1:8080` by default.
    public var publicBaseURL: String
    /// Webhook signing secrets, newest first (several during a rotation).
    public var webhookSecrets: [String]
    /// How old (or how far ahead) a webhook signature may be.
    public var webhookTolerance: TimeInterval
    /// How long an admin stays signed in.
    public var adminSessionLifetime: TimeInterval
    /// Failed logins allowed per email within `loginThrottleWindow` before further attempts get 429.
    public var maxFailedLogins: Int
    public var loginThrottleWindow: TimeInterval
    /// bcrypt cost for admin passwords (12 in production; tests may lower it).
    public var bcryptCost: UInt8

    public init(
        publicBaseURL: String, webhookSecrets: [String], webhookTolerance: TimeInterval = 300,
        adminSessionLifetime: TimeInterval = 12 * 3600,
        maxFailedLogins: Int = 5, loginThrottleWindow: TimeInterval = 15 * 60, bcryptCost: UInt8 = 12
    ) {
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.webhookSecrets = webhookSecrets
        self.webhookTolerance = webhookTolerance
        self.adminSessionLifetime = adminSessionLifetime
        self.maxFailedLogins = maxFailedLogins
        self.loginThrottleWindow = loginThrottleWindow
        self.bcryptCost = bcryptCost
    }

    var urls: PaymentReturnURLs { PaymentReturnURLs(publicBaseURL: self.publicBaseURL) }
}
