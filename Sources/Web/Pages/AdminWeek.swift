import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// A staff member's week as a calendar: seven days side by side, each with its working hours and its bookings
// (the cancelled and lapsed ones left out), previous and next week a click away.
extension AdminPages {
    struct WeekEntry {
        var time: String
        var client: String
        var service: String
        var status: String
        var href: String
        var pending: Bool
    }

    struct WeekDay {
        var label: String
        /// The day's hours, or that the staff member does not work that day.
        var hours: String
        /// Whether the staff member works that day (a day without bookings is then free).
        var works: Bool
        var entries: [WeekEntry]
        var hasEntries: Bool
    }

    struct WeekModel {
        var staff: [Option]
        var heading: String
        var days: [WeekDay]
        var previous: String
        var next: String
        var from: String
    }

    func addWeekRoutes(to router: Router<AppContext>) {
        router.get("admin/week") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            let words = self.renderer.words
            let members = try await self.workflow.practice.staff()
            let schedules = try await self.workflow.practice.schedules()
            guard
                let member = visit.query["staff"].flatMap({ id in members.first { $0.id.rawValue == id } })
                    ?? members.first
            else { return self.pages.notFound(visit) }
            let schedule = schedules.first { $0.staffID == member.id }
            let zone = ZonedCalendar(identifier: visit.zoneName)!
            let asked =
                visit.query["from"].flatMap(LocalDate.init(iso:)) ?? zone.localDate(of: self.workflow.clock.now())
            let monday = asked.startOfWeek
            var filter = BookingFilter(
                states: [
                    .awaitingClientConfirmation, .awaitingPayment, .awaitingApproval, .approved, .completed, .noShow,
                ],
                from: zone.startOfDay(monday), to: zone.startOfDay(monday.adding(days: 7)), limit: 500)
            filter.staffID = member.id
            let now = self.workflow.clock.now()
            // Lapsed holds are not in the week: only bookings that take time.
            let listed = try await self.workflow.admin.bookingsWithClients(matching: filter).filter {
                $0.booking.occupiesSlot(at: now)
            }
            let days = (0..<7).map { offset -> WeekDay in
                let day = monday.adding(days: offset)
                let entries = listed.filter { zone.localDate(of: $0.booking.start) == day }.map { item in
                    WeekEntry(
                        time: visit.format.timeRange(item.booking.start, item.booking.end),
                        client: item.client.name, service: item.booking.lines.map(\.name).joined(separator: " + "),
                        status: words.text("status.\(item.booking.state.rawValue)", visit.language),
                        href: "/admin/bookings/\(item.booking.id)", pending: item.booking.state != .approved)
                }
                let hours = schedule?.intervals(on: day) ?? []
                return WeekDay(
                    label: visit.format.weekdayAndDay(zone.startOfDay(day).addingTimeInterval(43_200)),
                    hours: hours.isEmpty
                        ? words.text("week.dayOff", visit.language) : ScheduleText.format(hours, in: visit.language),
                    works: !hours.isEmpty, entries: entries, hasEntries: !entries.isEmpty)
            }
            func link(_ date: LocalDate) -> String {
                "/admin/week?" + PageVisit.encode(["staff": member.id.rawValue, "from": date.description])
            }
            let model = WeekModel(
                staff: members.map { Option(value: $0.id.rawValue, label: $0.name, selected: $0.id == member.id) },
                heading: words.text(
                    "week.of", visit.language,
                    ["day": visit.format.day(zone.startOfDay(monday).addingTimeInterval(43_200))]),
                days: days, previous: link(monday.adding(days: -7)), next: link(monday.adding(days: 7)),
                from: monday.description)
            return self.renderer.page("admin-week", model, title: "week.title", for: visit)
        }
    }
}
