import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// The dashboard's list of bookings over a period (a day, a week, a month, or from … to …), filtered by status,
// staff member, session and client, each row with its times, client, staff, status and payment at a glance.
extension AdminPages {
    enum Period: String, CaseIterable {
        case day, week, month, custom
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct ListRow {
        var when: String
        var service: String
        var client: String
        var staff: String
        var status: String
        var payment: String
        var href: String
    }

    struct ListModel {
        /// The period shown, sent back with the form (see `listPage`).
        var shown: String
        var periods: [Option]
        var from: String
        var to: String
        var statuses: [Option]
        var staff: [Option]
        var services: [Option]
        var query: String
        var count: String
        var rows: [ListRow]
        var hasRows: Bool
        var previous: String
        var next: String
    }

    func listPage(_ visit: PageVisit) async throws -> Response {
        let words = self.renderer.words
        let text = { (key: String, values: [String: String]) in words.text(key, visit.language, values) }
        let zone = ZonedCalendar(identifier: visit.zoneName)!
        let period = visit.query["range"].flatMap(Period.init(rawValue:)) ?? .week
        let today = zone.localDate(of: self.workflow.clock.now())
        let asked = visit.query["from"].flatMap(LocalDate.init(iso:)) ?? today
        let to = visit.query["to"].flatMap(LocalDate.init(iso:))
        var anchor = asked
        // A new period chosen with the date left as it was: when today was in view, it stays in view (the week of
        // Monday 30 November, which holds Sunday 6 December, becomes December, not November).
        if let shown = visit.query["shown"].flatMap(Period.init(rawValue:)), shown != period,
            visit.query["shownFrom"] == visit.query["from"]
        {
            let before = Self.days(of: shown, from: asked, to: to)
            if before.first <= today, today <= before.last { anchor = today }
        }
        let (first, last) = Self.days(of: period, from: anchor, to: to)
        var filter = BookingFilter(from: zone.startOfDay(first), to: zone.startOfDay(last.adding(days: 1)), limit: 500)
        filter.states = visit.query["status"].flatMap(BookingState.init(rawValue:)).map { [$0] }
        filter.staffID = visit.query["staff"].flatMap(StaffID.init(validating:))
        filter.serviceID = visit.query["service"].flatMap(ServiceID.init(validating:))
        filter.clientQuery = visit.query["q"].map { String($0.prefix(100)) }
        let listed = try await self.workflow.admin.bookingsWithClients(matching: filter)
        let staff = try await self.workflow.practice.staff()
        let services = try await self.workflow.practice.services()
        let format = visit.format
        let rows = listed.map { item in
            ListRow(
                when: "\(format.shortDay(item.booking.start)), "
                    + format.timeRange(item.booking.start, item.booking.end),
                service: item.booking.lines.map(\.name).joined(separator: " + "),
                client: "\(item.client.name) (\(item.client.email.value))",
                staff: staff.first { $0.id == item.booking.staffID }?.name ?? item.booking.staffID.rawValue,
                status: text("status.\(item.booking.state.rawValue)", [:]),
                payment: text("paymentStatus.\(item.booking.payment.status.rawValue)", [:]),
                href: "/admin/bookings/\(item.booking.id)")
        }
        let span = last.daysSinceEpoch - first.daysSinceEpoch + 1
        var keep = visit.query
        keep.removeValue(forKey: "lang")
        keep.removeValue(forKey: "shown")
        keep.removeValue(forKey: "shownFrom")
        func shifted(_ days: Int) -> String {
            var query = keep
            query["range"] = period.rawValue
            query["from"] =
                (period == .month ? first.adding(months: days.signum()) : first.adding(days: days))
                .description
            if period == .custom { query["to"] = last.adding(days: days).description }
            return "/admin/bookings?" + PageVisit.encode(query)
        }
        let model = ListModel(
            shown: period.rawValue,
            periods: Period.allCases.map {
                Option(value: $0.rawValue, label: text("list.range.\($0.rawValue)", [:]), selected: $0 == period)
            }, from: first.description, to: last.description,
            statuses: [Option(value: "", label: text("list.anyStatus", [:]), selected: filter.states == nil)]
                + BookingState.allCases.map {
                    Option(
                        value: $0.rawValue, label: text("status.\($0.rawValue)", [:]),
                        selected: filter.states == [$0])
                },
            staff: [Option(value: "", label: text("list.anyStaff", [:]), selected: filter.staffID == nil)]
                + staff.map { Option(value: $0.id.rawValue, label: $0.name, selected: $0.id == filter.staffID) },
            services: [Option(value: "", label: text("list.anyService", [:]), selected: filter.serviceID == nil)]
                + services.map { Option(value: $0.id.rawValue, label: $0.name, selected: $0.id == filter.serviceID) },
            query: filter.clientQuery ?? "",
            count: text(
                rows.count == 1 ? "list.count.one" : "list.count",
                [
                    "count": "\(rows.count)",
                    "from": format.shortDay(zone.startOfDay(first).addingTimeInterval(43_200)),
                    "to": format.shortDay(zone.startOfDay(last).addingTimeInterval(43_200)),
                ]), rows: rows, hasRows: !rows.isEmpty, previous: shifted(-span), next: shifted(span))
        return self.renderer.page("admin-list", model, title: "list.title", for: visit)
    }

    /// The first and last days of a period that starts at (or, for a week or a month, holds) `from`; a custom
    /// period ends at `to`, within a year.
    static func days(of period: Period, from: LocalDate, to: LocalDate?) -> (first: LocalDate, last: LocalDate) {
        switch period {
        case .day: (from, from)
        case .week: (from.startOfWeek, from.startOfWeek.adding(days: 6))
        case .month: (from.firstOfMonth, from.adding(months: 1).adding(days: -1))
        case .custom: (from, max(from, min(to ?? from, from.adding(days: 366))))
        }
    }
}
