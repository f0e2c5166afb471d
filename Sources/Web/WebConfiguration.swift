import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

/// What the web layer needs to know that is not a collaborator.
public struct WebConfiguration: Sendable {
    /// Webhook signing secrets, newest first (several during a rotation).
    public var webhookSecrets: [String]
    /// How old (or how far ahead) a webhook signature may be.
    public var webhookTolerance: TimeInterval
    /// How long an admin stays signed in.
    public var adminSessionLifetime: TimeInterval
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
    /// `GET /metrics` for Prometheus, behind its token (`RENDEZVOUS_METRICS_TOKEN`); nil: no such route.
    public var metrics: MetricsEndpoint?
    /// The pages' language for a first visit whose browser asks for none of ours (`RENDEZVOUS_LANGUAGE`).
    public var defaultLanguage: Language = .en

    public init(
        webhookSecrets: [String], webhookTolerance: TimeInterval = 300, adminSessionLifetime: TimeInterval = 12 * 3600,
        bcryptCost: UInt8 = 12
    ) {
        self.webhookSecrets = webhookSecrets
        self.webhookTolerance = webhookTolerance
        self.adminSessionLifetime = adminSessionLifetime
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
}
