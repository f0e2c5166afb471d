import Booking
import Foundation
import TestSupport
import Testing
import Workflow

/// A transition's writes as every store must keep them — the booking, its history lines, its outbox rows in the
/// order queued — whether written by a locking write or an optimistic one (on PostgreSQL each is one statement).
@Suite struct TransitionWriteContractTests {
    let now = Instants.mondayMorning

    @Test(arguments: StoreKind.allCases, [false, true])
    func aTransitionsHistoryAndOutboxRowsKeepTheirOrder(kind: StoreKind, optimistically: Bool) async throws {
        let store = try await TestPractice(kind: kind).store
        let booking = Booking.sample(client: Client.sample().id)
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(booking)
        }
        let effects: [OutboxEffect] = [
            .emailClient(.paymentReceived), .emailAdmins(.awaitingApproval), .emailClient(.bookingReceived),
            .emailAdmins(.paymentNeedsAttention), .emailClient(.approved),
        ]
        let messages = effects.enumerated().map { index, effect in
            OutboxMessage(id: "msg_\(index)", bookingID: booking.id, effect: effect, createdAt: self.now)
        }
        // When one transaction updates the booking, appends a history line and queues three outbox rows, and the
        // next appends two history lines and queues two rows (a transition's usual shapes, and others),
        for (reasons, queued) in [(["first"], messages[0..<3]), (["second", "third"], messages[3...])] {
            let body: @Sendable (any BookingStoreTransaction) async throws -> Void = { [now] tx in
                guard var changed = try await tx.booking(booking.id) else {
                    throw BookingError.notFound(what: "booking")
                }
                changed.clientNote = (changed.clientNote ?? "") + reasons.joined()
                try await tx.update(changed)
                for reason in reasons {
                    try await tx.append(
                        HistoryEntry(
                            bookingID: booking.id, at: now, actor: .system, from: changed.state, to: changed.state,
                            event: "noted", reason: reason))
                }
                for message in queued { try await tx.enqueue(message) }
            }
            if optimistically {
                try await store.writeOptimistically(body)
            } else {
                try await store.write(body)
            }
        }
        // then each comes back in the order it was written.
        let (stored, history, outbox) = try await store.read { reader in
            (
                try await reader.booking(booking.id), try await reader.history(of: booking.id),
                try await reader.outbox(of: booking.id)
            )
        }
        #expect(stored?.clientNote == "firstsecondthird")
        #expect(history.compactMap(\.reason) == ["first", "second", "third"])
        #expect(outbox.map(\.id) == messages.map(\.id))
    }
}
