import Foundation

/// Somewhere emails go: an SMTP server, or the development mailbox.
public protocol MailTransport: Sendable {
    /// Delivers one message; returns once the receiver has taken responsibility for it.
    func send(_ message: EmailMessage) async throws
}

/// Why a message was not delivered.
public struct MailDeliveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Permanent failures (a 5xx reply, a bad address) will not be cured by trying again.
    public var isPermanent: Bool
    public var message: String

    public init(permanent: Bool, _ message: String) {
        self.isPermanent = permanent
        self.message = message
    }

    public var description: String { (self.isPermanent ? "permanent: " : "temporary: ") + self.message }
}
