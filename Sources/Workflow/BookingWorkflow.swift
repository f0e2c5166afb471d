import Booking
import Foundation

/// The use cases the three users drive. Each is one transaction through the `BookingStore`: the checks, the
/// transition, its history line and its outbox rows commit together or not at all.
public struct BookingWorkflow: Sendable {
    public let store: any BookingStore
    public let clock: any WallClock
    public let ids: any IdentifierGenerator

    public init(
        store: any BookingStore, clock: any WallClock = SystemWallClock(),
        ids: any IdentifierGenerator = RandomIdentifierGenerator()
    ) {
        self.store = store
        self.clock = clock
        self.ids = ids
    }

    // MARK: - Client side

    /// Bookable slots for one to five services, for the given dates of `timeZone` (an IANA name).
    /// With a client email, that client's per-day and per-week caps are applied too.
    public func availableSlots(
        serviceIDs: [ServiceID], dates: DateRange, timeZone: String, clientEmail: String? = nil
    ) async throws -> [Slot] {
        guard let zone = ZonedCalendar(identifier: timeZone) else {
            throw BookingError.invalidField(field: "timeZone", reason: "unknown IANA time zone \(timeZone)")
        }
        guard dates.dayCount <= 62 else {
            throw BookingError.invalidField(field: "to", reason: "at most 62 days per query")
        }
        let now = self.clock.now()
        return try await self.store.read { reader in
            let selection = try await Self.selection(serviceIDs, from: reader)
            let rules = try await reader.rules()
            let schedules = try await reader.schedules().filter { $0.offers(selection.serviceIDs) }
            let window = DateInterval(
                start: zone.startOfDay(dates.first).addingTimeInterval(-86_400),
                end: zone.startOfDay(dates.last.adding(days: 2)).addingTimeInterval(86_400)
            )
            let busy = try await reader.busyTimes(
                staffIDs: schedules.map(\.staffID), overlapping: window, at: now, excluding: nil)
            var clientBookings: [Booking]?
            if let clientEmail, let email = try? EmailAddress(clientEmail),
                let client = try await reader.client(email: email)
            {
                clientBookings = try await reader.bookings(of: client.id)
            }
            let engine = SlotEngine(schedules: schedules, busy: busy, clientBookings: clientBookings)
            return engine.slots(for: selection, dates: dates, displayTimeZone: zone, rules: rules, now: now)
        }
    }

    /// A client books a slot. The booking holds its slot for the payment window; the slot check and the insert
    /// run in one write transaction, so two racing clients cannot both get it. A repeated `idempotencyKey`
    /// returns the booking it created.
    public func book(_ request: ClientBookingRequest, idempotencyKey: String? = nil) async throws -> BookingReceipt {
        let name = try Client.validatedName(request.name)
        let email = try EmailAddress(request.email)
        let phone = try Client.validatedPhone(request.phone)
        let note = try Self.validatedNote(request.note)
        let timeZone = try Client.validatedTimeZone(request.timeZone)
        if let idempotencyKey, !(1...255).contains(idempotencyKey.unicodeScalars.count) {
            throw BookingError.invalidField(field: "Idempotency-Key", reason: "must be 1 to 255 characters")
        }
        let now = self.clock.now()
        return try await self.store.write { tx in
            if let idempotencyKey, let record = try await tx.idempotencyRecord(key: idempotencyKey) {
                guard record.fingerprint == request.fingerprint else { throw BookingError.idempotencyKeyReused }
                guard let booking = try await tx.booking(record.bookingID),
                    let client = try await tx.client(booking.clientID)
                else {
                    throw BookingError.notFound(what: "booking")
                }
                return BookingReceipt(booking: booking, client: client, replayed: true)
            }
            let rules = try await tx.rules()
            let selection = try await Self.selection(request.serviceIDs, from: tx)
            let known = try await tx.client(email: email)
            if known == nil, rules.onlyExistingClients {
                throw BookingError.clientNotAllowed(reason: "only existing clients may book; please contact us")
            }
            guard rules.allows(email: email) else {
                throw BookingError.clientNotAllowed(reason: "this email address may not book here")
            }
            if known?.isBanned == true { throw BookingError.clientBanned }
            try Self.checkWindow(start: request.start, rules: rules, now: now)
            var history: [Booking] = []
            if let known { history = try await tx.bookings(of: known.id) }
            try Eligibility.check(selection, history: history, now: now)
            let slot = try await Self.claim(
                selection, at: request.start, staffID: nil, rules: rules, clientBookings: history, now: now, in: tx)

            var client: Client
            if let known {
                client = known
                // Recorded when the client has none yet; an unauthenticated request does not change one they chose.
                if let timeZone, known.timeZone == nil {
                    client.timeZone = timeZone
                    try await tx.update(client)
                }
            } else {
                client = Client(
                    id: self.ids.make(ClientID.self), name: name, email: email, phone: phone, timeZone: timeZone,
                    createdAt: now)
                try await tx.insert(client)
            }
            let opened = BookingLifecycle.open(
                confirmation: .none, payment: selection.price.minorUnits == 0 ? .free : .link,
                approval: rules.approvalMode, price: selection.price
            )
            let booking = self.newBooking(
                client: client, slot: slot, selection: selection, rules: rules, buffer: slot.bufferMinutes,
                origin: .client,
                lifecycle: opened.lifecycle, holdMinutes: rules.clientPaymentWindowMinutes, note: note, now: now
            )
            try await tx.insert(booking)
            try await tx.append(
                HistoryEntry(
                    bookingID: booking.id, at: now, actor: .client(client.id), from: nil, to: booking.state,
                    event: "created"))
            let notices: [BookingAction] =
                booking.state == .awaitingPayment ? [.notifyClient(.bookingReceived)] : opened.actions
            _ = try await self.perform(notices, on: booking, notifyClient: true, now: now, in: tx)
            if let idempotencyKey {
                try await tx.remember(
                    IdempotencyRecord(
                        key: idempotencyKey, fingerprint: request.fingerprint, bookingID: booking.id, createdAt: now))
            }
            return BookingReceipt(booking: booking, client: client, replayed: false)
        }
    }

