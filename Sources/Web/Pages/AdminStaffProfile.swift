import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// A staff member's profile: name, the sessions they take, working hours per weekday with the place, the buffer,
// days off and special days. Saved changes show at once in the public slots (the schedule is read per request).
extension AdminPages {
    struct DayHours {
        var key: String
        var label: String
        var value: String
    }

    struct ProfileModel {
        var formToken: String
        var id: String
        var name: String
        var email: String
        var phone: String
        var services: [Option]
        var days: [DayHours]
        var hoursHelp: String
        var buffer: String
        var daysOff: String
        var specialDays: String
        var notice: String?
        var problem: String?
    }

    func addStaffProfileRoutes(to router: Router<AppContext>) {
        router.get("admin/staff/:id") { request, context in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            guard let id = context.parameters.get("id").flatMap(StaffID.init(validating:)) else {
                return self.pages.notFound(visit)
            }
            return try await self.profilePage(
                id, visit, form: nil, notice: visit.query["done"] != nil ? "admin.done" : nil)
        }
        router.post("admin/staff/:id") { request, context in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            guard let id = context.parameters.get("id").flatMap(StaffID.init(validating:)) else {
                return self.pages.notFound(visit)
            }
            guard let form = try await self.area.form(request, visit, repeated: ["service"]) else {
                return self.pages.expiredForm(visit)
            }
            guard let current = try await self.workflow.practice.schedules().first(where: { $0.staffID == id }) else {
                return self.pages.notFound(visit)
            }
            do {
                var schedule = current
                var hours: [Weekday: [WorkingInterval]] = [:]
                for day in Weekday.allCases {
                    let intervals = try ScheduleText.intervals(form[day.rawValue] ?? "", field: day.rawValue)
                    if !intervals.isEmpty { hours[day] = intervals }
                }
                schedule.weeklyHours = hours
                guard let buffer = Int(form["buffer"] ?? "") else {
                    throw BookingError.invalidField(field: "bufferMinutes", reason: "must be a whole number of minutes")
                }
                schedule.bufferMinutes = buffer
                schedule.daysOff = try ScheduleText.daysOff(form["daysOff"] ?? "")
                schedule.specialDays = try ScheduleText.specialDays(form["specialDays"] ?? "")
                schedule.serviceIDs = Set(
                    (form["service"] ?? "").split(separator: ",").compactMap { ServiceID(validating: String($0)) })
                // NB: the contact is checked before anything is saved, so a typo there changes nothing.
                if let email = form["email"], !email.trimmingCharacters(in: .whitespaces).isEmpty {
                    _ = try EmailAddress(email)
                }
                _ = try Client.validatedPhone(form["phone"])
                try await self.workflow.practice.saveSchedule(schedule, name: form["name"] ?? "")
                try await self.workflow.practice.saveStaffContact(id, email: form["email"], phone: form["phone"])
            } catch let problem as ScheduleText.Problem {
                return try await self.profilePage(
                    id, visit, form: form, problem: self.scheduleProblem(problem, visit), status: .unprocessableContent)
            } catch let error as BookingError {
                return try await self.profilePage(
                    id, visit, form: form, problem: self.pages.adminProblem(error, visit), status: .unprocessableContent
                )
            }
            return ClientArea.redirect("/admin/staff/\(id)?done=1")
        }
    }

    /// A problem in the hours, days off or special days, in the admin's words, the field named as the page labels it.
    private func scheduleProblem(_ problem: ScheduleText.Problem, _ visit: PageVisit) -> String {
        let words = self.renderer.words
        let label = Weekday(rawValue: problem.field) != nil ? "weekday.\(problem.field)" : "profile.\(problem.field)"
        var values = problem.values
        values["field"] = words.text(label, visit.language)
        return words.text("schedule.\(problem.kind.rawValue)", visit.language, values)
    }

    private func profilePage(
        _ id: StaffID, _ visit: PageVisit, form: [String: String]?, notice: String? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let member = try await self.workflow.practice.staff().first(where: { $0.id == id }),
            let schedule = try await self.workflow.practice.schedules().first(where: { $0.staffID == id })
        else { return self.pages.notFound(visit) }
        let words = self.renderer.words
        let offered =
            form.map { Set(($0["service"] ?? "").split(separator: ",").map(String.init)) }
            ?? Set(schedule.serviceIDs.map(\.rawValue))
        let services = try await self.workflow.practice.services().map {
            Option(value: $0.id.rawValue, label: $0.name, selected: offered.contains($0.id.rawValue))
        }
        let model = ProfileModel(
            formToken: visit.formToken, id: id.rawValue, name: form?["name"] ?? member.name,
            email: form?["email"] ?? member.email?.value ?? "", phone: form?["phone"] ?? member.phone ?? "",
            services: services,
            days: Weekday.allCases.map { day in
                DayHours(
                    key: day.rawValue, label: words.text("weekday.\(day.rawValue)", visit.language),
                    value: form?[day.rawValue]
                        ?? ScheduleText.format(schedule.weeklyHours[day] ?? [], in: visit.language))
            },
            hoursHelp: words.text("profile.hoursHelp", visit.language, ["zone": schedule.timeZone]),
            buffer: form?["buffer"] ?? "\(schedule.bufferMinutes)",
            daysOff: form?["daysOff"] ?? ScheduleText.format(schedule.daysOff),
            specialDays: form?["specialDays"] ?? ScheduleText.format(schedule.specialDays, in: visit.language),
            notice: notice.map { words.text($0, visit.language) }, problem: problem)
        return self.renderer.page("admin-profile", model, title: "staff.profile", for: visit, status: status)
    }
}
