import Booking
import Foundation
import Storage
import TestSupport
import Testing
import Workflow

/// Every random value the workflow makes comes from its injected identifier port, none from a generator of its own.
@Suite struct IdentifierPortTests {
    /// Identifiers a test can recognise: tokens are all "k", ids carry a fixed suffix.
    struct RecognisableIDs: IdentifierGenerator {
        func make<ID: TypedIdentifier>(_ type: ID.Type) -> ID { ID(rawValue: "\(ID.prefix)_\(UUID().uuidString)") }
        func token(length: Int) -> String { String(repeating: "k", count: length) }
    }

    @Test func theLinkKeyAndOutboxMessageIDsComeFromThePort() async throws {
        let store = try await StoreKind.sqlite.makeStore()
        let workflow = BookingWorkflow.testing(store: store, ids: RecognisableIDs())
        try await workflow.practice.installIfEmpty(.sample())
        #expect(try await workflow.accounts.linkSigningKey() == String(repeating: "k", count: 52))
        let booking = try await workflow.clients.book(
            ClientBookingRequest(
                serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen, name: "Zoë", email: "zoe@example.com")
        ).booking
        let messages = try await store.read { try await $0.outbox(of: booking.id) }
        #expect(!messages.isEmpty)
        #expect(messages.allSatisfy { $0.id == "msg_" + String(repeating: "k", count: 26) })
    }
}
