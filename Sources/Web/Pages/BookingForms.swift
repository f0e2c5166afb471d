import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// Steps 5 and 6 of the booking pages: the client's details (checked as the booking will be, before paying) and the
// booking itself.
extension BookingPages {
    /// What the details and summary forms post.
    struct DetailsForm: Decodable, Sendable {
        var form: String?
        var service: String
        var start: String
        var name: String?
        var email: String?
        var phone: String?
        var note: String?
        /// The summary's idempotency key (confirm only).
        var key: String?
        /// Set by the summary's "change my details" button: show the form again, filled in.
        var edit: String?
    }

    /// Reads a posted form (URL-encoded, at most 64 KiB) and the visit; nil when the form token is missing or wrong.
    private func posted(_ request: Request) async throws -> (DetailsForm, PageVisit)? {
        let visit = try await self.visit(request)
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let form = try? URLEncodedFormDecoder().decode(DetailsForm.self, from: String(buffer: body)),
            visit.accepts(formToken: form.form)
        else { return nil }
        return (form, visit)
    }

    /// The answer to a form without its token (or with another's): nothing changed, go back and try again.
    func expiredForm(_ visit: PageVisit) -> Response {
        self.renderer.message(
            title: "error.title", text: self.renderer.words.text("error.form_expired", visit.language),
            link: ("/", self.renderer.words.text("error.startAgain", visit.language)), for: visit,
            status: .forbidden)
    }

    /// Step 5: the details form for a start of a service.
    func details(
        _ serviceID: String, _ start: String, _ visit: PageVisit, filled: DetailsForm? = nil,
        error: BookingError? = nil
    ) async throws -> Response {
        guard let service = try await self.workflow.practice.services().first(where: { $0.id.rawValue == serviceID }),
            let instant = ISO8601.parse(start)
        else { return self.notFound(visit) }
        let text = { (key: String, values: [String: String]) in self.renderer.words.text(key, visit.language, values) }
        var fieldErrors: [String: String] = [:]
        var problem: String?
        if let error {
            if case .invalidField(let field, _) = error {
                let key = "invalid.\(field)"
                let message = text(key, [:])
                if message != key { fieldErrors[field] = message } else { problem = text("error.invalid_field", [:]) }
            } else {
                problem = self.explain(error, visit)
            }
        }
        let model = DetailsModel(
            step: self.step(5, visit),
            lead: text(
                "details.lead",
                [
                    "service": self.serviceTitle(service, visit), "day": visit.format.day(instant),
                    "time": visit.format.time(instant), "zone": visit.zoneName,
                ]), formToken: visit.formToken, serviceID: serviceID, start: start,
            name: filled?.name ?? "", email: filled?.email ?? "", phone: filled?.phone ?? "",
            note: filled?.note ?? "", problem: problem, nameError: fieldErrors["name"],
            emailError: fieldErrors["email"], phoneError: fieldErrors["phone"], noteError: fieldErrors["note"],
            back:
                "/book/\(service.category.rawValue)/\(service.id)/\(ZonedCalendar(identifier: visit.zoneName)!.localDate(of: instant))"
        )
        return self.renderer.page(
            "details", model, title: "details.title", for: visit, status: error == nil ? .ok : .unprocessableContent)
    }

