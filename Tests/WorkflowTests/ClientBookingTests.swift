import Booking
import Foundation
import Synchronization
import TestSupport
import Testing
import Workflow

/// A client books on the public side.
@Suite struct ClientBookingTests {
    @Test(arguments: StoreKind.allCases)
    func aBookingHoldsItsSlotWhileAwaitingPayment(kind: StoreKind) async throws {
        // Given a practice on Monday morning
        let practice = try await TestPractice(kind: kind)
        // When Zoë books a first chat on Tuesday at 10:00
        let receipt = try await practice.workflow.clients.book(practice.request())
        // Then the booking waits for payment, holding its slot for the client payment window
        let booking = receipt.booking
        #expect(booking.state == .awaitingPayment)
        #expect(booking.payment.status == .unpaid)
        #expect(booking.price == Service.chatFirst.price)
        #expect(booking.holdUntil == Instants.mondayMorning.addingTimeInterval(30 * 60))
        #expect(booking.end == Instants.tuesdayTen.addingTimeInterval(45 * 60))
        #expect(booking.staffID == StaffMember.camille.id)
        #expect(booking.lines.map(\.serviceID) == [Service.chatFirst.id])
        #expect(booking.id.rawValue.hasPrefix("bk_") && booking.id.rawValue.count == 29)
        #expect(booking.accessToken.rawValue.count == 56)
        #expect(receipt.client.email.normalized == "zoe@example.com")
        // And its history and outbox say so
        let history = try await practice.workflow.history(of: booking.id)
        #expect(history.map(\.event) == ["created"])
        #expect(history.first?.actor == .client(receipt.client.id))
        #expect(history.first?.to == .awaitingPayment)
        let outbox = try await practice.store.read { try await $0.outbox(of: booking.id) }
        #expect(outbox.map(\.effect) == [.emailClient(.bookingReceived)])
        // And the slot is gone from the list
        let slots = try await practice.workflow.clients.availableSlots(
            serviceIDs: [Service.chatFirst.id],
            dates: try DateRange(first: LocalDate(iso: "2026-12-01")!, last: LocalDate(iso: "2026-12-01")!),
            timeZone: "Europe/Paris")
        #expect(!slots.contains { $0.start == Instants.tuesdayTen })
        #expect(!slots.isEmpty)
    }

