import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Workflow

/// Listens on PostgreSQL for outbox work queued by any instance (`NOTIFY rendezvous_outbox, '<topic>'`, sent once
/// the transaction that queued it commits: see `Notifier`) and rings this instance's `WorkBell`. On its own connection,
/// outside the pool; when that connection is lost it reconnects, and rings every topic (notifications sent while
/// it was away are gone; polling would find that work anyway).
public struct PostgresWorkListener: ServiceLifecycle.Service {
    let settings: PostgresSettings
    let bell: WorkBell
    let logger: Logger

    public init(settings: PostgresSettings, bell: WorkBell, logger: Logger = Logger(label: "rendezvous.postgres")) {
        self.settings = settings
        self.bell = bell
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var connectionID = 0
            while !Task.isCancelled {
                connectionID += 1
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: try self.settings.connectionConfiguration(), id: connectionID,
                        logger: self.logger)
                    defer { Task { try? await connection.close() } }
                    try await connection.listen(on: PostgresAccess.outboxChannel) { notifications in
                        // Listening from here on: anything queued before was (or will be) found by a poll.
                        self.bell.ring(nil)
                        for try await notification in notifications {
                            self.bell.ring(OutboxTopic(rawValue: notification.payload))
                        }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    self.logger.warning(
                        "the outbox listener lost PostgreSQL; reconnecting", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

extension PostgresSettings {
    /// The settings of a single connection (outside the pool), as the pool's.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var configuration =
            self.isUnixSocket
            ? PostgresConnection.Configuration(
                unixSocketPath: self.socketPath, username: self.username, password: self.password,
                database: self.database)
            : PostgresConnection.Configuration(
                host: self.host, port: self.port, username: self.username, password: self.password,
                database: self.database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }
}
