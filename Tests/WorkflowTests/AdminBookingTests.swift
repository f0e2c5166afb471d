import Booking
import Foundation
import TestSupport
import Testing
import Workflow

/// Admins make bookings by hand and decide on them.
@Suite struct AdminBookingTests {
    let adminID = AdminID(rawValue: "adm_1")
    var decision: AdminDecision { AdminDecision(admin: self.adminID) }

    func newClient(_ email: String = "lea@example.com") -> ClientChoice {
        .new(name: "Léa Moreau", email: email, phone: "+33 6 12 34 56 78")
    }

    @Test func byDefaultAHandMadeBookingWaitsForPaymentByLinkFor48Hours() async throws {
        let practice = try await TestPractice()
        // A session three days ahead: the whole window fits before it (HoldDeadlineTests covers nearer ones).
        let receipt = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient(), serviceIDs: [Service.callFirst.id],
                start: Instants.utc("2026-12-03T09:00:00Z")),
            by: self.adminID)
        let booking = receipt.booking
        #expect(booking.state == .awaitingPayment)
        #expect(booking.origin == .admin)
        #expect(booking.holdUntil == Instants.mondayMorning.addingTimeInterval(48 * 3600))
        #expect(receipt.client.phone == "+33 6 12 34 56 78")
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        // A new client also gets the signed link into their client area.
        #expect(effects == [.emailClient(.bookingCreatedByAdmin), .emailClient(.accountInvitation)])
        let history = try await practice.workflow.history(of: booking.id)
        #expect(history.first?.actor == .admin(self.adminID))
        // Paid: it waits for approval, as a client booking does.
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        #expect(try await practice.workflow.booking(booking.id).state == .awaitingApproval)
    }

    @Test func aKnownClientGetsNoAccountEmailAndALinkWorksOnce() async throws {
        let practice = try await TestPractice()
        let first = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient(), serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen),
            by: self.adminID)
        let second = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: .existing(first.client.id), serviceIDs: [Service.chatFirst.id],
                start: Instants.tuesdayTen.addingTimeInterval(3 * 3600)),
            by: self.adminID)
        let effects = try await practice.store.read { try await $0.outbox(of: second.booking.id) }.map(\.effect)
        #expect(!effects.contains(.emailClient(.accountInvitation)))

        let key = try await practice.workflow.accounts.linkSigningKey()
        #expect(key.count >= 52)
        #expect(try await practice.workflow.accounts.linkSigningKey() == key)
        #expect(try await practice.workflow.accounts.redeemOnce(linkNonce: "msg_1"))
        #expect(try await !practice.workflow.accounts.redeemOnce(linkNonce: "msg_1"))
        #expect(try await practice.workflow.accounts.redeemOnce(linkNonce: "msg_2"))
        let area = try await practice.workflow.clients.clientArea(first.client.id)
        #expect(area.bookings.map(\.id) == [second.booking.id, first.booking.id])
    }

    @Test(arguments: [
        (
            ConfirmationMode.none, AdminBookingRequest.Payment.offline, AdminBookingRequest.Approval.preApproved,
            BookingState.approved, PaymentStatus.paid
        ),
        (.none, .offline, .rules, .awaitingApproval, .paid),
        (.none, .free, .preApproved, .approved, .notRequired),
        (.none, .free, .rules, .awaitingApproval, .notRequired),
        (.none, .link, .preApproved, .awaitingPayment, .unpaid),
        (.askClient, .link, .rules, .awaitingClientConfirmation, .unpaid),
        (.askClient, .offline, .preApproved, .awaitingClientConfirmation, .paid),
    ])
    func theThreeOptionsAreIndependent(
        confirmation: ConfirmationMode, payment: AdminBookingRequest.Payment, approval: AdminBookingRequest.Approval,
        state: BookingState, paymentStatus: PaymentStatus
    ) async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient(), serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen,
                confirmation: confirmation,
                payment: payment, approval: approval),
            by: self.adminID
        ).booking
        #expect(booking.state == state)
        #expect(booking.payment.status == paymentStatus)
        #expect((booking.holdUntil != nil) == (state == .awaitingPayment || state == .awaitingClientConfirmation))
        if payment == .free { #expect(booking.price.minorUnits == 0) }
    }

    @Test func askingTheClientToConfirmThenPay() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient(), serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen,
                confirmation: .askClient),
            by: self.adminID
        ).booking
        let confirmed = try await practice.workflow.clients.confirmByClient(token: booking.accessToken)
        #expect(confirmed.state == .awaitingPayment)
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        #expect(
            effects == [
                .emailClient(.confirmationRequested), .emailClient(.accountInvitation), .emailClient(.paymentRequested),
            ])
    }

    @Test func notNotifyingTheClientWritesNoClientEmail() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient(), serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen,
                payment: .offline, notifyClient: false),
            by: self.adminID
        ).booking
        _ = try await practice.workflow.admin.approve(
            booking.id, AdminDecision(admin: self.adminID, notifyClient: false))
        let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
        // The admin made it paid and approved it: nobody needs an email.
        #expect(effects.isEmpty)
    }

    @Test func anExistingClientIsReusedByIdOrEmail() async throws {
        let practice = try await TestPractice()
        let zoe = try await practice.workflow.clients.book(practice.request()).client
        let byID = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: .existing(zoe.id), serviceIDs: [Service.callFirst.id],
                start: Instants.utc("2026-12-02T09:00:00Z")), by: self.adminID)
        #expect(byID.client.id == zoe.id)
        let byEmail = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient("ZOE@example.com"), serviceIDs: [Service.callFirst.id],
                start: Instants.utc("2026-12-03T09:00:00Z")),
            by: self.adminID)
        #expect(byEmail.client.id == zoe.id)
        await #expect(throws: BookingError.notFound(what: "client")) {
            try await practice.workflow.admin.createByHand(
                AdminBookingRequest(
                    client: .existing(ClientID(rawValue: "cl_nobody")), serviceIDs: [Service.callFirst.id],
                    start: Instants.tuesdayTen), by: self.adminID)
        }
    }

    @Test func anEligibilityOverrideNeedsAReasonAndIsRecorded() async throws {
        let practice = try await TestPractice()
        await #expect {
            try await practice.workflow.admin.createByHand(
                AdminBookingRequest(
                    client: self.newClient(), serviceIDs: [Service.chatMore.id], start: Instants.tuesdayTen),
                by: self.adminID)
        } throws: { ($0 as? BookingError)?.code == "not_eligible" }
        let booking = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient(), serviceIDs: [Service.chatMore.id], start: Instants.tuesdayTen,
                eligibilityOverrideReason: "First session held at the previous practice"),
            by: self.adminID
        ).booking
        let created = try #require(try await practice.workflow.history(of: booking.id).first)
        #expect(created.reason?.contains("eligibility override: First session held at the previous practice") == true)
    }

    @Test func adminsMayBookOutsideHoursButNeverDoubleBook() async throws {
        let practice = try await TestPractice()
        // Saturday morning: outside the schedule, allowed by hand.
        let saturday = try await practice.workflow.admin.createByHand(
            AdminBookingRequest(
                client: self.newClient(), serviceIDs: [Service.chatFirst.id],
                start: Instants.utc("2026-12-05T09:00:00Z")), by: self.adminID)
        #expect(saturday.booking.state == .awaitingPayment)
        _ = try await practice.workflow.clients.book(practice.request())
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.admin.createByHand(
                AdminBookingRequest(
                    client: self.newClient("max@example.com"), serviceIDs: [Service.chatFirst.id],
                    start: Instants.tuesdayTen.addingTimeInterval(30 * 60)),
                by: self.adminID)
        }
    }

    @Test func approvingAnUnpaidBookingIsAnIllegalTransitionNamingTheState() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        await #expect(throws: BookingError.illegalTransition(from: .awaitingPayment, event: .approved)) {
            try await practice.workflow.admin.approve(booking.id, self.decision)
        }
        await #expect(throws: BookingError.notFound(what: "booking")) {
            try await practice.workflow.admin.approve(BookingID(rawValue: "bk_nope"), self.decision)
        }
        #expect(try await practice.workflow.history(of: booking.id).count == 1)
    }

    @Test func reschedulingMovesTheBookingOnTheSameStaffAndRaisesItsSequence() async throws {
        let practice = try await TestPractice(setup: .sample(staff: [.camille, .noor]))
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        let other = try await practice.workflow.clients.book(
            practice.request(at: Instants.tuesdayTen.addingTimeInterval(3 * 3600), email: "max@example.com")
        ).booking
        #expect(other.staffID == booking.staffID)
        let newStart = Instants.utc("2026-12-02T13:00:00Z")
        let moved = try await practice.workflow.admin.reschedule(
            booking.id, to: newStart, AdminDecision(admin: self.adminID, note: "Client asked"))
        #expect(moved.start == newStart)
        #expect(moved.end == newStart.addingTimeInterval(45 * 60))
        #expect(moved.staffID == booking.staffID)
        #expect(moved.sequence == 1)
        #expect(moved.state == .awaitingPayment)
        let last = try #require(try await practice.workflow.history(of: booking.id).last)
        #expect(last.event == "rescheduled")
        #expect(last.reason?.contains("Client asked") == true)
        // Onto the other booking (same staff member): refused, even though another staff member is free.
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.admin.reschedule(booking.id, to: other.start, self.decision)
        }
        #expect(try await practice.workflow.booking(booking.id).start == newStart)
    }

    /// An admin's move places the booking again, with the staff member's buffer of now.
    @Test(arguments: StoreKind.allCases) func anAdminsMoveKeepsTheBufferOfNow(kind: StoreKind) async throws {
        let practice = try await TestPractice(kind: kind)
        let (zoe, max) = try await practice.twoBookingsCloserThanTheBufferOfNow()
        await #expect(throws: BookingError.slotTaken) {
            try await practice.workflow.admin.reschedule(
                zoe.id, to: max.end.addingTimeInterval(15 * 60), self.decision)
        }
        let moved = try await practice.workflow.admin.reschedule(
            zoe.id, to: max.end.addingTimeInterval(60 * 60), self.decision)
        #expect(moved.bufferMinutes == 60)
    }

    @Test func completionAndNoShowComeOnlyAfterTheStart() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        _ = try await practice.workflow.admin.approve(booking.id, self.decision)
        await #expect { try await practice.workflow.admin.complete(booking.id, self.decision) } throws: {
            ($0 as? BookingError)?.code == "not_allowed_now"
        }
        await #expect { try await practice.workflow.admin.markNoShow(booking.id, self.decision) } throws: {
            ($0 as? BookingError)?.code == "not_allowed_now"
        }
        practice.clock.set(booking.start.addingTimeInterval(60))
        #expect(try await practice.workflow.admin.markNoShow(booking.id, self.decision).state == .noShow)
    }

    @Test func markingPaidOfflineSettlesTheBooking() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        let paid = try await practice.workflow.admin.markPaidOffline(
            booking.id, AdminDecision(admin: self.adminID, note: "Cash"))
        #expect(paid.state == .awaitingApproval)
        #expect(paid.payment.status == .paid)
        #expect(paid.payment.method == .offline)
    }

    @Test func onlyClosedBookingsAreArchived() async throws {
        let practice = try await TestPractice()
        let booking = try await practice.workflow.clients.book(practice.request()).booking
        await #expect { try await practice.workflow.admin.archive(booking.id, by: self.adminID) } throws: {
            ($0 as? BookingError)?.code == "not_allowed_now"
        }
        _ = try await practice.workflow.admin.cancel(booking.id, self.decision)
        let archived = try await practice.workflow.admin.archive(booking.id, by: self.adminID)
        #expect(archived.archivedAt == Instants.mondayMorning)
        let active = try await practice.store.read { try await $0.bookings(matching: BookingFilter()) }
        let inArchive = try await practice.store.read {
            try await $0.bookings(matching: BookingFilter(view: .archived))
        }
        #expect(active.isEmpty)
        #expect(inArchive.map(\.id) == [booking.id])
        #expect(
            try await practice.workflow.history(of: booking.id).map(\.event) == ["created", "canceled", "archived"])
    }

    @Test func bannedClientsBookingsShowUnderTheBannedView() async throws {
        let practice = try await TestPractice()
        let receipt = try await practice.workflow.clients.book(practice.request())
        _ = try await practice.workflow.admin.ban(receipt.client.id, by: self.adminID)
        #expect(
            try await practice.store.read { try await $0.bookings(matching: BookingFilter(view: .banned)) }.map(\.id)
                == [receipt.booking.id])
        await #expect(throws: BookingError.clientBanned) {
            try await practice.workflow.admin.createByHand(
                AdminBookingRequest(
                    client: .existing(receipt.client.id), serviceIDs: [Service.chatFirst.id],
                    start: Instants.utc("2026-12-02T09:00:00Z")),
                by: self.adminID)
        }
    }
}
