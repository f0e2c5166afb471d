import Foundation

/// Guards password logins against guessing without letting anyone lock the real owner out.
///
/// Each attempt is counted *before* its password is checked, atomically (this is an actor), so simultaneous guesses
/// cannot slip past the limit; a correct password takes its own count back. Two limits apply together:
/// - **per client address**: past `limit` failures within `window`, that address is refused (429) until its oldest
///   failure leaves the window. An attacker's address stops there.
/// - **per account**, from every address: past `limit` failures, each further attempt must wait a delay that
///   doubles with every failure (`baseDelay`, ×2, … up to `maxDelay`), then goes through. No hard lock: the real
///   admin from their own address gets in after at most `maxDelay`.
public actor LoginThrottle {
    struct Policy: Sendable {
        var limit: Int
        var window: TimeInterval
        var baseDelay: TimeInterval = 1
        var maxDelay: TimeInterval = 60
    }

    /// An attempt let through; hand it back with its outcome.
    struct Ticket: Sendable {
        fileprivate let account: String
        fileprivate let address: String
        fileprivate let at: Date
    }

    enum Admission: Sendable {
        case admitted(Ticket)
        case refused(retryAfter: TimeInterval)
    }

    let policy: Policy
    private var failuresByAddress: [String: [Date]] = [:]
    private var failuresByAccount: [String: [Date]] = [:]
    private var admissions = 0

    init(policy: Policy) { self.policy = policy }

    /// A throttle allowing `limit` failures per address within `window` (then 429), and past `limit` failures per
    /// account a delay doubling from one second to a minute.
    public init(limit: Int = 5, window: TimeInterval = 15 * 60) {
        self.init(policy: Policy(limit: limit, window: window))
    }

    /// Counts an attempt for `account` (a normalized email) from `address`, or refuses it with the seconds to wait.
    func admit(account: String, address: String, now: Date) -> Admission {
        self.admissions += 1
        if self.admissions % 1024 == 0 { self.forgetOld(now: now) }
        let byAddress = self.recent(self.failuresByAddress[address], now: now)
        self.failuresByAddress[address] = byAddress
        if byAddress.count >= self.policy.limit, let oldest = byAddress.first {
            return .refused(retryAfter: oldest.addingTimeInterval(self.policy.window).timeIntervalSince(now))
        }
        let byAccount = self.recent(self.failuresByAccount[account], now: now)
        self.failuresByAccount[account] = byAccount
        if byAccount.count >= self.policy.limit, let last = byAccount.last {
            let excess = min(byAccount.count - self.policy.limit, 30)
            let delay = min(self.policy.maxDelay, self.policy.baseDelay * pow(2, Double(excess)))
            let allowedAt = last.addingTimeInterval(delay)
            if now < allowedAt { return .refused(retryAfter: allowedAt.timeIntervalSince(now)) }
        }
        self.failuresByAddress[address, default: []].append(now)
        self.failuresByAccount[account, default: []].append(now)
        return .admitted(Ticket(account: account, address: address, at: now))
    }

    /// The attempt's password was right: its count is taken back, and the account starts afresh.
    func succeeded(_ ticket: Ticket) {
        if var dates = self.failuresByAddress[ticket.address], let index = dates.lastIndex(of: ticket.at) {
            dates.remove(at: index)
            self.failuresByAddress[ticket.address] = dates.isEmpty ? nil : dates
        }
        self.failuresByAccount[ticket.account] = nil
    }

    private func recent(_ dates: [Date]?, now: Date) -> [Date] {
        (dates ?? []).filter { now.timeIntervalSince($0) < self.policy.window }
    }

    /// Drops keys whose failures all left the window, so memory does not grow with every address ever seen.
    private func forgetOld(now: Date) {
        self.failuresByAddress = self.failuresByAddress.filter { !self.recent($0.value, now: now).isEmpty }
        self.failuresByAccount = self.failuresByAccount.filter { !self.recent($0.value, now: now).isEmpty }
    }
}
