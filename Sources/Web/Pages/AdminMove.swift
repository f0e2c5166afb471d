import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// Reminding the client to pay, and moving a booking, from its dashboard page: the free times of its staff member on a chosen day, or any other time
// (outside working hours too), never over another booking; the client is told unless the admin says not to.
extension AdminPages {
    struct MoveModel {
        struct Time {
            var label: String
            var start: String
        }

        var date: String
        var times: [Time]
        var hasTimes: Bool
        var freeLead: String
        var time: String
        var staff: [Option]
    }

    /// The move section of a booking's page, when the state machine lets the booking move.
    func moveModel(_ file: BookingFile, _ visit: PageVisit) async throws -> MoveModel? {
        let booking = file.booking
        var probe = booking.lifecycle
        guard (try? probe.apply(.rescheduled)) != nil, !booking.state.isClosed else { return nil }
        let zone = ZonedCalendar(identifier: visit.zoneName)!
        let date = visit.query["moveDate"].flatMap(LocalDate.init(iso:)) ?? zone.localDate(of: booking.start)
        let slots = try await self.workflow.clients.rescheduleSlots(
            token: booking.accessToken, dates: try DateRange(first: date, last: date), timeZone: visit.zoneName)
        let members = try await self.workflow.practice.staff()
        let times = slots.filter { $0.start != booking.start }.map {
            MoveModel.Time(label: visit.format.time($0.start), start: $0.start.formatted(.iso8601))
        }
        return MoveModel(
            date: date.description, times: times, hasTimes: !times.isEmpty,
            freeLead: self.renderer.words.text(
                "move.free", visit.language, ["staff": file.staffName ?? "", "zone": visit.zoneName]),
            time: visit.format.time(booking.start),
            staff: try await self.workflow.practice.schedules().filter {
                $0.offers(booking.lines.map(\.serviceID))
            }.compactMap { schedule in
                members.first { $0.id == schedule.staffID }.map {
                    Option(value: $0.id.rawValue, label: $0.name, selected: $0.id == booking.staffID)
                }
            })
    }

    func addMoveRoutes(to router: Router<AppContext>) {
        router.post("admin/bookings/:id/remind") { request, context in
            let visit = try await self.pages.visit(request)
            guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
            guard let id = context.parameters.get("id").flatMap(BookingID.init(validating:)) else {
                return self.pages.notFound(visit)
            }
            guard try await self.area.form(request, visit) != nil else { return self.pages.expiredForm(visit) }
            do {
                _ = try await self.workflow.admin.remindToPay(id, by: admin.id)
            } catch let error as BookingError {
                if case .notFound = error { return self.pages.notFound(visit) }
                return try await self.bookingPage(
                    id, admin: admin, visit, problem: self.pages.explain(error, visit), status: APIError(error).status)
            }
            return ClientArea.redirect("/admin/bookings/\(id)?done=1")
        }
        router.post("admin/bookings/:id/reschedule") { request, context in
            let visit = try await self.pages.visit(request)
            guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
            guard let id = context.parameters.get("id").flatMap(BookingID.init(validating:)) else {
                return self.pages.notFound(visit)
            }
            guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
            let zone = ZonedCalendar(identifier: visit.zoneName)!
            // A free time picked from the list, or a day and a time typed.
            let start =
                form["start"].flatMap(ISO8601.parse)
                ?? form["date"].flatMap(LocalDate.init(iso:)).flatMap { date in
                    form["time"].flatMap { LocalTime(iso: String($0.prefix(5))) }.flatMap {
                        zone.instant(on: date, at: $0)
                    }
                }
            guard let start else {
                return try await self.bookingPage(
                    id, admin: admin, visit, problem: self.renderer.words.text("error.invalid_field", visit.language),
                    status: .unprocessableContent)
            }
            do {
                _ = try await self.workflow.admin.reschedule(
                    id, to: start, staffID: form["staff"].flatMap(StaffID.init(validating:)),
                    AdminDecision(
                        admin: admin.id, note: form["note"].flatMap { $0.isEmpty ? nil : $0 },
                        notifyClient: form["notify"] == "on"))
            } catch let error as BookingError {
                if case .notFound = error { return self.pages.notFound(visit) }
                return try await self.bookingPage(
                    id, admin: admin, visit, problem: self.pages.explain(error, visit), status: APIError(error).status)
            }
            return ClientArea.redirect("/admin/bookings/\(id)?done=1")
        }
    }
}