    @Test func aPaidBookingWaitsForApprovalThenIsApproved() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        // When the provider reports the payment
        let outcome = try await practice.workflow.payments.applyPaymentEvent(
            practice.paidEvent(for: booking, eventID: "evt_paid"))
        #expect(outcome == .applied(booking.id, from: .awaitingPayment, to: .awaitingApproval))
        let paid = try await practice.workflow.booking(booking.id)
        #expect(paid.state == .awaitingApproval)
        #expect(paid.payment.status == .paid)
        #expect(paid.holdUntil == nil)
        // And an admin approves
        let approved = try await practice.workflow.admin.approve(
            booking.id, AdminDecision(admin: AdminID(rawValue: "adm_1"), note: "See you"))
        #expect(approved.state == .approved)
        let history = try await practice.workflow.history(of: booking.id)
        #expect(history.map(\.event) == ["created", "paymentSucceeded", "approved"])
        #expect(history[1].actor == .provider && history[1].providerEventID == "evt_paid")
        #expect(history[2].actor == .admin(AdminID(rawValue: "adm_1")) && history[2].reason == "See you")
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(
            effects == [
                .emailClient(.bookingReceived), .emailClient(.paymentReceived), .emailAdmins(.awaitingApproval),
                .emailClient(.approved),
            ])
    }

    @Test func anIdempotencyKeyReturnsTheSameBooking() async throws {
        let practice = try await TestPractice()
        let first = try await practice.workflow.clients.book(practice.request(), idempotencyKey: "key-1")
        let again = try await practice.workflow.clients.book(practice.request(), idempotencyKey: "key-1")
        #expect(!first.replayed)
        #expect(again.replayed)
        #expect(again.booking == first.booking)
        await #expect(throws: BookingError.idempotencyKeyReused) {
            try await practice.workflow.clients.book(
                practice.request(at: Instants.tuesdayTen.addingTimeInterval(3 * 3600)), idempotencyKey: "key-1")
        }
    }

    @Test func theClientsTimeZoneIsRecordedOnceAndPartOfTheIdempotentRequest() async throws {
        let practice = try await TestPractice()
        var request = practice.request()
        request.timeZone = "Asia/Tokyo"
        let first = try await practice.workflow.clients.book(request, idempotencyKey: "tz-1")
        #expect(first.client.timeZone == "Asia/Tokyo")
        #expect(try await practice.workflow.timeZones(of: first.booking) == ("Europe/Paris", "Asia/Tokyo"))
        // The same key with another zone is another request.
        request.timeZone = "America/New_York"
        await #expect(throws: BookingError.idempotencyKeyReused) {
            try await practice.workflow.clients.book(request, idempotencyKey: "tz-1")
        }
        // Someone booking with the same email cannot change the zone the client chose.
        var later = practice.request(at: Instants.tuesdayTen.addingTimeInterval(3 * 3600))
        later.timeZone = "America/New_York"
        let second = try await practice.workflow.clients.book(later)
        #expect(second.client.timeZone == "Asia/Tokyo")
        // A client without a zone reads the practice's.
        let other = try await practice.workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(6 * 3600), email: "max@example.com"))
        #expect(other.client.timeZone == nil)
        #expect(try await practice.workflow.timeZones(of: other.booking) == ("Europe/Paris", "Europe/Paris"))
    }

    /// A store that counts its write transactions, and asks for refusals to be checked in a read first (as
    /// PostgreSQL's does).
    final class WriteCountingStore: BookingStore {
        let base: any BookingStore
        let writes = Mutex(0)
        var checksInAReadFirst: Bool { true }

        init(base: any BookingStore) { self.base = base }

        func write<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreTransaction) async throws -> T)
            async throws -> T
        {
            self.writes.withLock { $0 += 1 }
            return try await self.base.write(body)
        }

        func read<T: Sendable>(_ body: @escaping @Sendable (any BookingStoreReader) async throws -> T) async throws
            -> T
        {
            try await self.base.read(body)
        }
    }

    @Test func aTakenSlotIsRefusedFromAReadWithoutAWriteTransactionWhereWritersQueueBehindLocks() async throws {
        let practice = try await TestPractice()
        let store = WriteCountingStore(base: practice.store)
        let workflow = BookingWorkflow.testing(store: store, clock: practice.clock)
        let first = try await workflow.clients.book(practice.request(), idempotencyKey: "key-1")
        #expect(store.writes.withLock { $0 } == 1)
        // A rival for the same slot is refused without queuing for the calendar's lock...
        await #expect(throws: BookingError.slotTaken) {
            try await workflow.clients.book(practice.request(email: "max@example.com"))
        }
        #expect(store.writes.withLock { $0 } == 1)
        // ...while the first client's repeated request (its slot now taken by its own booking) gets its booking.
        let replay = try await workflow.clients.book(practice.request(), idempotencyKey: "key-1")
        #expect(replay.replayed)
        #expect(replay.booking.id == first.booking.id)
    }

    @Test func aTakenSlotIsRefusedAndSoIsItsBuffer() async throws {
        let practice = try await TestPractice()
        _ = try await practice.workflow.clients.book(practice.request())
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.clients.book(practice.request(email: "max@example.com"))
        }
        // 10:45 + a one-hour buffer: 11:30 is still too close.
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.clients.book(
                practice.request(at: Instants.tuesdayTen.addingTimeInterval(90 * 60), email: "max@example.com"))
        }
        _ = try await practice.workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(105 * 60), email: "max@example.com"))
    }

    @Test(arguments: [
        Instants.utc("2026-12-01T09:07:00Z"),  // off the 15-minute grid
        Instants.utc("2026-12-05T09:00:00Z"),  // a Saturday
        Instants.utc("2026-12-01T15:30:00Z"),  // 16:30 Paris: a 45-minute session would end after 17:00
    ])
    func aTimeOutsideTheScheduleIsUnavailable(start: Date) async throws {
        let practice = try await TestPractice()
        await #expect {
            try await practice.workflow.clients.book(practice.request(at: start))
        } throws: { ($0 as? BookingError)?.code == "slot_unavailable" }
    }

    @Test func theBookingWindowIsEnforced() async throws {
        let practice = try await TestPractice()
        // 30 minutes ahead: under the 60-minute lead time. (Monday 08:30 Paris: also before opening.)
        await #expect {
            try await practice.workflow.clients.book(
                practice.request(at: Instants.mondayMorning.addingTimeInterval(30 * 60)))
        } throws: { ($0 as? BookingError)?.code == "outside_booking_window" }
        await #expect {
            try await practice.workflow.clients.book(
                practice.request(at: Instants.tuesdayTen.addingTimeInterval(120 * 86_400)))
        } throws: { ($0 as? BookingError)?.code == "outside_booking_window" }
    }

    @Test func additionalTimeNeedsACompletedFirstSession() async throws {
        let practice = try await TestPractice()
        await #expect { try await practice.workflow.clients.book(practice.request([.chatMore])) } throws: {
            ($0 as? BookingError)?.code == "not_eligible"
        }
        // Given a first chat, paid, approved and completed
        let first = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: first))
        let admin = AdminDecision(admin: AdminID(rawValue: "adm_1"))
        _ = try await practice.workflow.admin.approve(first.id, admin)
        practice.clock.set(first.end.addingTimeInterval(60))
        _ = try await practice.workflow.admin.complete(first.id, admin)
        // Then additional chat time can be booked, and additional call time still cannot
        let more = try await practice.workflow.clients.book(
            practice.request([.chatMore], at: Instants.utc("2026-12-03T09:00:00Z")))
        #expect(more.booking.state == .awaitingPayment)
        await #expect {
            try await practice.workflow.clients.book(
                practice.request([.callMore], at: Instants.utc("2026-12-04T09:00:00Z")))
        } throws: { ($0 as? BookingError)?.code == "not_eligible" }
    }

    @Test func bannedClientsCannotBook() async throws {
        let practice = try await TestPractice()
        let client = try await practice.workflow.clients.book(practice.request()).client
        _ = try await practice.workflow.admin.ban(client.id, by: AdminID(rawValue: "adm_1"))
        await #expect(throws: BookingError.clientBanned) {
            try await practice.workflow.clients.book(practice.request(at: Instants.utc("2026-12-02T09:00:00Z")))
        }
        _ = try await practice.workflow.admin.unban(client.id, by: AdminID(rawValue: "adm_1"))
        _ = try await practice.workflow.clients.book(practice.request(at: Instants.utc("2026-12-02T09:00:00Z")))
    }

    @Test func rulesCanLimitWhoMayBook() async throws {
        var rules = BookingRules.standard
        rules.allowedEmailPattern = "*@example.com"
        let practice = try await TestPractice(setup: .sample(rules: rules))
        await #expect {
            try await practice.workflow.clients.book(practice.request(email: "zoe@elsewhere.org"))
        } throws: {
            ($0 as? BookingError)?.code == "client_not_allowed"
        }
        _ = try await practice.workflow.clients.book(practice.request(email: "zoe@example.com"))
        rules.onlyExistingClients = true
        try await practice.workflow.practice.saveRules(rules)
        await #expect {
            try await practice.workflow.clients.book(
                practice.request(at: Instants.utc("2026-12-02T09:00:00Z"), email: "new@example.com"))
        } throws: { ($0 as? BookingError)?.code == "client_not_allowed" }
        _ = try await practice.workflow.clients.book(
            practice.request(at: Instants.utc("2026-12-02T09:00:00Z"), email: "zoe@example.com"))
    }

    @Test func perClientCapsAreEnforced() async throws {
        var rules = BookingRules.standard
        rules.maxBookingsPerClientPerDay = 1
        rules.maxBookingsPerClientPerWeek = 2
        let practice = try await TestPractice(setup: .sample(rules: rules))
        _ = try await practice.workflow.clients.book(practice.request())
        await #expect {
            try await practice.workflow.clients.book(
                practice.request(at: Instants.tuesdayTen.addingTimeInterval(3 * 3600)))
        } throws: { ($0 as? BookingError)?.code == "client_limit_reached" }
        _ = try await practice.workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(86_400)))
        await #expect {
            try await practice.workflow.clients.book(
                practice.request(at: Instants.tuesdayTen.addingTimeInterval(2 * 86_400)))
        } throws: { ($0 as? BookingError)?.code == "client_limit_reached" }
        // The next week is free again; another client is not affected.
        _ = try await practice.workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(7 * 86_400)))
        _ = try await practice.workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(2 * 86_400), email: "max@example.com"))
    }

    @Test func badInputIsRefusedAndChangesNothing() async throws {
        let practice = try await TestPractice()
        let bad: [ClientBookingRequest] = [
            practice.request(email: "not-an-email"),
            practice.request(name: "   "),
            ClientBookingRequest(
                serviceIDs: [ServiceID(rawValue: "svc_nope")], start: Instants.tuesdayTen, name: "Zoë",
                email: "zoe@example.com"),
            ClientBookingRequest(serviceIDs: [], start: Instants.tuesdayTen, name: "Zoë", email: "zoe@example.com"),
            ClientBookingRequest(
                serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen, name: "Zoë", email: "zoe@example.com",
                phone: "call me"),
            ClientBookingRequest(
                serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen, name: "Zoë", email: "zoe@example.com",
                timeZone: "Mars/Olympus"),
        ]
        for request in bad {
            await #expect { try await practice.workflow.clients.book(request) } throws: {
                ($0 as? BookingError)?.code == "invalid_field"
            }
        }
        let all = try await practice.store.read { try await $0.bookings(matching: BookingFilter()) }
        #expect(all.isEmpty)
        #expect(
            try await practice.store.read { try await $0.client(email: try EmailAddress("zoe@example.com")) } == nil)
    }

    @Test func fiftyConcurrentAttemptsAtOneSlotMakeOneBooking() async throws {
        let practice = try await TestPractice()
        let results = await withTaskGroup(of: Result<BookingID, any Error>.self) { group in
            for index in 0..<50 {
                group.addTask {
                    do {
                        return .success(
                            try await practice.workflow.clients.book(
                                practice.request(email: "racer\(index)@example.com")
                            )
                            .booking.id)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<BookingID, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        let winners = results.compactMap { try? $0.get() }
        let losers = results.compactMap { result -> BookingError? in
            if case .failure(let error) = result { return error as? BookingError }
            return nil
        }
        #expect(winners.count == 1)
        #expect(losers.count == 49)
        #expect(losers.allSatisfy { $0 == .slotTaken })
        let stored = try await practice.store.read { try await $0.bookings(matching: BookingFilter()) }
        #expect(stored.map(\.id) == winners)
    }

    @Test func aBookingKeepsTheRulesItWasMadeWith() async throws {
        let practice = try await TestPractice()
        let before = try await practice.workflow.clients.book(practice.request()).booking
        var rules = BookingRules.standard
        rules.approvalMode = .automatic
        rules.clientPaymentWindowMinutes = 60
        try await practice.workflow.practice.saveRules(rules)
        let after = try await practice.workflow.clients.book(practice.request(at: Instants.utc("2026-12-02T09:00:00Z")))
            .booking
        #expect(before.rules == .standard)
        #expect(after.rules == rules)
        #expect(after.holdUntil == Instants.mondayMorning.addingTimeInterval(3600))
        // Paying the old booking still waits for an admin; the new one is approved at once.
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: before))
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: after))
        #expect(try await practice.workflow.booking(before.id).state == .awaitingApproval)
        #expect(try await practice.workflow.booking(after.id).state == .approved)
    }

    @Test func aClientCancelsWithinTheNoticeAndIsRefunded() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        _ = try await practice.workflow.admin.approve(booking.id, AdminDecision(admin: AdminID(rawValue: "adm_1")))
        // Less than 24 hours before: refused.
        practice.clock.set(Instants.tuesdayTen.addingTimeInterval(-3600))
        await #expect { try await practice.workflow.clients.cancelByClient(token: booking.accessToken) } throws: {
            ($0 as? BookingError)?.code == "not_allowed_now"
        }
        // A day before: canceled and refunded.
        practice.clock.set(Instants.mondayMorning)
        let canceled = try await practice.workflow.clients.cancelByClient(token: booking.accessToken, reason: "Sick")
        #expect(canceled.state == .canceled)
        #expect(canceled.payment.status == .refundPending)
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(effects.contains(.emailAdmins(.clientCanceled)))
        #expect(
            effects.contains {
                if case .refund(let order, _) = $0 {
                    order.minorUnits == 4500 && order.paymentIntentID == "pi_test_\(booking.id)"
                } else {
                    false
                }
            })
        // The slot is free again.
        _ = try await practice.workflow.clients.book(practice.request(email: "max@example.com"))
    }
}
