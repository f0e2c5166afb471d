import Booking
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// What operators watch, measured through swift-metrics (the composition root picks the backend: Prometheus):
/// the outbox's depth and the age of its oldest row per topic, and the live holds, read every `interval`.
/// Deliveries and failures per topic are counted by `OutboxDelivery` as they happen.
public struct OperationsMetrics: Sendable {
    let workflow: BookingWorkflow

    public init(workflow: BookingWorkflow) { self.workflow = workflow }

    /// Reads the gauges once.
    public func measure() async throws {
        let now = self.workflow.clock.now()
        for topic in OutboxTopic.allCases {
            let backlog = try await self.workflow.context.store.read { try await $0.outboxBacklog(topic: topic) }
            Gauge(label: "rendezvous_outbox_depth", dimensions: [("topic", topic.rawValue)]).record(backlog.count)
            Gauge(label: "rendezvous_outbox_oldest_age_seconds", dimensions: [("topic", topic.rawValue)])
                .record(backlog.oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
        let holds = try await self.workflow.context.store.read { try await $0.liveHoldCount(at: now) }
        Gauge(label: "rendezvous_live_holds").record(holds)
    }

    /// A background service reading the gauges every `interval`.
    public func service(every interval: Duration) -> PeriodicService {
        PeriodicService(name: "operations metrics", every: interval, logger: Logger(label: "rendezvous.metrics")) {
            try await self.measure()
        }
    }
}
