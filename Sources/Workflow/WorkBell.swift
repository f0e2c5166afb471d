import Foundation
import Synchronization

/// Wakes the outbox workers of this instance when work is queued anywhere (PostgreSQL's LISTEN/NOTIFY rings it),
/// so an email goes out at once instead of at the next poll. Polling stays as the safety net: a worker waits for
/// the bell or for its interval, whichever comes first.
public final class WorkBell: Sendable {
    private struct Waiters {
        var waiting: [OutboxTopic: [UUID: CheckedContinuation<Void, Never>]] = [:]
        /// Rings heard while no worker of the topic was waiting: its next wait returns at once.
        var pending: Set<OutboxTopic> = []
    }

    private let state = Mutex(Waiters())

    public init() {}

    /// Wakes the workers of `topic` (all topics when nil).
    public func ring(_ topic: OutboxTopic?) {
        let topics = topic.map { [$0] } ?? OutboxTopic.allCases
        let woken = self.state.withLock { state in
            var woken: [CheckedContinuation<Void, Never>] = []
            for topic in topics {
                let waiting = state.waiting.removeValue(forKey: topic) ?? [:]
                if waiting.isEmpty { state.pending.insert(topic) }
                woken += waiting.values
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when `topic` is rung, or after `interval`, or when the task is cancelled.
    public func wait(for topic: OutboxTopic, upTo interval: Duration) async {
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(for: interval)
            self.release(topic, id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLock { state in
                    if state.pending.remove(topic) != nil || Task.isCancelled { return true }
                    state.waiting[topic, default: [:]][id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.release(topic, id)
        }
        timer.cancel()
    }

    private func release(_ topic: OutboxTopic, _ id: UUID) {
        let continuation = self.state.withLock { $0.waiting[topic]?.removeValue(forKey: id) }
        continuation?.resume()
    }
}
