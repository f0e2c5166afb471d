import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

/// The booking pages, one step a screen: `/` (Chat or Call), `/book/{category}` (first session or additional
/// time), `/book/{category}/{service}?month=` (a month), `/book/{category}/{service}/{date}` (a day's times),
/// `/book/details` (the client's details, checked before paying), then `/book/confirm` books and sends the client
/// to the payment link. Every step is a GET but the two forms, so reloading or going back is harmless, and the
/// booking itself carries an idempotency key made with the summary: a second click or a resent form gives the same
/// booking.
struct BookingPages: Sendable {
    let workflow: BookingWorkflow
    let renderer: PageRenderer
    static let steps = 6

    func addRoutes(to router: Router<AppContext>) {
        router.get("") { request, _ in try await self.home(try await self.visit(request)) }
        router.get("book/:category") { request, context in
            try await self.services(context.parameters.get("category") ?? "", try await self.visit(request))
        }
        router.get("book/:category/:service") { request, context in
            try await self.month(context, try await self.visit(request))
        }
        router.get("book/:category/:service/:date") { request, context in
            try await self.day(context, try await self.visit(request))
        }
        router.get("book/details") { request, _ in
            let visit = try await self.visit(request)
            return try await self.details(visit.query["service"] ?? "", visit.query["start"] ?? "", visit)
        }
        router.post("book/details") { request, context in try await self.checkDetails(request, context) }
        router.post("book/confirm") { request, context in try await self.confirm(request, context) }
    }

    /// The visit of a page request, in the practice's zone unless the visitor chose theirs.
    func visit(_ request: Request) async throws -> PageVisit {
        let zone = try await self.workflow.practice.schedules().first?.timeZone ?? "UTC"
        return PageVisit(
            request, renderer: self.renderer, practiceZone: zone, newToken: { self.workflow.ids.token(length: 32) })
    }

    func words(_ visit: PageVisit) -> (String, [String: String]) -> String {
        { key, values in self.renderer.words.text(key, visit.language, values) }
    }

    func step(_ number: Int, _ visit: PageVisit) -> String {
        self.renderer.words.text("step.of", visit.language, ["step": "\(number)", "total": "\(Self.steps)"])
    }

    // MARK: - Steps 1 and 2

    private func home(_ visit: PageVisit) async throws -> Response {
        let text = self.words(visit)
        let offered = Set(try await self.workflow.practice.services().filter(\.isActive).map(\.category))
        let categories = ServiceCategory.allCases.filter(offered.contains).map { category in
            HomeModel.Category(
                name: text("category.\(category.rawValue)", [:]),
                about: text("category.\(category.rawValue).about", [:]),
                href: "/book/\(category.rawValue)",
                choose: text("category.choose", ["category": text("category.\(category.rawValue)", [:])]))
        }
        return self.renderer.page("home", HomeModel(categories: categories), title: "home.title", for: visit)
    }

    private func services(_ raw: String, _ visit: PageVisit) async throws -> Response {
        guard let category = ServiceCategory(rawValue: raw) else { return self.notFound(visit) }
        let text = self.words(visit)
        let categoryName = text("category.\(category.rawValue)", [:])
        let format = visit.format
        let services = try await self.workflow.practice.services().filter { $0.isActive && $0.category == category }
        let model = ServicesModel(
            step: self.step(2, visit), lead: text("service.lead", [:]),
            services: services.map { service in
                ServicesModel.Choice(
                    kind: text("service.\(service.kind.rawValue)", [:]), name: service.name,
                    duration: text("service.duration", ["minutes": "\(service.durationMinutes)"]),
                    price: format.money(service.price),
                    rule: service.kind == .additionalTime
                        ? text("service.additionalRule", ["category": categoryName.lowercased()]) : nil,
                    href: "/book/\(category.rawValue)/\(service.id)",
                    label: text("service.chooseNamed", ["kind": text("service.\(service.kind.rawValue)", [:])]))
            }, back: "/")
        return self.renderer.page(
            "services", model, title: "service.title", titleValues: ["category": categoryName], for: visit)
    }

    // MARK: - Steps 3 and 4

    /// The service of a `/book/{category}/{service}` path, if it is an active one of that category.
    private func service(_ context: AppContext) async throws -> Service? {
        guard let category = context.parameters.get("category").flatMap(ServiceCategory.init(rawValue:)),
            let id = context.parameters.get("service")
        else { return nil }
        return try await self.workflow.practice.services().first {
            $0.id.rawValue == id && $0.category == category && $0.isActive
        }
    }

    func serviceTitle(_ service: Service, _ visit: PageVisit) -> String {
        let text = self.words(visit)
        return
            "\(text("category.\(service.category.rawValue)", [:])) — \(text("service.\(service.kind.rawValue)", [:]))"
            + " (\(text("service.duration", ["minutes": "\(service.durationMinutes)"])))"
    }

