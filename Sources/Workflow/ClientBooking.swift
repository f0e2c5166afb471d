import Booking
import Foundation

/// The client side: slots, booking, the client's area, confirming and cancelling by the booking's token.
public struct ClientBooking: UseCase {
    let context: WorkflowContext

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
            let engine = SlotEngine(
                schedules: schedules, busy: busy, clientBookings: clientBookings, assignment: self.context.assignment)
            return engine.slots(for: selection, dates: dates, displayTimeZone: zone, rules: rules, now: now)
        }
    }

    /// What booking `request` would give, checked as `book` checks it but without booking: the client learns
    /// before paying whether they may book this (eligibility, bans, the window, the caps, a free slot). The slot may
    /// still be taken by someone else before they book.
    public func preview(_ request: ClientBookingRequest) async throws -> BookingPreview {
        _ = try Client.validatedName(request.name)
        let email = try EmailAddress(request.email)
        _ = try Client.validatedPhone(request.phone)
        _ = try Self.validatedNote(request.note)
        _ = try Client.validatedTimeZone(request.timeZone)
        let now = self.clock.now()
        return try await self.store.read { reader in
            let (_, selection, _, claimed) = try await self.admit(request, email: email, now: now, in: reader)
            let staff = try await reader.staff().first { $0.id == claimed.slot.staffID }
            return BookingPreview(selection: selection, slot: claimed.slot, staffName: staff?.name)
        }
    }

    /// The checks of a client booking, in the caller's transaction (or read): the rules, who may book, the window,
    /// eligibility, then the slot claim with the per-client caps.
    private func admit(
        _ request: ClientBookingRequest, email: EmailAddress, now: Date, in reader: any BookingStoreReader
    ) async throws -> (BookingRules, ServiceSelection, Client?, ClaimedSlot) {
        let rules = try await reader.rules()
        let selection = try await Self.selection(request.serviceIDs, from: reader)
        let known = try await reader.client(email: email)
        if known == nil, rules.onlyExistingClients {
            throw BookingError.clientNotAllowed(reason: "only existing clients may book; please contact us")
        }
        guard rules.allows(email: email) else {
            throw BookingError.clientNotAllowed(reason: "this email address may not book here")
        }
        if known?.isBanned == true { throw BookingError.clientBanned }
        try Self.checkWindow(start: request.start, rules: rules, now: now)
        var history: [Booking] = []
        if let known { history = try await reader.bookings(of: known.id) }
        try Eligibility.check(selection, history: history, now: now)
        let slot = try await self.claim(
            selection, at: request.start, staffID: nil, rules: rules, clientBookings: history, now: now, in: reader)
        return (rules, selection, known, slot)
    }

    /// The local dates of `month` in `timeZone` (an IANA name) that have at least one bookable start for the
    /// services: what a month calendar enables.
    public func daysWithSlots(
        serviceIDs: [ServiceID], month first: LocalDate, timeZone: String, clientEmail: String? = nil
    ) async throws -> [LocalDate] {
        let dates = try DateRange(first: first.firstOfMonth, last: first.adding(months: 1).adding(days: -1))
        guard let zone = ZonedCalendar(identifier: timeZone) else {
            throw BookingError.invalidField(field: "timeZone", reason: "unknown IANA time zone \(timeZone)")
        }
        let slots = try await self.availableSlots(
            serviceIDs: serviceIDs, dates: dates, timeZone: timeZone, clientEmail: clientEmail)
        var days: [LocalDate] = []
        for slot in slots {
            let day = zone.localDate(of: slot.start)
            if days.last != day { days.append(day) }
        }
        return days
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
        // On a store whose writers queue behind locks (PostgreSQL), a refusal — most often a slot already taken, under
        // a rush for one slot — is answered from a read, without queuing behind the calendar's lock to learn it. A repeated request whose key made a booking
        // goes on to be answered with that booking. What passes is checked again, under the lock, by the write.
        if self.store.checksInAReadFirst {
            try await self.store.read { reader in
                if let idempotencyKey, try await reader.idempotencyRecord(key: idempotencyKey) != nil { return }
                _ = try await self.admit(request, email: email, now: now, in: reader)
            }
        }
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
            _ = try await self.expireLapsedHolds(at: now, in: tx)
            let (rules, selection, known, slot) = try await self.admit(request, email: email, now: now, in: tx)

            var client: Client
            if let known {
                client = known
                // Recorded when the client has none yet; an unauthenticated request does not change one they chose.
                if known.timeZone == nil, let timeZone { client.timeZone = timeZone }
                if known.language == nil, let language = request.language { client.language = language }
                if client != known { try await tx.update(client) }
            } else {
                client = Client(
                    id: self.ids.make(ClientID.self), name: name, email: email, phone: phone, timeZone: timeZone,
                    language: request.language, createdAt: now)
                try await tx.insert(client)
            }
            let opened = BookingLifecycle.open(
                confirmation: .none, payment: selection.price.minorUnits == 0 ? .free : .link,
                approval: rules.approvalMode, price: selection.price
            )
            let booking = self.newBooking(
                client: client, slot: slot, selection: selection, rules: rules, origin: .client,
                lifecycle: opened.lifecycle, holdMinutes: rules.clientPaymentWindowMinutes, note: note, now: now
            )
            try await tx.insert(booking)
            try await tx.append(
                HistoryEntry(
                    bookingID: booking.id, at: now, actor: .client(client.id), from: nil, to: booking.state,
                    event: HistoryEntry.Step.created.rawValue))
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

    /// A client and their bookings, the latest appointment first (the client area).
    public func clientArea(_ id: ClientID) async throws -> (client: Client, bookings: [Booking]) {
        try await self.store.read { reader in
            guard let client = try await reader.client(id) else { throw BookingError.notFound(what: "client") }
            return (
                client,
                try await reader.bookings(of: id).sorted { ($0.start, $0.id.rawValue) > ($1.start, $1.id.rawValue) }
            )
        }
    }
}