    /// Step 5 posted: the booking is checked as it will be made; the summary, or the form again with what is wrong.
    func checkDetails(_ request: Request, _ context: AppContext) async throws -> Response {
        guard let (form, visit) = try await self.posted(request) else {
            return self.expiredForm(try await self.visit(request))
        }
        if form.edit != nil { return try await self.details(form.service, form.start, visit, filled: form) }
        guard let start = ISO8601.parse(form.start) else { return self.notFound(visit) }
        let clientRequest = ClientBookingRequest(
            serviceIDs: [ServiceID(rawValue: form.service)], start: start, name: form.name ?? "",
            email: form.email ?? "", phone: form.phone, note: form.note, timeZone: visit.zoneName,
            language: visit.language)
        let preview: BookingPreview
        do {
            preview = try await self.workflow.clients.preview(clientRequest)
        } catch let error as BookingError {
            return try await self.details(form.service, form.start, visit, filled: form, error: error)
        }
        let text = { (key: String, values: [String: String]) in self.renderer.words.text(key, visit.language, values) }
        let format = visit.format
        let service = preview.selection.services[0]
        var lines = [
            SummaryModel.Line(label: text("summary.service", [:]), value: self.serviceTitle(service, visit)),
            SummaryModel.Line(
                label: text("summary.when", [:]),
                value: "\(format.day(preview.slot.start)), "
                    + "\(format.timeRange(preview.slot.start, preview.slot.end)) (\(visit.zoneName))"),
        ]
        if let staff = preview.staffName { lines.append(.init(label: text("summary.with", [:]), value: staff)) }
        lines.append(
            .init(label: text("summary.where", [:]), value: text("location.\(preview.slot.location.rawValue)", [:])))
        lines.append(.init(label: text("summary.name", [:]), value: form.name ?? ""))
        lines.append(.init(label: text("summary.email", [:]), value: form.email ?? ""))
        if let phone = form.phone, !phone.isEmpty {
            lines.append(.init(label: text("summary.phone", [:]), value: phone))
        }
        if let note = form.note, !note.isEmpty { lines.append(.init(label: text("summary.note", [:]), value: note)) }
        let price = format.money(preview.selection.price)
        let model = SummaryModel(
            step: self.step(6, visit), lines: lines, price: price, pay: text("summary.pay", ["price": price]),
            formToken: visit.formToken, idempotencyKey: self.workflow.ids.token(length: 26), serviceID: form.service,
            start: form.start, name: form.name ?? "", email: form.email ?? "", phone: form.phone ?? "",
            note: form.note ?? "")
        return self.renderer.page("summary", model, title: "summary.title", for: visit)
    }

    /// Step 6 posted: books (once per summary, whatever the clicks) and sends the client to pay.
    func confirm(_ request: Request, _ context: AppContext) async throws -> Response {
        guard let (form, visit) = try await self.posted(request), let key = form.key, !key.isEmpty,
            key.count <= 64
        else { return self.expiredForm(try await self.visit(request)) }
        guard let start = ISO8601.parse(form.start) else { return self.notFound(visit) }
        let clientRequest = ClientBookingRequest(
            serviceIDs: [ServiceID(rawValue: form.service)], start: start, name: form.name ?? "",
            email: form.email ?? "", phone: form.phone, note: form.note, timeZone: visit.zoneName,
            language: visit.language)
        do {
            let receipt = try await self.workflow.clients.book(clientRequest, idempotencyKey: "page:\(key)")
            var headers = HTTPFields()
            headers[.location] = self.workflow.links.payment(receipt.booking.accessToken)
            return Response(status: .seeOther, headers: headers)
        } catch let error as BookingError {
            if case .invalidField = error {
                return try await self.details(form.service, form.start, visit, filled: form, error: error)
            }
            let service = try await self.workflow.practice.services().first { $0.id.rawValue == form.service }
            let zone = ZonedCalendar(identifier: visit.zoneName)!
            let again = service.map { "/book/\($0.category.rawValue)/\($0.id)/\(zone.localDate(of: start))" } ?? "/"
            return self.renderer.message(
                title: "error.title", text: self.explain(error, visit),
                link: (again, self.renderer.words.text("error.pickAnother", visit.language)), for: visit,
                status: APIError(error).status)
        }
    }

    /// A refusal for an admin's form: a field's own words when the catalog has them, else the field and what is
    /// wrong with it (admins fix typos from it), else the refusal in words.
    func adminProblem(_ error: BookingError, _ visit: PageVisit) -> String {
        guard case .invalidField(let field, let reason) = error else { return self.explain(error, visit) }
        // NB: an admin's texts first (`admin.invalid.*`: a client's form shows `invalid.*` beside its own fields).
        for key in ["admin.invalid.\(field)", "invalid.\(field)"] {
            let known = self.renderer.words.text(key, visit.language)
            if known != key { return known }
        }
        return "\(field): \(reason)"
    }

    /// A refusal in the visitor's words.
    func explain(_ error: BookingError, _ visit: PageVisit) -> String {
        let key = "error.\(error.code)"
        let text = self.renderer.words.text(key, visit.language)
        return text == key ? self.renderer.words.text("error.generic", visit.language) : text
    }
}
