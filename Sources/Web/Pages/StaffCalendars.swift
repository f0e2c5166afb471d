import Booking
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Notifications
import Workflow

// Staff calendars: each staff member's secret, revocable iCalendar feed (`/calendar/{secret}.ics`, `webcal://` to
// subscribe), listing their approved bookings and, as tentative, their pending ones; and the dashboard's page to
// make or revoke the address.
extension AdminPages {
    struct StaffRow {
        var name: String
        var id: String
        var address: String?
        var webcal: String?
    }

    struct StaffModel {
        var rows: [StaffRow]
        var formToken: String
        var notice: String?
    }

    func addStaffRoutes(to router: Router<AppContext>) {
        router.get("calendar/:file") { _, context -> Response in
            guard let file = context.parameters.get("file"), file.hasSuffix(".ics"),
                let feed = try await self.workflow.practice.calendarFeed(secret: String(file.dropLast(4)))
            else { throw APIError(.notFound, code: "not_found", message: "No calendar at this address.") }
            let stamp = self.workflow.clock.now()
            let events = feed.bookings.map {
                self.area.branding.staffEvent(for: $0.booking, client: $0.client, stamp: stamp)
            }
            let ics = ICalendar.feed(name: "\(feed.staff.name) — \(self.area.branding.businessName)", events: events)
            var headers = HTTPFields()
            headers[.contentType] = "text/calendar; charset=utf-8"
            headers[.cacheControl] = "private, max-age=300"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: ics)))
        }
        router.get("admin/staff") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            var rows: [StaffRow] = []
            for member in try await self.workflow.practice.staff() {
                let secret = try await self.workflow.practice.calendarFeedSecret(member.id)
                let address = secret.map { self.workflow.links.staffCalendar(secret: $0) }
                rows.append(
                    StaffRow(
                        name: member.name, id: member.id.rawValue, address: address,
                        webcal: address.map { "webcal://" + $0.drop { $0 != ":" }.dropFirst(3) }))
            }
            let model = StaffModel(
                rows: rows, formToken: visit.formToken,
                notice: visit.query["done"] != nil ? self.renderer.words.text("admin.done", visit.language) : nil)
            return self.renderer.page("admin-staff", model, title: "staff.title", for: visit)
        }
        let changes: [(String, @Sendable (PracticeAdministration, StaffID) async throws -> Void)] = [
            ("renew", { _ = try await $0.renewCalendarFeed($1) }), ("revoke", { try await $0.revokeCalendarFeed($1) }),
        ]
        for (name, change) in changes {
            router.post("admin/staff/:id/calendar/\(name)") { request, context in
                let visit = try await self.pages.visit(request)
                guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
                guard let id = context.parameters.get("id").flatMap(StaffID.init(validating:)) else {
                    return self.pages.notFound(visit)
                }
                guard try await self.area.form(request, visit) != nil else { return self.pages.expiredForm(visit) }
                do {
                    try await change(self.workflow.practice, id)
                } catch BookingError.notFound {
                    return self.pages.notFound(visit)
                }
                return ClientArea.redirect("/admin/staff?done=1")
            }
        }
    }
}