    /// The client confirms a booking an admin made for them; payment (if any) is then due by the link.
    public func confirmByClient(token: AccessToken) async throws -> Booking {
        let now = self.clock.now()
        return try await self.store.write { tx in
            let booking = try Self.require(await tx.booking(accessToken: token))
            if booking.holdLapsed(at: now) {
                throw BookingError.tooEarlyOrLate(reason: "the time to confirm this booking has passed")
            }
            return try await self.transition(
                booking, .clientConfirmed, actor: .client(booking.clientID), now: now, in: tx
            ).booking
        }
    }

    /// The client cancels their booking, up to the rules' notice before the start. Paid money is refunded.
    public func cancelByClient(token: AccessToken, reason: String? = nil) async throws -> Booking {
        let now = self.clock.now()
        let reason = try Self.validatedNote(reason)
        return try await self.store.write { tx in
            let booking = try Self.require(await tx.booking(accessToken: token))
            let notice = TimeInterval(booking.rules.clientCancellationNoticeHours * 3600)
            if booking.state.occupiesSlot, booking.start.timeIntervalSince(now) < notice {
                throw BookingError.tooEarlyOrLate(
                    reason:
                        "bookings can be canceled up to \(booking.rules.clientCancellationNoticeHours) hours before the start; please contact us"
                )
            }
            let result = try await self.transition(
                booking, .canceled, actor: .client(booking.clientID), reason: reason, now: now, in: tx)
            _ = try await self.perform(
                [.notifyAdmins(.clientCanceled)], on: result.booking, notifyClient: true, now: now, in: tx)
            return result.booking
        }
    }

    /// Remembers the provider checkout session opened for a booking's payment link.
    public func attachCheckout(bookingID: BookingID, checkoutSessionID: String) async throws -> Booking {
        let now = self.clock.now()
        return try await self.store.write { tx in
            var booking = try Self.require(await tx.booking(bookingID))
            guard booking.lifecycle.payment.checkoutSessionID != checkoutSessionID else { return booking }
            booking.lifecycle.attachCheckout(sessionID: checkoutSessionID)
            booking.updatedAt = now
            try await tx.update(booking)
            try await tx.append(
                HistoryEntry(
                    bookingID: booking.id, at: now, actor: .system, from: booking.state, to: booking.state,
                    event: "checkoutOpened",
                    reason: checkoutSessionID))
            return booking
        }
    }

