import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// The dashboard's clients: a searchable list, and a client's page with their bookings, the notes only admins see,
// and the ban.
extension AdminPages {
    struct ClientRow {
        var name: String
        var email: String
        var phone: String
        var banned: Bool
        var href: String
    }

    struct ClientsModel {
        var query: String
        var rows: [ClientRow]
        var hasRows: Bool
    }

    struct ClientModel {
        var facts: [Fact]
        var banned: Bool
        var bookings: [ListRow]
        var hasBookings: Bool
        var notes: String
        var formToken: String
        var id: String
        var notice: String?
        var problem: String?
    }

    func addClientRoutes(to router: Router<AppContext>) {
        router.get("admin/clients") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            let query = visit.query["q"].map { String($0.prefix(100)) } ?? ""
            let clients = try await self.workflow.admin.clients(matching: query)
            let rows = clients.map {
                ClientRow(
                    name: $0.name, email: $0.email.value, phone: $0.phone ?? "", banned: $0.isBanned,
                    href: "/admin/clients/\($0.id)")
            }
            return self.renderer.page(
                "admin-clients", ClientsModel(query: query, rows: rows, hasRows: !rows.isEmpty), title: "clients.title",
                for: visit)
        }
        router.get("admin/clients/:id") { request, context in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            guard let id = context.parameters.get("id").flatMap(ClientID.init(validating:)) else {
                return self.pages.notFound(visit)
            }
            return try await self.clientPage(id, visit, notice: visit.query["done"] != nil ? "admin.done" : nil)
        }
        typealias Change = @Sendable (AdminBooking, ClientID, AdminID, [String: String]) async throws -> Void
        let notes: Change = { use, id, admin, form in
            _ = try await use.setPrivateNotes(id, form["notes"] ?? "", by: admin)
        }
        let ban: Change = { use, id, admin, _ in _ = try await use.ban(id, by: admin) }
        let unban: Change = { use, id, admin, _ in _ = try await use.unban(id, by: admin) }
        let changes: [(String, Change)] = [("notes", notes), ("ban", ban), ("unban", unban)]
        for (name, change) in changes {
            router.post("admin/clients/:id/\(name)") { request, context in
                let visit = try await self.pages.visit(request)
                guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
                guard let id = context.parameters.get("id").flatMap(ClientID.init(validating:)) else {
                    return self.pages.notFound(visit)
                }
                guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
                do {
                    try await change(self.workflow.admin, id, admin.id, form)
                } catch let error as BookingError {
                    if case .notFound = error { return self.pages.notFound(visit) }
                    return try await self.clientPage(
                        id, visit, problem: self.pages.explain(error, visit), status: APIError(error).status)
                }
                return ClientArea.redirect("/admin/clients/\(id)?done=1")
            }
        }
    }

    private func clientPage(
        _ id: ClientID, _ visit: PageVisit, notice: String? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let file: (client: Client, bookings: [Booking])
        do {
            file = try await self.workflow.admin.clientFile(id)
        } catch BookingError.notFound {
            return self.pages.notFound(visit)
        }
        let words = self.renderer.words
        let text = { (key: String) in words.text(key, visit.language) }
        let client = file.client
        var facts = [
            Fact(label: text("clients.name"), value: client.name),
            Fact(label: text("clients.email"), value: client.email.value),
        ]
        if let phone = client.phone { facts.append(Fact(label: text("clients.phone"), value: phone)) }
        if let language = client.language {
            facts.append(Fact(label: text("client.language"), value: words.text("language.name", language)))
        }
        facts.append(Fact(label: text("client.since"), value: visit.format.shortDay(client.createdAt)))
        let staff = try await self.workflow.practice.staff()
        let rows = file.bookings.map { booking in
            ListRow(
                when: "\(visit.format.shortDay(booking.start)), \(visit.format.time(booking.start))",
                service: booking.lines.map(\.name).joined(separator: " + "), client: client.name,
                staff: staff.first { $0.id == booking.staffID }?.name ?? "",
                status: text("status.\(booking.state.rawValue)"),
                payment: text("paymentStatus.\(booking.payment.status.rawValue)"), href: "/admin/bookings/\(booking.id)"
            )
        }
        let model = ClientModel(
            facts: facts, banned: client.isBanned, bookings: rows, hasBookings: !rows.isEmpty,
            notes: client.privateNotes, formToken: visit.formToken, id: client.id.rawValue,
            notice: notice.map(text), problem: problem)
        return self.renderer.page("admin-client", model, title: "clients.title", for: visit, status: status)
    }
}