    private func month(_ context: AppContext, _ visit: PageVisit) async throws -> Response {
        guard let service = try await self.service(context) else { return self.notFound(visit) }
        let text = self.words(visit)
        let zone = ZonedCalendar(identifier: visit.zoneName)!
        let now = self.workflow.clock.now()
        let today = zone.localDate(of: now)
        let rules = try await self.workflow.practice.rules()
        let lastDay = zone.localDate(of: now.addingTimeInterval(TimeInterval(rules.maximumAdvanceDays * 86_400)))
        let thisMonth = today.firstOfMonth
        let lastMonth = lastDay.firstOfMonth
        let asked = visit.query["month"].flatMap(LocalDate.init(month:)) ?? thisMonth
        let first = min(max(asked, thisMonth), lastMonth)
        let days = try await self.workflow.clients.daysWithSlots(
            serviceIDs: [service.id], month: first, timeZone: visit.zoneName)
        let free = Set(days)
        let base = "/book/\(service.category.rawValue)/\(service.id)"
        var cells: [MonthModel.Day] = Array(
            repeating: MonthModel.Day(number: "", label: "", href: nil, blank: true),
            count: first.weekday.isoNumber - 1)
        var day = first
        while day.month == first.month {
            let label = visit.format.day(zone.startOfDay(day).addingTimeInterval(43_200))
            let isFree = free.contains(day)
            cells.append(
                MonthModel.Day(
                    number: "\(day.day)", label: text(isFree ? "month.freeDay" : "month.noFreeDay", ["day": label]),
                    href: isFree ? "\(base)/\(day)" : nil, blank: false))
            day = day.adding(days: 1)
        }
        while cells.count % 7 != 0 { cells.append(MonthModel.Day(number: "", label: "", href: nil, blank: true)) }
        let weeks = stride(from: 0, to: cells.count, by: 7).map { MonthModel.Week(days: Array(cells[$0..<$0 + 7])) }
        let previous = first > thisMonth ? first.adding(months: -1) : nil
        let next = first < lastMonth ? first.adding(months: 1) : nil
        let model = MonthModel(
            step: self.step(3, visit),
            heading: visit.format.month(zone.startOfDay(first).addingTimeInterval(43_200)),
            service: self.serviceTitle(service, visit), lead: text("month.lead", ["zone": visit.zoneName]),
            weekdays: (1...7).map { text("weekday.short.\($0)", [:]) }, weeks: weeks, empty: free.isEmpty,
            previous: previous.map { "\(base)?month=\($0.monthISO)" },
            next: next.map { "\(base)?month=\($0.monthISO)" },
            back: "/book/\(service.category.rawValue)",
            zonePicker: Self.zonePicker(action: base, visit: visit, keep: ["month": first.monthISO]),
            guessZone: visit.zoneIsDefault)
        return self.renderer.page("month", model, title: "month.title", for: visit)
    }

    private func day(_ context: AppContext, _ visit: PageVisit) async throws -> Response {
        guard let service = try await self.service(context),
            let date = context.parameters.get("date").flatMap(LocalDate.init(iso:))
        else { return self.notFound(visit) }
        let text = self.words(visit)
        let zone = ZonedCalendar(identifier: visit.zoneName)!
        let slots = try await self.workflow.clients.availableSlots(
            serviceIDs: [service.id], dates: try DateRange(first: date, last: date), timeZone: visit.zoneName)
        let dayText = visit.format.day(zone.startOfDay(date).addingTimeInterval(43_200))
        let base = "/book/\(service.category.rawValue)/\(service.id)"
        let times = slots.map { slot in
            let time = visit.format.time(slot.start)
            let location = text("location.\(slot.location.rawValue)", [:])
            return DayModel.Time(
                time: time, location: location,
                href: "/book/details?"
                    + PageVisit.encode(["service": service.id.rawValue, "start": slot.start.formatted(.iso8601)]),
                label: "\(time), \(location)")
        }
        let model = DayModel(
            step: self.step(4, visit), service: self.serviceTitle(service, visit),
            lead: text("day.lead", ["day": dayText, "zone": visit.zoneName]), times: times, hasTimes: !times.isEmpty,
            back: "\(base)?month=\(date.monthISO)",
            zonePicker: Self.zonePicker(action: "\(base)/\(date)", visit: visit, keep: [:]))
        return self.renderer.page("day", model, title: "day.title", for: visit)
    }

    static func zonePicker(action: String, visit: PageVisit, keep: [String: String]) -> ZonePicker {
        ZonePicker(
            action: action,
            zones: TimeZone.knownTimeZoneIdentifiers.sorted().map {
                ZonePicker.Zone(name: $0, selected: $0 == visit.zoneName)
            },
            hidden: keep.sorted { $0.key < $1.key }.map { ZonePicker.Hidden(name: $0.key, value: $0.value) })
    }

    /// The page for a refusal a browser navigated to: "not found" in the visitor's words for a 404, nil (the JSON
    /// answer) for anything else.
    func errorPage(_ request: Request, _ error: APIError) async -> Response? {
        guard error.status == .notFound, let visit = try? await self.visit(request) else { return nil }
        return self.notFound(visit)
    }

    func notFound(_ visit: PageVisit) -> Response {
        self.renderer.message(
            title: "error.notFound.title", text: self.renderer.words.text("error.notFound", visit.language),
            link: ("/", self.renderer.words.text("site.book", visit.language)), for: visit, status: .notFound)
    }
}

extension BookingWorkflow {
    /// The booking a page's `:token` names; nil when the token is malformed or names none (the page says so).
    func booking(namedBy context: AppContext) async throws -> Booking? {
        guard let raw = context.parameters.get("token"), let token = AccessToken(validating: raw) else { return nil }
        do {
            return try await self.booking(accessToken: token)
        } catch BookingError.notFound {
            return nil
        }
    }
}
