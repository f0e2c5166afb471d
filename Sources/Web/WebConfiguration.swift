import Foundation
import HTTPTypes
import Hummingbird
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
    /// Failed logins allowed per client address within `loginThrottleWindow` before that address gets 429; past as
    /// many failures for one account (from anywhere), attempts wait a growing delay (see `LoginThrottle`).
    public var maxFailedLogins: Int
    public var loginThrottleWindow: TimeInterval
    /// bcrypt cost for admin passwords (12 in production; tests may lower it).
    public var bcryptCost: UInt8
    /// Whether the client's address is the last `X-Forwarded-For` entry (set behind a reverse proxy that appends it;
    /// otherwise every client would share the proxy's address). Off: the peer address.
    public var trustForwardedFor: Bool = false
    /// How long a connection may sit without a request under way: opened and silent, idle between keep-alive
    /// requests, or still sending its request head.
    public var idleTimeout: Duration = .seconds(10)
    /// Connections served at once; more wait in the listen backlog.
    public var maxConnections: Int = 1024

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

    /// The address a request comes from, for throttling.
    func clientAddress(of request: Request, peer: String?) -> String {
        if self.trustForwardedFor, let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!].last,
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return last
        }
        return peer ?? "unknown"
    }

    var urls: PaymentReturnURLs { PaymentReturnURLs(publicBaseURL: self.publicBaseURL) }
}
