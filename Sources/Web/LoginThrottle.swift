import Foundation
import Workflow

/// The login throttle's policy, chosen by the composition root (tests choose a small limit). The counting itself is
/// `LoginAttempts`, in the database, so an attacker gains nothing by spreading guesses over several instances.
public struct LoginThrottle: Sendable {
    public let policy: LoginAttempts.Policy

    /// A throttle allowing `limit` failures per address within `window` (then 429), and past `limit` failures per
    /// account a delay doubling from one second to a minute.
    public init(limit: Int = 5, window: TimeInterval = 15 * 60) {
        self.policy = LoginAttempts.Policy(limit: limit, window: window)
    }
}
