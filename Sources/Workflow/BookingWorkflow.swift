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

    func newBooking(
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
