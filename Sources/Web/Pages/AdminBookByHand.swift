import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// A booking by hand: a client (found by email, or created), up to five sessions, a staff member, a date and time
// (outside working hours only after a confirmation, never double-booked), and the three independent options —
// confirmation, payment, approval — with notify and a request the client sees. The client then gets the usual
// emails (the "Pending…" one with the payment link and the calendar file).
extension AdminPages {
    struct BookModel {
        var formToken: String
        var name: String
        var email: String
        var phone: String
        var services: [Option]
        var staff: [Option]
        var date: String
        var time: String
        var zoneNote: String
        var confirmations: [Option]
        var payments: [Option]
        var approvals: [Option]
        var notify: Bool
        var note: String
        var privateNote: String
        var override: String
        var askOutsideHours: Bool
        var problem: String?
        /// The free times of the chosen day, once asked for ("Show the free times").
        var freeTimes: [Option]
        var showedTimes: Bool
        var hasFreeTimes: Bool
    }

    func addBookByHandRoutes(to router: Router<AppContext>) {
        router.get("admin/book") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            var form: [String: String] = ["notify": "on"]
            if let id = visit.query["client"].flatMap(ClientID.init(validating:)),
                let client = try? await self.workflow.admin.client(id)
            {
                form["name"] = client.name
                form["email"] = client.email.value
                form["phone"] = client.phone ?? ""
            }
            return try await self.bookPage(visit, form: form)
        }
        router.post("admin/book") { request, _ in
            let visit = try await self.pages.visit(request)
            guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
            guard let form = try await self.area.form(request, visit, repeated: ["service"]) else {
                return self.pages.expiredForm(visit)
            }
            if form["action"] == "times" { return try await self.bookPage(visit, form: form, showTimes: true) }
            return try await self.book(form, admin: admin, visit)
        }
    }

    private func bookPage(
        _ visit: PageVisit, form: [String: String], askOutsideHours: Bool = false, problem: String? = nil,
        status: HTTPResponse.Status = .ok, showTimes: Bool = false
    ) async throws -> Response {
        let words = self.renderer.words
        let text = { (key: String) in words.text(key, visit.language) }
        let chosen = Set((form["service"] ?? "").split(separator: ",").map(String.init))
        let services = try await self.workflow.practice.services().filter(\.isActive).map {
            Option(
                value: $0.id.rawValue, label: "\($0.name) (\($0.durationMinutes)\u{00A0}min)",
                selected: chosen.contains($0.id.rawValue))
        }
        let staff =
            [Option(value: "", label: text("book.anyStaff"), selected: (form["staff"] ?? "").isEmpty)]
            + (try await self.workflow.practice.staff()).map {
                Option(value: $0.id.rawValue, label: $0.name, selected: form["staff"] == $0.id.rawValue)
            }
        func options<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ key: String, _ current: String?) -> [Option]
        where T.RawValue == String {
            T.allCases.enumerated().map { index, value in
                Option(
                    value: value.rawValue, label: text("book.\(key).\(value.rawValue)"),
                    selected: current == value.rawValue || (current == nil && index == 0))
            }
        }
        let times = showTimes ? try await self.freeTimes(form, visit) : []
        let model = BookModel(
            formToken: visit.formToken, name: form["name"] ?? "", email: form["email"] ?? "",
            phone: form["phone"] ?? "", services: services, staff: staff, date: form["date"] ?? "",
            time: form["time"] ?? "",
            zoneNote: words.text("book.zone", visit.language, ["zone": visit.zoneName]),
            confirmations: options(ConfirmationMode.self, "confirmation", form["confirmation"]),
            payments: options(AdminBookingRequest.Payment.self, "payment", form["payment"]),
            approvals: options(AdminBookingRequest.Approval.self, "approval", form["approval"]),
            notify: form["notify"] == "on", note: form["note"] ?? "", privateNote: form["privateNote"] ?? "",
            override: form["override"] ?? "",
            askOutsideHours: askOutsideHours, problem: problem,
            freeTimes: times, showedTimes: showTimes, hasFreeTimes: !times.isEmpty)
        return self.renderer.page("admin-book", model, title: "book.title", for: visit, status: status)
    }

    private func book(_ form: [String: String], admin: AdminAccount, _ visit: PageVisit) async throws -> Response {
        let words = self.renderer.words
        let serviceIDs = (form["service"] ?? "").split(separator: ",").compactMap { ServiceID(validating: String($0)) }
        let zone = ZonedCalendar(identifier: visit.zoneName)!
        guard let date = form["date"].flatMap(LocalDate.init(iso:)),
            let time = (form["picked"] ?? form["time"]).flatMap({ LocalTime(iso: String($0.prefix(5))) }),
            let start = zone.instant(on: date, at: time)
        else {
            return try await self.bookPage(
                visit, form: form, problem: words.text("error.invalid_field", visit.language),
                status: .unprocessableContent)
        }
        let staffID = form["staff"].flatMap(StaffID.init(validating:))
        do {
            if !serviceIDs.isEmpty, form["outsideHours"] != "on",
                try await !self.workflow.admin.isWorkingTime(serviceIDs, at: start, staffID: staffID)
            {
                return try await self.bookPage(
                    visit, form: form, askOutsideHours: true,
                    problem: words.text("book.outsideHoursAsk", visit.language), status: .unprocessableContent)
            }
            let receipt = try await self.workflow.admin.createByHand(
                AdminBookingRequest(
                    client: .new(name: form["name"] ?? "", email: form["email"] ?? "", phone: form["phone"]),
                    serviceIDs: serviceIDs, start: start, staffID: staffID,
                    confirmation: form["confirmation"].flatMap(ConfirmationMode.init(rawValue:)) ?? .none,
                    payment: form["payment"].flatMap(AdminBookingRequest.Payment.init(rawValue:)) ?? .link,
                    approval: form["approval"].flatMap(AdminBookingRequest.Approval.init(rawValue:)) ?? .rules,
                    notifyClient: form["notify"] == "on",
                    eligibilityOverrideReason: form["override"].flatMap { $0.isEmpty ? nil : $0 },
                    note: form["note"].flatMap { $0.isEmpty ? nil : $0 }),
                by: admin.id)
            if let note = form["privateNote"]?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty {
                let existing = receipt.client.privateNotes
                let dated = "\(visit.format.shortDay(self.workflow.clock.now())): \(note)"
                _ = try await self.workflow.admin.setPrivateNotes(
                    receipt.client.id, existing.isEmpty ? dated : existing + "\n" + dated, by: admin.id)
            }
            return ClientArea.redirect("/admin/bookings/\(receipt.booking.id)?done=1")
        } catch let error as BookingError {
            return try await self.bookPage(
                visit, form: form, problem: self.pages.adminProblem(error, visit), status: APIError(error).status)
        }
    }

    /// The slot picker: the free starts of the chosen day for the chosen sessions (and staff member), as the public
    /// pages offer them; an admin may still type another time.
    private func freeTimes(_ form: [String: String], _ visit: PageVisit) async throws -> [Option] {
        let serviceIDs = (form["service"] ?? "").split(separator: ",").compactMap { ServiceID(validating: String($0)) }
        guard !serviceIDs.isEmpty, let date = form["date"].flatMap(LocalDate.init(iso:)) else { return [] }
        let staffID = form["staff"].flatMap(StaffID.init(validating:))
        let slots =
            (try? await self.workflow.clients.availableSlots(
                serviceIDs: serviceIDs, dates: try DateRange(first: date, last: date), timeZone: visit.zoneName)) ?? []
        var seen: Set<String> = []
        return slots.filter { staffID == nil || $0.staffID == staffID }.compactMap { slot in
            let time = visit.format.time(slot.start)
            guard seen.insert(time).inserted else { return nil }
            return Option(value: time, label: time, selected: false)
        }
    }
}
