import Foundation

/// Guards password logins (and sign-in link requests) against guessing without letting anyone lock the real owner
/// out. The counts live in the database, so every instance sees the same ones.
///
/// Each attempt is counted *before* its password is checked, in one write transaction, so simultaneous guesses
/// cannot slip past the limit; a correct password takes its own count back. Two limits apply together:
/// - **per client address**: past `limit` failures within `window`, that address is refused until its oldest
///   failure leaves the window. An attacker's address stops there.
/// - **per account**, from every address: past `limit` failures, each further attempt must wait a delay that
///   doubles with every failure (`baseDelay`, ×2, … up to `maxDelay`), then goes through. No hard lock: the real
///   owner from their own address gets in after at most `maxDelay`.
public struct LoginAttempts: UseCase {
    let context: WorkflowContext

    public struct Policy: Hashable, Sendable {
        public var limit: Int
        public var window: TimeInterval
        public var baseDelay: TimeInterval
        public var maxDelay: TimeInterval

        public init(
            limit: Int = 5, window: TimeInterval = 15 * 60, baseDelay: TimeInterval = 1, maxDelay: TimeInterval = 60
        ) {
            self.limit = limit
            self.window = window
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
        }
    }

    /// An attempt let through; hand it back with its outcome.
    public struct Ticket: Sendable {
        let account: String
        let address: String
        let at: Date
    }

    public enum Admission: Sendable {
        case admitted(Ticket)
        case refused(retryAfter: TimeInterval)
    }

    /// How long failures are kept at most, whatever the policy (the cleanup's horizon).
    public static let retention: TimeInterval = 86_400

    /// Counts an attempt for `account` (a normalized email, or another key) from `address`, or refuses it with
    /// the seconds to wait.
    public func admit(account: String, address: String, policy: Policy) async throws -> Admission {
        // To the millisecond, as the stores keep instants, so a wait computed from a stored failure is exact.
        let now = Date(timeIntervalSince1970: (self.clock.now().timeIntervalSince1970 * 1000).rounded() / 1000)
        let since = now.addingTimeInterval(-policy.window)
        return try await self.store.write { tx in
            let byAddress = try await tx.loginFailures(scope: .address, key: address, since: since).sorted()
            if byAddress.count >= policy.limit, let oldest = byAddress.first {
                return .refused(retryAfter: oldest.addingTimeInterval(policy.window).timeIntervalSince(now))
            }
            let byAccount = try await tx.loginFailures(scope: .account, key: account, since: since).sorted()
            if byAccount.count >= policy.limit, let last = byAccount.last {
                let excess = min(byAccount.count - policy.limit, 30)
                let delay = min(policy.maxDelay, policy.baseDelay * pow(2, Double(excess)))
                let allowedAt = last.addingTimeInterval(delay)
                if now < allowedAt { return .refused(retryAfter: allowedAt.timeIntervalSince(now)) }
            }
            try await tx.recordLoginFailure(scope: .address, key: address, at: now)
            try await tx.recordLoginFailure(scope: .account, key: account, at: now)
            return .admitted(Ticket(account: account, address: address, at: now))
        }
    }

    /// The attempt's password was right: its count is taken back, and the account starts afresh.
    public func succeeded(_ ticket: Ticket) async throws {
        try await self.store.write { tx in
            try await tx.removeLoginFailure(scope: .address, key: ticket.address, at: ticket.at)
            try await tx.clearLoginFailures(scope: .account, key: ticket.account)
        }
    }

    /// Deletes failures older than `retention`, so the table does not grow with every address ever seen.
    public func forgetOld() async throws -> Int {
        let horizon = self.clock.now().addingTimeInterval(-Self.retention)
        return try await self.store.write { try await $0.deleteLoginFailures(before: horizon) }
    }
}
