import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

/// `/bookings/{token}`: one booking's page, where email links lead and the client area's actions go — its state
/// in plain words, pay, confirm, cancel (after showing what will be refunded), move it to another free time of the
/// same staff member, the calendar file and add-to-calendar links. The token in the address is the client's key
/// to the booking; every form also carries the visitor's form token.
struct BookingPage: Sendable {
    let area: ClientArea

    var workflow: BookingWorkflow { self.area.workflow }
    var renderer: PageRenderer { self.area.renderer }

    struct PageModel {
        var card: BookingCard
        var notice: String?
        var problem: String?
        var signedIn: Bool
        /// The notes admins chose to show the client, oldest first.
        var practiceNotes: [String]
        var hasPracticeNotes: Bool
    }

    struct CancelModel {
        var card: BookingCard
        var refund: String
        var formToken: String
        var back: String
    }

    struct RescheduleModel {
        struct Time {
            var label: String
            var start: String
        }

        var card: BookingCard
        var lead: String
        var date: String
        var minDate: String
        var times: [Time]
        var hasTimes: Bool
        var formToken: String
        var back: String
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get("bookings/:token") { request, context in
            let visit = try await self.area.pages.visit(request)
            guard let booking = try await self.booking(context) else { return self.area.pages.notFound(visit) }
            let signedIn = try await self.area.signedIn(request)?.1.id == booking.clientID
            return try await self.page(
                booking, visit, notice: visit.query["done"] != nil ? "booking.done" : nil, signedIn: signedIn)
        }
        router.post("bookings/:token/confirm") { request, context in
            try await self.act(request, context) { token, _ in
                _ = try await self.workflow.clients.confirmByClient(token: token)
            }
        }
        router.get("bookings/:token/cancel") { request, context in
            let visit = try await self.area.pages.visit(request)
            guard let booking = try await self.booking(context) else { return self.area.pages.notFound(visit) }
            let refund = try await self.workflow.clients.refundOnCancel(token: booking.accessToken)
            let words = self.renderer.words
            let model = CancelModel(
                card: try await self.card(booking, visit, actions: false),
                refund: refund.minorUnits > 0
                    ? words.text("cancel.refund", visit.language, ["amount": visit.format.money(refund)])
                    : words.text("cancel.noRefund", visit.language),
                formToken: visit.formToken, back: "/bookings/\(booking.accessToken)")
            return self.renderer.page("cancel", model, title: "cancel.title", for: visit)
        }
        router.post("bookings/:token/cancel") { request, context in
            try await self.act(request, context) { token, _ in
                _ = try await self.workflow.clients.cancelByClient(token: token)
            }
        }
        router.get("bookings/:token/reschedule") { request, context in
            let visit = try await self.area.pages.visit(request)
            guard let booking = try await self.booking(context) else { return self.area.pages.notFound(visit) }
            return try await self.reschedulePage(booking, visit)
        }
        router.post("bookings/:token/reschedule") { request, context in
            try await self.act(request, context) { token, form in
                guard let start = form["start"].flatMap(ISO8601.parse) else {
                    throw BookingError.invalidField(field: "start", reason: "pick one of the free times")
                }
                _ = try await self.workflow.clients.rescheduleByClient(token: token, to: start)
            }
        }
    }

    private func booking(_ context: AppContext) async throws -> Booking? {
        try await self.workflow.booking(namedBy: context)
    }

    private func card(_ booking: Booking, _ visit: PageVisit, actions: Bool = true) async throws -> BookingCard {
        var card = try await self.area.cards([booking], visit, now: self.workflow.clock.now())[0].1
        card.showActions = actions
        return card
    }

    /// The visit in the zone of the booking's client when the visitor chose none.
    private func visit(_ visit: PageVisit, for booking: Booking) async throws -> PageVisit {
        guard visit.zoneIsDefault else { return visit }
        var visit = visit
        let zone = try await self.workflow.timeZones(of: booking).client
        if let timeZone = TimeZone(identifier: zone) { visit.timeZone = timeZone }
        return visit
    }

    private func page(
        _ booking: Booking, _ visit: PageVisit, notice: String? = nil, problem: String? = nil, signedIn: Bool,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let visit = try await self.visit(visit, for: booking)
        let words = self.renderer.words
        let notes = try await self.workflow.history(of: booking.id).filter(\.reasonShownToClient).compactMap(\.reason)
        let model = PageModel(
            card: try await self.card(booking, visit), notice: notice.map { words.text($0, visit.language) },
            problem: problem, signedIn: signedIn, practiceNotes: notes, hasPracticeNotes: !notes.isEmpty)
        return self.renderer.page("booking", model, title: "booking.pageTitle", for: visit, status: status)
    }

    private func reschedulePage(
        _ booking: Booking, _ visit: PageVisit, problem: String? = nil
    ) async throws -> Response {
        let visit = try await self.visit(visit, for: booking)
        let zone = ZonedCalendar(identifier: visit.zoneName)!
        let now = self.workflow.clock.now()
        let today = zone.localDate(of: now)
        let date = visit.query["date"].flatMap(LocalDate.init(iso:)) ?? zone.localDate(of: booking.start)
        let slots =
            date < today
            ? []
            : try await self.workflow.clients.rescheduleSlots(
                token: booking.accessToken, dates: try DateRange(first: date, last: date), timeZone: visit.zoneName)
        let staff = try await self.workflow.practice.staff().first { $0.id == booking.staffID }?.name ?? ""
        let words = self.renderer.words
        let times = slots.filter { $0.start != booking.start }.map { slot in
            RescheduleModel.Time(
                label: words.text("reschedule.move", visit.language, ["time": visit.format.time(slot.start)]),
                start: slot.start.formatted(.iso8601))
        }
        let model = RescheduleModel(
            card: try await self.card(booking, visit, actions: false),
            lead: words.text("reschedule.lead", visit.language, ["staff": staff, "zone": visit.zoneName]),
            date: date.description, minDate: today.description, times: times, hasTimes: !times.isEmpty,
            formToken: visit.formToken, back: "/bookings/\(booking.accessToken)")
        return self.renderer.page("reschedule", model, title: "reschedule.title", for: visit)
    }

    /// Runs a client's action from a form: back to the booking's page (or the client area) when done; the page again
    /// with the refusal in words when the rules say no.
    private func act(
        _ request: Request, _ context: AppContext,
        _ action: @Sendable (AccessToken, [String: String]) async throws -> Void
    ) async throws -> Response {
        let visit = try await self.area.pages.visit(request)
        guard let booking = try await self.booking(context) else { return self.area.pages.notFound(visit) }
        guard let form = try await self.area.form(request, visit) else { return self.area.pages.expiredForm(visit) }
        do {
            try await action(booking.accessToken, form)
            return ClientArea.redirect(
                form["back"] == "account" ? "/account?done=1" : "/bookings/\(booking.accessToken)?done=1")
        } catch let error as BookingError {
            let signedIn = try await self.area.signedIn(request)?.1.id == booking.clientID
            let current = try await self.workflow.booking(accessToken: booking.accessToken)
            return try await self.page(
                current, visit, problem: self.area.pages.explain(error, visit), signedIn: signedIn,
                status: APIError(error).status)
        }
    }
}
