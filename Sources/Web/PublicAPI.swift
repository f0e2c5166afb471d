import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Notifications
import Payments
import Workflow

/// The client side: catalog, slots, bookings, and the payment link.
struct PublicAPI: Sendable {
    let workflow: BookingWorkflow
    let configuration: WebConfiguration
    /// Names the practice in calendar files and builds the client's links.
    let branding: EmailBranding

    struct ClientBody: Decodable, Sendable {
        var name: String
        var email: String
        var phone: String?
        var timeZone: String?
    }

    struct BookingBody: Decodable, Sendable {
        var serviceId: String?
        var serviceIds: [String]?
        var start: Date
        var client: ClientBody
        var note: String?
    }

    struct CancelBody: Decodable, Sendable {
        var reason: String?
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get("api/services") { _, _ in
            ServiceList(services: try await self.workflow.practice.services().filter(\.isActive).map(ServiceView.init))
        }
        router.get("api/services/:id/slots") { request, context in try await self.slots(request, context) }
        router.get("api/services/:id/days") { request, context in try await self.days(request, context) }
        router.post("api/bookings") { request, _ in try await self.book(request) }
        router.get("api/bookings/:token") { request, context -> Response in
            // `/api/bookings/{token}.ics` is the booking's calendar file.
            if let raw = context.parameters.get("token"), raw.hasSuffix(".ics") {
                return try await self.calendarFile(
                    token: String(raw.dropLast(4)), language: request.uri.queryParameters.get("lang"))
            }
            let booking = try await self.workflow.booking(accessToken: try Self.token(context))
            let history = try await self.workflow.history(of: booking.id)
            return try JSONCoding.encoder.encodeAsResponse(self.clientView(booking, history: history), status: .ok)
        }
        router.post("api/bookings/:token/confirm") { _, context in
            let booking = try await self.workflow.clients.confirmByClient(token: try Self.token(context))
            return self.clientView(booking)
        }
        router.post("api/bookings/:token/cancel") { request, context in
            let body = try await Self.optionalBody(CancelBody.self, request)
            let booking = try await self.workflow.clients.cancelByClient(
                token: try Self.token(context), reason: body?.reason)
            return self.clientView(booking)
        }
    }

    /// The client's view of a booking, with its add-to-calendar links.
    func clientView(_ booking: Booking, history: [HistoryEntry]? = nil) -> BookingView {
        var view = BookingView(booking, links: self.workflow.links, token: false, history: history)
        view.calendar = self.calendarLinks(booking)
        return view
    }

    /// In the practice's language: an API client has no language of its own.
    func calendarLinks(_ booking: Booking) -> AddToCalendarLinks {
        self.branding.addToCalendarLinks(for: booking, stamp: booking.updatedAt, language: self.branding.language)
    }

    /// `GET /api/bookings/{token}.ics[?lang=fr]`: the booking as an iCalendar file, as it stands now, its texts in
    /// the language asked for (the links of pages and emails ask for their own), else the practice's.
    private func calendarFile(token raw: String, language code: String?) async throws -> Response {
        let language = try code.map { code in
            guard let language = Language(rawValue: code) else {
                throw APIError(
                    .badRequest, code: "invalid_language",
                    message: "lang must be one of \(Language.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return language
        }
        guard let token = AccessToken(validating: raw) else { throw APIError(BookingError.notFound(what: "booking")) }
        let booking = try await self.workflow.booking(accessToken: token)
        let ics = ICalendar.document(
            for: self.branding.calendarEvent(
                for: booking, stamp: booking.updatedAt, language: language ?? self.branding.language))
        var headers = HTTPFields()
        headers[.contentType] = "text/calendar; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"booking.ics\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: ics)))
    }

    static func token(_ context: AppContext) throws -> AccessToken {
        guard let raw = context.parameters.get("token"), let token = AccessToken(validating: raw) else {
            throw APIError(BookingError.notFound(what: "booking"))
        }
        return token
    }

    static func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        guard let length = request.headers[.contentLength], length != "0" else { return nil }
        return try await JSONBody.decode(type, from: request)
    }

    static func serviceIDs(single: String?, many: [String]?) throws -> [ServiceID] {
        let raw = many ?? single.map { [$0] } ?? []
        guard !raw.isEmpty else { throw APIError.invalid("serviceId", "give serviceId or serviceIds") }
        return try raw.map { value in
            guard let id = ServiceID(validating: value) else {
                throw APIError.invalid("serviceIds", "unknown service \(value)")
            }
            return id
        }
    }

    private func slots(_ request: Request, _ context: AppContext) async throws -> SlotList {
        guard let raw = context.parameters.get("id"), let serviceID = ServiceID(validating: raw) else {
            throw APIError(BookingError.notFound(what: "service"))
        }
        let query = request.uri.queryParameters
        guard let fromText = query.get("from") else { throw APIError.invalid("from", "is required (YYYY-MM-DD)") }
        guard let from = LocalDate(iso: fromText) else { throw APIError.invalid("from", "must be a date YYYY-MM-DD") }
        let toText = query.get("to") ?? fromText
        guard let to = LocalDate(iso: toText) else { throw APIError.invalid("to", "must be a date YYYY-MM-DD") }
        let dates = try DateRange(first: from, last: to)
        let timeZone = query.get("timeZone") ?? "UTC"
        guard try await self.workflow.practice.services().contains(where: { $0.id == serviceID && $0.isActive }) else {
            throw APIError(BookingError.notFound(what: "service"))
        }
        let slots = try await self.workflow.clients.availableSlots(
            serviceIDs: [serviceID], dates: dates, timeZone: timeZone)
        return SlotList(
            timeZone: timeZone, slots: slots.map { .init(start: $0.start, end: $0.end, staffId: $0.staffID.rawValue) })
    }

    /// `GET /api/services/{id}/days?month=YYYY-MM&timeZone=`: the days of a month with at least one free start.
    private func days(_ request: Request, _ context: AppContext) async throws -> DayList {
        guard let raw = context.parameters.get("id"), let serviceID = ServiceID(validating: raw) else {
            throw APIError(BookingError.notFound(what: "service"))
        }
        let query = request.uri.queryParameters
        guard let monthText = query.get("month") else { throw APIError.invalid("month", "is required (YYYY-MM)") }
        guard let month = LocalDate(month: monthText), month.year >= 2000 else {
            throw APIError.invalid("month", "must be a month YYYY-MM from 2000 on")
        }
        let timeZone = query.get("timeZone") ?? "UTC"
        guard try await self.workflow.practice.services().contains(where: { $0.id == serviceID && $0.isActive }) else {
            throw APIError(BookingError.notFound(what: "service"))
        }
        let days = try await self.workflow.clients.daysWithSlots(
            serviceIDs: [serviceID], month: month, timeZone: timeZone)
        return DayList(month: month.monthISO, timeZone: timeZone, days: days.map { $0.description })
    }

    private func book(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(BookingBody.self, from: request)
        let ids = try Self.serviceIDs(single: body.serviceId, many: body.serviceIds)
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let receipt = try await self.workflow.clients.book(
            ClientBookingRequest(
                serviceIDs: ids, start: body.start, name: body.client.name, email: body.client.email,
                phone: body.client.phone, note: body.note, timeZone: body.client.timeZone),
            idempotencyKey: key)
        var view = BookingView(receipt.booking, links: self.workflow.links, token: true)
        view.calendar = self.calendarLinks(receipt.booking)
        return try JSONCoding.encoder.encodeAsResponse(view, status: receipt.replayed ? .ok : .created)
    }
}
