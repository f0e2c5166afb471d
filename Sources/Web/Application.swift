import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Notifications
import Payments
import ServiceLifecycle
import Workflow

/// How emails are written and where they go.
public struct MailSetup: Sendable {
    public var composer: EmailComposer
    public var transport: any MailTransport
    /// The development mailbox, browsable at `/dev/mailbox`, when it is the transport (no SMTP configured).
    public var mailbox: DevelopmentMailbox?
    /// The secret that opens the development mailbox (besides an admin's token).
    public var mailboxAccess: MailboxAccess

    public init(
        composer: EmailComposer, transport: any MailTransport, mailbox: DevelopmentMailbox? = nil,
        mailboxAccess: MailboxAccess = MailboxAccess()
    ) {
        self.composer = composer
        self.transport = transport
        self.mailbox = mailbox
        self.mailboxAccess = mailboxAccess
    }

    /// Emails into a development mailbox in `directory`.
    public static func developmentMailbox(
        directory: URL, branding: EmailBranding, links: SignedLink? = nil, access: MailboxAccess = MailboxAccess()
    ) throws -> MailSetup {
        let mailbox = try DevelopmentMailbox(directory: directory)
        return MailSetup(
            composer: try EmailComposer(branding: branding, links: links), transport: mailbox, mailbox: mailbox,
            mailboxAccess: access)
    }
}

/// Routes and long-running services the composition root adds to the service — the built-in fake payment
/// provider, say — so that Web need not know what they are (and the production module links no test double).
public struct Mount: Sendable {
    /// Adds the mount's routes to the service's router.
    public var addRoutes: @Sendable (Router<AppContext>) -> Void
    /// Services run beside the server, started and stopped with it.
    public var services: [any Service]

    public init(addRoutes: @escaping @Sendable (Router<AppContext>) -> Void, services: [any Service] = []) {
        self.addRoutes = addRoutes
        self.services = services
    }
}

/// Builds the HTTP server with its router, and runs beside it the `services` the composition root built (the
/// background workers) and whatever `mounts` bring. `runService()` on the result runs them together and shuts them
/// down gracefully on SIGTERM or SIGINT.
public func buildApplication(
    workflow: BookingWorkflow, configuration: WebConfiguration, loginThrottle: LoginThrottle, mail: MailSetup? = nil,
    mounts: [Mount] = [], services: [any Service] = [], host: String, port: Int,
    logger: Logger = Logger(label: "rendezvous"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = try buildRouter(
        workflow: workflow, configuration: configuration, loginThrottle: loginThrottle, mail: mail, mounts: mounts)
    return Application(
        router: router,
        // NB: a connection with no request under way (just opened, between keep-alive requests, or still sending
        // its request head) is closed after `idleTimeout`, so slow or silent clients cannot hold sockets open; at
        // most `maxConnections` are served at once, further ones wait in the listen backlog.
        server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(
            address: .hostname(host, port: port), serverName: "rendezvous",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
        services: services + mounts.flatMap(\.services),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
}
