import Booking
import Foundation

// The client's own changes to a booking from their area: what cancelling would refund, and moving the booking to
// another free time of the same staff member, up to the rules' notice.
extension ClientBooking {
    /// What cancelling the booking now would refund (what was received and not yet refunded).
    public func refundOnCancel(token: AccessToken) async throws -> Money {
        let booking = try await self.store.read { try Self.require(await $0.booking(accessToken: token)) }
        return Money(minorUnits: booking.payment.refundableMinorUnits, currency: booking.price.currency)
    }

    /// Free starts on `dates` (of `timeZone`) for moving the booking: the same staff member, the same length, its
    /// own time not counted as taken.
    public func rescheduleSlots(token: AccessToken, dates: DateRange, timeZone: String) async throws -> [Slot] {
        guard let zone = ZonedCalendar(identifier: timeZone) else {
            throw BookingError.invalidField(field: "timeZone", reason: "unknown IANA time zone \(timeZone)")
        }
        let now = self.clock.now()
        return try await self.store.read { reader in
            let booking = try Self.require(await reader.booking(accessToken: token))
            let selection = try Self.moving(booking)
            let schedules = try await reader.schedules().filter { $0.staffID == booking.staffID }
            let window = DateInterval(
                start: zone.startOfDay(dates.first).addingTimeInterval(-86_400),
                end: zone.startOfDay(dates.last.adding(days: 2)).addingTimeInterval(86_400))
            let busy = try await reader.busyTimes(
                staffIDs: [booking.staffID], overlapping: window, at: now, excluding: booking.id)
            let engine = SlotEngine(schedules: schedules, busy: busy, assignment: self.context.assignment)
            return engine.slots(for: selection, dates: dates, displayTimeZone: zone, rules: booking.rules, now: now)
        }
    }

    /// The client moves their booking to another free start of the same staff member, up to the rules' notice
    /// before the current start, within working hours and the booking window. The state machine decides whether
    /// the booking may move at all.
    public func rescheduleByClient(token: AccessToken, to start: Date) async throws -> Booking {
        let now = self.clock.now()
        return try await self.store.write { tx in
            var booking = try Self.require(await tx.booking(accessToken: token))
            let notice = TimeInterval(booking.rules.clientCancellationNoticeHours * 3600)
            if booking.start.timeIntervalSince(now) < notice {
                throw BookingError.tooEarlyOrLate(
                    reason:
                        "bookings can be moved up to \(booking.rules.clientCancellationNoticeHours) hours before the start; please contact us"
                )
            }
            var probe = booking.lifecycle
            _ = try probe.apply(.rescheduled)
            try Self.checkWindow(start: start, rules: booking.rules, now: now)
            let selection = try Self.moving(booking)
            let schedules = try await tx.schedules().filter { $0.staffID == booking.staffID }
            let end = start.addingTimeInterval(booking.end.timeIntervalSince(booking.start))
            booking.takeBuffer(from: schedules)
            let buffer = TimeInterval(booking.bufferMinutes * 60)
            let busy = try await tx.busyTimes(
                staffIDs: [booking.staffID],
                overlapping: DateInterval(
                    start: start.addingTimeInterval(-buffer), end: end.addingTimeInterval(buffer)),
                at: now, excluding: booking.id)
            let engine = SlotEngine(schedules: schedules, busy: busy, assignment: self.context.assignment)
            switch engine.availability(
                of: selection, at: start, staffID: booking.staffID, rules: booking.rules, now: now)
            {
            case .available: break
            case .taken: throw BookingError.slotTaken
            case .unavailable:
                throw BookingError.slotUnavailable(reason: "it is outside the staff member's working hours")
            }
            let old = booking.start
            booking.start = start
            booking.end = end
            if let holdUntil = booking.holdUntil, holdUntil > start { booking.holdUntil = start }
            booking.sequence += 1
            return try await self.transition(
                booking, .rescheduled, actor: .client(booking.clientID),
                reason: "from \(old.formatted(.iso8601)) to \(start.formatted(.iso8601)), by the client", now: now,
                in: tx
            ).booking
        }
    }

    /// The services of a booking as a selection, to find it a new time of the same length.
    static func moving(_ booking: Booking) throws -> ServiceSelection {
        try ServiceSelection(
            booking.lines.map {
                Service(
                    id: $0.serviceID, name: $0.name, category: $0.category, kind: $0.kind,
                    durationMinutes: $0.durationMinutes, price: $0.price)
            })
    }
}