    // MARK: - Admin side

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
            let slot = try await Self.claim(
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
                client: client, slot: slot, selection: selection, rules: rules, buffer: slot.bufferMinutes,
                origin: .admin,
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
                    event: "created",
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

    /// Records a payment made by other means.
    public func markPaidOffline(_ id: BookingID, _ decision: AdminDecision) async throws -> Booking {
        try await self.decide(id, .markedPaidOffline, decision)
    }

    /// Moves a booking to another start on the same staff member. Never onto a taken time.
    public func reschedule(_ id: BookingID, to start: Date, _ decision: AdminDecision) async throws -> Booking {
        let now = self.clock.now()
        guard start > now else { throw BookingError.outsideBookingWindow(reason: "the new start is in the past") }
        let note = try Self.validatedNote(decision.note)
        return try await self.store.write { tx in
            var booking = try Self.require(await tx.booking(id))
            let duration = booking.end.timeIntervalSince(booking.start)
            let old = booking.start
            booking.start = start
            booking.end = start.addingTimeInterval(duration)
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
            let reason = ["from \(Self.iso(old)) to \(Self.iso(start))", note].compactMap { $0 }.joined(separator: "; ")
            return try await self.transition(
                booking, .rescheduled, actor: .admin(decision.admin), reason: reason,
                notifyClient: decision.notifyClient, now: now, in: tx
            ).booking
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
                    event: "archived"))
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

    // MARK: - Provider and system

    /// Applies a payment fact from the provider, once per event id, in one transaction with recording that id.
    public func applyPaymentEvent(_ event: PaymentEvent) async throws -> PaymentEventOutcome {
        let now = self.clock.now()
        return try await self.store.write { tx in
            guard try await tx.recordProviderEvent(id: event.id, type: event.type, receivedAt: now) else {
                return .duplicate
            }
            var found: Booking?
            if let bookingID = event.bookingID {
                found = try await tx.booking(bookingID)
            } else if case .refunded(_, let intent?) = event.kind {
                found = try await tx.booking(paymentIntentID: intent)
            }
            guard var booking = found else { return .unknownBooking }
            let bookingID = booking.id
            let domainEvent: BookingEvent
            switch event.kind {
            case .ignored:
                return .ignored(reason: "event type \(event.type) is not acted on")
            case .checkoutExpired(let sessionID):
                // Our own hold decides; forget the dead session so the payment link opens a new one.
                if booking.payment.checkoutSessionID == sessionID, !booking.payment.isSettled {
                    booking.lifecycle.attachCheckout(sessionID: nil)
                    booking.updatedAt = now
                    try await tx.update(booking)
                }
                return .ignored(reason: "checkout session expired")
            case .failed(let reason):
                domainEvent = .paymentFailed(reason: reason)
            case .pending:
                return .ignored(reason: "payment pending at the provider")
            case .refunded(let total, let paymentIntentID):
                // Deliveries are unordered and repeated: only the part not yet counted is new.
                let surplus = paymentIntentID != nil && paymentIntentID != booking.payment.paymentIntentID
                let counted = surplus ? booking.lifecycle.surplusRefundedMinorUnits : booking.payment.refundedMinorUnits
                guard total > counted else { return .ignored(reason: "refund already counted") }
                domainEvent = .refunded(minorUnits: total - counted, paymentIntentID: paymentIntentID)
            case .succeeded(let receipt):
                if booking.holdLapsed(at: now) {
                    // The hold ran out before the expiry job saw it: expire first, then treat the money as late.
                    booking = try await self.transition(booking, .paymentWindowLapsed, actor: .system, now: now, in: tx)
                        .booking
                }
                var slotStillFree = true
                if booking.state == .expired {
                    let busy = try await tx.busyTimes(
                        staffIDs: [booking.staffID], overlapping: booking.blockedInterval, at: now,
                        excluding: booking.id)
                    slotStillFree = busy.isEmpty && booking.start > now
                }
                domainEvent = .paymentSucceeded(receipt, slotStillFree: slotStillFree)
            }
            let from = booking.state
            do {
                let result = try await self.transition(
                    booking, domainEvent, actor: .provider, providerEventID: event.id, now: now, in: tx)
                guard result.transition.changedAnything else { return .ignored(reason: "already applied") }
                return .applied(bookingID, from: from, to: result.booking.state)
            } catch let error as BookingError {
                guard case .illegalTransition = error else { throw error }
                // NB: the provider's facts are not ours to refuse; a webhook that cannot apply is acknowledged
                // (and kept in the history) rather than retried for days.
                try await tx.append(
                    HistoryEntry(
                        bookingID: bookingID, at: now, actor: .provider, from: from, to: from,
                        event: domainEvent.kind.rawValue,
                        reason: "not applied: \(error.message)", providerEventID: event.id))
                return .ignored(reason: error.message)
            }
        }
    }

    /// Expires every booking whose payment (or confirmation) window lapsed, freeing its slot. Returns their ids.
    public func expireLapsedHolds(limit: Int = 200) async throws -> [BookingID] {
        let now = self.clock.now()
        return try await self.store.write { tx in
            var expired: [BookingID] = []
            for booking in try await tx.lapsedHolds(at: now, limit: limit) {
                _ = try await self.transition(booking, .paymentWindowLapsed, actor: .system, now: now, in: tx)
                expired.append(booking.id)
            }
            return expired
        }
    }

    // MARK: - Reads

    /// A booking by id.
    public func booking(_ id: BookingID) async throws -> Booking {
        try await self.store.read { try Self.require(await $0.booking(id)) }
    }

    /// A booking by its client's access token.
    public func booking(accessToken: AccessToken) async throws -> Booking {
        try await self.store.read { try Self.require(await $0.booking(accessToken: accessToken)) }
    }

    /// A booking's history, oldest first.
    public func history(of id: BookingID) async throws -> [HistoryEntry] {
        try await self.store.read { try await $0.history(of: id) }
    }

    // MARK: - Internals

    /// Applies an event to a booking and writes what follows: the booking, its history line, its outbox rows.
    func transition(
        _ booking: Booking, _ event: BookingEvent, actor: Actor, reason: String? = nil, providerEventID: String? = nil,
        notifyClient: Bool = true, now: Date, in tx: any BookingStoreTransaction
    ) async throws -> (booking: Booking, transition: Transition) {
        var updated = booking
        let transition = try updated.lifecycle.apply(event)
        guard transition.changedAnything || event == .rescheduled else { return (booking, transition) }
        updated = try await self.perform(transition.actions, on: updated, notifyClient: notifyClient, now: now, in: tx)
        if !updated.state.holdsSlotUntilDeadline { updated.holdUntil = nil }
        updated.updatedAt = now
        try await tx.update(updated)
        try await tx.append(
            HistoryEntry(
                bookingID: booking.id, at: now, actor: actor, from: transition.from, to: transition.to,
                event: transition.event.rawValue, reason: reason, providerEventID: providerEventID))
        return (updated, transition)
    }

    /// Turns actions into changes of the booking and outbox rows (written in the caller's transaction).
    func perform(
        _ actions: [BookingAction], on booking: Booking, notifyClient: Bool, now: Date,
        in tx: any BookingStoreTransaction
    ) async throws -> Booking {
        var booking = booking
        for action in actions {
            var effect: OutboxEffect?
            let messageID = "msg_\(self.ids.token(length: 26))"
            switch action {
            case .notifyClient(let notice):
                if notifyClient { effect = .emailClient(notice) }
            case .notifyAdmins(let notice):
                effect = .emailAdmins(notice)
            case .refund(let order):
                effect = .refund(order, idempotencyKey: "rdv-refund-\(booking.id)-\(messageID)")
            case .releaseHold, .retakeSlot:
                booking.holdUntil = nil
            case .expireCheckout:
                if let session = booking.payment.checkoutSessionID {
                    effect = .expireCheckout(checkoutSessionID: session)
                }
            }
            if let effect {
                try await tx.enqueue(
                    OutboxMessage(id: messageID, bookingID: booking.id, effect: effect, createdAt: now))
            }
        }
        return booking
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
                now: now, in: tx
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

    private func newBooking(
        client: Client, slot: ClaimedSlot, selection: ServiceSelection, rules: BookingRules, buffer: Int,
        origin: BookingOrigin, lifecycle: BookingLifecycle, holdMinutes: Int, note: String?, now: Date
    ) -> Booking {
        let holds = lifecycle.state.holdsSlotUntilDeadline
        return Booking(
            id: self.ids.make(BookingID.self), accessToken: self.ids.make(AccessToken.self), clientID: client.id,
            staffID: slot.slot.staffID, lines: selection.lines, start: slot.slot.start, end: slot.slot.end,
            rules: rules,
            bufferMinutes: buffer, origin: origin, lifecycle: lifecycle,
            holdUntil: holds ? Booking.holdDeadline(now: now, windowMinutes: holdMinutes, start: slot.slot.start) : nil,
            clientNote: note,
            createdAt: now, updatedAt: now
        )
    }

    /// A slot found free inside the current write transaction, with its staff member's buffer.
    struct ClaimedSlot {
        var slot: Slot
        var bufferMinutes: Int
    }

    /// Finds a staff member free at `start` inside the write transaction, or throws `slotTaken` / `slotUnavailable`
    /// / `clientLimitReached`. With `anyTime` (admins) working hours are not required, only freedom from overlap.
    static func claim(
        _ selection: ServiceSelection, at start: Date, staffID: StaffID?, rules: BookingRules,
        clientBookings: [Booking]?,
        now: Date, anyTime: Bool = false, in tx: any BookingStoreTransaction
    ) async throws -> ClaimedSlot {
        let schedules = try await tx.schedules().filter { schedule in
            schedule.offers(selection.serviceIDs) && (staffID == nil || schedule.staffID == staffID)
        }
        guard !schedules.isEmpty else {
            throw staffID == nil
                ? BookingError.slotUnavailable(reason: "no staff member offers these services")
                : BookingError.invalidField(field: "staffId", reason: "this staff member does not offer these services")
        }
        let end = start.addingTimeInterval(selection.duration)
        let widest = TimeInterval((schedules.map(\.bufferMinutes).max() ?? 0) * 60)
        let window = DateInterval(start: start.addingTimeInterval(-widest), end: end.addingTimeInterval(widest))
        let busy = try await tx.busyTimes(
            staffIDs: schedules.map(\.staffID), overlapping: window, at: now, excluding: nil)
        let engine = SlotEngine(schedules: schedules, busy: busy, clientBookings: clientBookings)
        if anyTime {
            for schedule in schedules {
                let blocked = DateInterval(
                    start: start.addingTimeInterval(-schedule.buffer), end: end.addingTimeInterval(schedule.buffer))
                if !busy.contains(where: {
                    $0.staffID == schedule.staffID && $0.start < blocked.end && $0.end > blocked.start
                }) {
                    return ClaimedSlot(
                        slot: Slot(start: start, end: end, staffID: schedule.staffID, location: .office),
                        bufferMinutes: schedule.bufferMinutes)
                }
            }
            throw BookingError.slotTaken
        }
        switch engine.availability(of: selection, at: start, rules: rules, now: now) {
        case .available(let slot):
            let schedule = schedules.first { $0.staffID == slot.staffID }!
            if let zone = ZonedCalendar(identifier: schedule.timeZone),
                !engine.clientHasRoom(at: start, in: zone, rules: rules, now: now)
            {
                throw BookingError.clientLimitReached(reason: Self.capDescription(rules))
            }
            return ClaimedSlot(slot: slot, bufferMinutes: schedule.bufferMinutes)
        case .taken:
            throw BookingError.slotTaken
        case .unavailable:
            throw BookingError.slotUnavailable(
                reason: "it is outside working hours or not on the \(rules.slotStepMinutes)-minute grid")
        }
    }

    static func checkWindow(start: Date, rules: BookingRules, now: Date) throws(BookingError) {
        if start < now.addingTimeInterval(TimeInterval(rules.minimumLeadTimeMinutes * 60)) {
            throw .outsideBookingWindow(
                reason: "sessions must be booked at least \(rules.minimumLeadTimeMinutes) minutes ahead")
        }
        if start > now.addingTimeInterval(TimeInterval(rules.maximumAdvanceDays * 86_400)) {
            throw .outsideBookingWindow(reason: "sessions can be booked at most \(rules.maximumAdvanceDays) days ahead")
        }
    }

    static func capDescription(_ rules: BookingRules) -> String {
        var parts: [String] = []
        if let perDay = rules.maxBookingsPerClientPerDay { parts.append("\(perDay) per day") }
        if let perWeek = rules.maxBookingsPerClientPerWeek { parts.append("\(perWeek) per week") }
        return "at most " + parts.joined(separator: " and ")
    }

    static func selection(_ ids: [ServiceID], from reader: any BookingStoreReader) async throws -> ServiceSelection {
        guard !ids.isEmpty else {
            throw BookingError.invalidField(field: "serviceIds", reason: "at least one service is required")
        }
        let catalog = try await reader.services()
        let services = try ids.map { id in
            guard let service = catalog.first(where: { $0.id == id }) else {
                throw BookingError.invalidField(field: "serviceIds", reason: "unknown service \(id)")
            }
            return service
        }
        return try ServiceSelection(services)
    }

    static func require<T>(_ value: T?, _ what: String = "booking") throws -> T {
        guard let value else { throw BookingError.notFound(what: what) }
        return value
    }

    static func validatedNote(_ note: String?) throws(BookingError) -> String? {
        guard let note else { return nil }
        let trimmed = try TypedText.checked(
            note.trimmingCharacters(in: .whitespacesAndNewlines), field: "note", multiline: true)
        if trimmed.isEmpty { return nil }
        guard trimmed.count <= 2000 else { throw .invalidField(field: "note", reason: "at most 2000 characters") }
        return trimmed
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }
}
