import Booking
import Foundation

/// The admin side: bookings by hand, every decision on a booking or a client, and the admin lists.
public struct AdminBooking: UseCase {
    let context: WorkflowContext

    /// An admin books by hand, for a known client or a new one, with the options of `AdminBookingRequest`.
    /// Admins are not bound by lead time, advance window, caps or working hours, but never double-book.
    public func createByHand(_ request: AdminBookingRequest, by admin: AdminID) async throws -> BookingReceipt {
        let now = self.clock.now()
        guard request.start > now else { throw BookingError.outsideBookingWindow(reason: "the start is in the past") }
        let override = try Self.validatedNote(request.eligibilityOverrideReason)
        let note = try Self.validatedNote(request.note)
        let newClient: (name: String, email: EmailAddress, phone: String?)? =
            if case .new(let name, let email, let phone) = request.client {
                (try Client.validatedName(name), try EmailAddress(email), try Client.validatedPhone(phone))
            } else {
                nil
            }
        return try await self.store.write { tx in
            _ = try await self.expireLapsedHolds(at: now, in: tx)
            let rules = try await tx.rules()
            let selection = try await Self.selection(request.serviceIDs, from: tx)
            var client: Client
            var createdClient = false
            switch request.client {
            case .existing(let id):
                client = try Self.require(await tx.client(id), "client")
            case .new:
                let details = newClient!
                if let known = try await tx.client(email: details.email) {
                    client = known
                } else {
                    client = Client(
                        id: self.ids.make(ClientID.self), name: details.name, email: details.email,
                        phone: details.phone, createdAt: now)
                    createdClient = true
                }
            }
            if client.isBanned { throw BookingError.clientBanned }
            let history = createdClient ? [] : try await tx.bookings(of: client.id)
            if override == nil { try Eligibility.check(selection, history: history, now: now) }
            let slot = try await self.claim(
                selection, at: request.start, staffID: request.staffID, rules: rules, clientBookings: nil, now: now,
                anyTime: true, in: tx)
            if createdClient { try await tx.insert(client) }

            var method: PaymentMethod =
                switch request.payment {
                case .link: .link
                case .offline: .offline
                case .free: .free
                }
            if selection.price.minorUnits == 0 { method = .free }
            let approval: ApprovalMode = request.approval == .preApproved ? .automatic : rules.approvalMode
            var price = selection.price
            if method == .free { price.minorUnits = 0 }
            let opened = BookingLifecycle.open(
                confirmation: request.confirmation, payment: method, approval: approval, price: price)
            let booking = self.newBooking(
                client: client, slot: slot, selection: selection, rules: rules, origin: .admin,
                lifecycle: opened.lifecycle, holdMinutes: rules.adminPaymentWindowMinutes, note: note, now: now
            )
            try await tx.insert(booking)
            var reasons = [
                "made by hand: confirmation \(request.confirmation.rawValue), payment \(method.rawValue), approval \(request.approval.rawValue)"
            ]
            if let override { reasons.append("eligibility override: \(override)") }
            try await tx.append(
                HistoryEntry(
                    bookingID: booking.id, at: now, actor: .admin(admin), from: nil, to: booking.state,
                    event: HistoryEntry.Step.created.rawValue,
                    reason: reasons.joined(separator: "; ")))
            var notices = opened.actions
            if booking.state != .approved && booking.state != .awaitingClientConfirmation {
                notices.insert(.notifyClient(.bookingCreatedByAdmin), at: 0)
            }
            if createdClient { notices.append(.notifyClient(.accountInvitation)) }
            _ = try await self.perform(notices, on: booking, notifyClient: request.notifyClient, now: now, in: tx)
            return BookingReceipt(booking: booking, client: client, replayed: false)
        }
    }

    /// Approves a paid booking.
    public func approve(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .approved, decision)
    }

    /// Rejects a booking; paid money is refunded through the provider.
    public func reject(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .rejected, decision)
    }

    /// Cancels a booking; paid money is refunded through the provider.
    public func cancel(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .canceled, decision)
    }

    /// Marks a session as having taken place (only once it has started).
    public func complete(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .completed, decision, onlyAfterStart: true)
    }

    /// Marks that the client did not come (only once the session has started).
    public func markNoShow(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .markedNoShow, decision, onlyAfterStart: true)
    }

    /// Puts an approved booking back to waiting for approval (pending again); the client is told unless not.
    public func putBackOnHold(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .putBackOnHold, decision)
    }

    /// Records a payment made by other means.
    public func markPaidOffline(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .markedPaidOffline, decision)
    }

    /// Moves a booking to another start on the same staff member. Never onto a taken time.
    public func reschedule(
        _ id: BookingID, to start: Date, staffID: StaffID? = nil, _ decision: AdminDecision
    ) async throws -> Booking {
        let now = self.clock.now()
        guard start > now else { throw BookingError.outsideBookingWindow(reason: "the new start is in the past") }
        let note = try Self.validatedNote(decision.note)
        return try await self.store.write { tx in
            var booking = try Self.require(await tx.booking(id))
            let duration = booking.end.timeIntervalSince(booking.start)
            let old = booking.start
            booking.start = start
            booking.end = start.addingTimeInterval(duration)
            // Another staff member, when the admin changes it: one who takes every service of the booking.
            var movedTo: String?
            if let staffID, staffID != booking.staffID {
                guard
                    let schedule = try await tx.schedules().first(where: { $0.staffID == staffID }),
                    schedule.offers(booking.lines.map(\.serviceID))
                else {
                    throw BookingError.invalidField(
                        field: "staffId", reason: "this staff member does not offer these services")
                }
                booking.staffID = staffID
                movedTo = "to \(staffID)"
            }
            booking.takeBuffer(from: try await tx.schedules())
            // The state machine decides first whether the booking may move at all.
            var probe = booking.lifecycle
            _ = try probe.apply(.rescheduled)
            let blocked = booking.blockedInterval
            let busy = try await tx.busyTimes(
                staffIDs: [booking.staffID], overlapping: blocked, at: now, excluding: booking.id)
            guard busy.isEmpty else { throw BookingError.slotTaken }
            // A hold never outlasts the session's (new) start.
            if let holdUntil = booking.holdUntil, holdUntil > start { booking.holdUntil = start }
            booking.sequence += 1
            let reason = ["from \(old.formatted(.iso8601)) to \(start.formatted(.iso8601))", movedTo, note]
                .compactMap { $0 }.joined(separator: "; ")
            return try await self.transition(
                booking, .rescheduled, actor: .admin(decision.admin), reason: reason,
                notifyClient: decision.notifyClient, now: now, in: tx
            ).booking
        }
    }

    /// Emails the client their payment link again, while the booking waits for payment and holds its time.
    public func remindToPay(_ id: BookingID, by admin: AdminID) async throws -> Booking {
        let now = self.clock.now()
        return try await self.store.write { tx in
            let booking = try Self.require(await tx.booking(id))
            guard booking.state == .awaitingPayment, !booking.payment.isSettled, !booking.holdLapsed(at: now) else {
                throw BookingError.tooEarlyOrLate(reason: "only a booking waiting for payment can be reminded")
            }
            _ = try await self.perform(
                [.notifyClient(.paymentReminder)], on: booking, notifyClient: true, now: now, in: tx)
            try await tx.append(
                HistoryEntry(
                    bookingID: id, at: now, actor: .admin(admin), from: booking.state, to: booking.state,
                    event: HistoryEntry.Step.paymentReminderSent.rawValue))
            return booking
        }
    }

    /// Archives a closed booking: it leaves the active list but keeps its history.
    public func archive(_ id: BookingID, by admin: AdminID) async throws -> Booking {
        let now = self.clock.now()
        return try await self.store.write { tx in
            var booking = try Self.require(await tx.booking(id))
            guard booking.state.isClosed else {
                throw BookingError.tooEarlyOrLate(
                    reason: "only closed bookings can be archived; this one is \(booking.state.rawValue)")
            }
            guard booking.archivedAt == nil else { return booking }
            booking.archivedAt = now
            booking.updatedAt = now
            try await tx.update(booking)
            try await tx.append(
                HistoryEntry(
                    bookingID: id, at: now, actor: .admin(admin), from: booking.state, to: booking.state,
                    event: HistoryEntry.Step.archived.rawValue))
            return booking
        }
    }

    /// Bans a client: they can no longer book; their bookings show under the banned view.
    public func ban(_ id: ClientID, by admin: AdminID) async throws -> Client {
        try await self.setBanned(id, true)
    }

    /// Lifts a ban.
    public func unban(_ id: ClientID, by admin: AdminID) async throws -> Client {
        try await self.setBanned(id, false)
    }

    private func decide(
        _ id: BookingID, _ event: BookingEvent, _ decision: AdminDecision, onlyAfterStart: Bool = false
    ) async throws -> Booking {
        let now = self.clock.now()
        let note = try Self.validatedNote(decision.note)
        return try await self.store.write { tx in
            let booking = try Self.require(await tx.booking(id))
            if onlyAfterStart, booking.start > now, booking.state == .approved {
                throw BookingError.tooEarlyOrLate(reason: "the session has not started yet")
            }
            return try await self.transition(
                booking, event, actor: .admin(decision.admin), reason: note, notifyClient: decision.notifyClient,
                reasonShownToClient: decision.noteShownToClient, now: now, in: tx
            ).booking
        }
    }

    private func setBanned(_ id: ClientID, _ banned: Bool) async throws -> Client {
        try await self.store.write { tx in
            var client = try Self.require(await tx.client(id), "client")
            guard client.isBanned != banned else { return client }
            client.isBanned = banned
            try await tx.update(client)
            return client
        }
    }

    // MARK: - Lists

    /// A client by id.
    public func client(_ id: ClientID) async throws -> Client {
        try await self.store.read { try Self.require(await $0.client(id), "client") }
    }

    /// Bookings for the admin lists.
    public func bookings(matching filter: BookingFilter) async throws -> [Booking] {
        try await self.store.read { try await $0.bookings(matching: filter) }
    }

    /// Bookings for the admin lists with their clients, read in two queries whatever the length of the list.
    public func bookingsWithClients(matching filter: BookingFilter) async throws -> [(booking: Booking, client: Client)]
    {
        try await self.store.read { reader in
            let bookings = try await reader.bookings(matching: filter)
            let clients = try await reader.clients(Set(bookings.map(\.clientID)))
            return try bookings.map { booking in
                (booking, try Self.require(clients[booking.clientID], "client"))
            }
        }
    }

    /// Whether `start` is within working hours for the services (of `staffID`, or of anyone offering them), busy or
    /// not: an admin is asked to confirm a booking by hand outside them.
    public func isWorkingTime(_ serviceIDs: [ServiceID], at start: Date, staffID: StaffID?) async throws -> Bool {
        let now = self.clock.now()
        return try await self.store.read { reader in
            let selection = try await Self.selection(serviceIDs, from: reader)
            let schedules = try await reader.schedules()
            let engine = SlotEngine(schedules: schedules, busy: [], assignment: self.context.assignment)
            let answer = engine.availability(
                of: selection, at: start, staffID: staffID, rules: try await reader.rules(), now: now)
            if case .unavailable = answer { return false }
            return true
        }
    }

    /// Clients whose name or email contains `query` (all when empty), by name.
    public func clients(matching query: String?, limit: Int = 200) async throws -> [Client] {
        try await self.store.read { try await $0.clients(matching: query, limit: limit) }
    }

    /// A client and their bookings, the latest first (the client's admin page).
    public func clientFile(_ id: ClientID) async throws -> (client: Client, bookings: [Booking]) {
        try await self.store.read { reader in
            let client = try Self.require(await reader.client(id), "client")
            let bookings = try await reader.bookings(of: id).sorted { $0.start > $1.start }
            return (client, bookings)
        }
    }

    /// Replaces the notes about a client that only admins see (at most 5,000 characters).
    public func setPrivateNotes(_ id: ClientID, _ notes: String, by admin: AdminID) async throws -> Client {
        let notes = try TypedText.checked(
            notes.trimmingCharacters(in: .whitespacesAndNewlines), field: "privateNotes", multiline: true)
        guard notes.count <= 5000 else {
            throw BookingError.invalidField(field: "privateNotes", reason: "at most 5000 characters")
        }
        return try await self.store.write { tx in
            var client = try Self.require(await tx.client(id), "client")
            guard client.privateNotes != notes else { return client }
            client.privateNotes = notes
            try await tx.update(client)
            return client
        }
    }

    /// What needs an admin, for the dashboard's home: paid bookings awaiting approval (oldest start first), bookings
    /// flagged for attention, then the sessions of today and the next `days` days (from `dayStart`).
    public func needingDecision(from dayStart: Date, days: Int = 7) async throws -> DecisionQueue {
        try await self.store.read { reader in
            let awaiting = try await reader.bookings(matching: BookingFilter(states: [.awaitingApproval], limit: 200))
            var flagged = BookingFilter(limit: 200)
            flagged.flaggedOnly = true
            let attention = try await reader.bookings(matching: flagged)
            let upcoming = try await reader.bookings(
                matching: BookingFilter(
                    states: [.approved], from: dayStart, to: dayStart.addingTimeInterval(TimeInterval(days) * 86_400),
                    limit: 200))
            let all = awaiting + attention + upcoming
            let clients = try await reader.clients(Set(all.map(\.clientID)))
            func pair(_ bookings: [Booking]) -> [(booking: Booking, client: Client?)] {
                bookings.map { ($0, clients[$0.clientID]) }
            }
            return DecisionQueue(
                awaitingApproval: pair(awaiting), needsAttention: pair(attention), upcoming: pair(upcoming))
        }
    }

    /// A booking with its client, its history and the names (emails) of the admins in it, for its admin page.
    public func file(_ id: BookingID) async throws -> BookingFile {
        try await self.store.read { reader in
            let booking = try Self.require(await reader.booking(id))
            let client = try Self.require(await reader.client(booking.clientID), "client")
            let history = try await reader.history(of: id)
            var admins: [AdminID: String] = [:]
            for entry in history {
                if case .admin(let adminID) = entry.actor, admins[adminID] == nil {
                    admins[adminID] = try await reader.admin(adminID)?.email.value
                }
            }
            let staff = try await reader.staff().first { $0.id == booking.staffID }?.name
            return BookingFile(booking: booking, client: client, history: history, adminNames: admins, staffName: staff)
        }
    }
}

/// The dashboard's home: what needs a decision, in order.
public struct DecisionQueue: Sendable {
    public var awaitingApproval: [(booking: Booking, client: Client?)]
    public var needsAttention: [(booking: Booking, client: Client?)]
    public var upcoming: [(booking: Booking, client: Client?)]
}

/// A booking with everything its admin page shows.
public struct BookingFile: Sendable {
    public var booking: Booking
    public var client: Client
    public var history: [HistoryEntry]
    /// Who each admin in the history is (their email, the name an admin account has).
    public var adminNames: [AdminID: String]
    public var staffName: String?
}
