import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Workflow

/// The admin dashboard's first pages, `/admin`: sign in (email and password, bcrypt, throttled as the API's
/// logins), a session in the database behind an HttpOnly cookie that ends after two hours unused or at sign-out;
/// the home of what needs a decision; a booking's page with its history and the decisions its state allows, each
/// with a note and "notify the client". The JSON admin API stays for scripts, with its Bearer tokens.
struct AdminPages: Sendable {
    static let cookie = "rendezvous_admin"

    let area: ClientArea
    var pages: BookingPages { self.area.pages }
    var workflow: BookingWorkflow { self.area.workflow }
    var renderer: PageRenderer { self.area.renderer }

    func addRoutes(to router: Router<AppContext>) {
        router.get("admin") { request, _ in
            let visit = try await self.pages.visit(request)
            guard let admin = try await self.signedIn(request) else { return self.signInPage(visit) }
            return try await self.home(admin, visit)
        }
        router.post("admin/sign-in") { request, context in try await self.signIn(request, context) }
        router.post("admin/sign-out") { request, _ in
            let visit = try await self.pages.visit(request)
            if try await self.area.form(request, visit) != nil,
                let token = PageVisit.cookies(request.headers[.cookie])[Self.cookie]
            {
                try await self.workflow.accounts.endAdminSession(tokenHash: AdminPasswords.tokenHash(token))
            }
            var response = ClientArea.redirect("/admin")
            response.headers.append(HTTPField(name: .setCookie, value: self.sessionCookie("", maxAge: 0)))
            return response
        }
        router.get("admin/bookings") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            return try await self.listPage(visit)
        }
        router.get("admin/bookings/:id") { request, context in
            let visit = try await self.pages.visit(request)
            guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
            guard let id = context.parameters.get("id").flatMap(BookingID.init(validating:)) else {
                return self.pages.notFound(visit)
            }
            return try await self.bookingPage(
                id, admin: admin, visit, notice: visit.query["done"] != nil ? "admin.done" : nil)
        }
        self.addClientRoutes(to: router)
        self.addStaffRoutes(to: router)
        self.addBookByHandRoutes(to: router)
        self.addStaffProfileRoutes(to: router)
        self.addPracticeRoutes(to: router)
        self.addWeekRoutes(to: router)
        self.addAccountRoutes(to: router)
        self.addMoveRoutes(to: router)
        // One route per decision (the API's table), each the state machine's to allow or refuse.
        for decision in AdminDecisionRoute.all {
            router.post("admin/bookings/:id/\(decision.name)") { request, context in
                try await self.decide(decision, request, context)
            }
        }
    }

    // MARK: - Sessions

    func signedIn(_ request: Request) async throws -> AdminAccount? {
        guard let token = PageVisit.cookies(request.headers[.cookie])[Self.cookie], token.count == 52 else {
            return nil
        }
        return try await self.workflow.accounts.pageSession(tokenHash: AdminPasswords.tokenHash(token))?.admin
    }

    private func sessionCookie(_ value: String, maxAge: Int?) -> String {
        "\(Self.cookie)=\(value); Path=/; HttpOnly; SameSite=Lax"
            + (maxAge.map { "; Max-Age=\($0)" } ?? "") + (self.workflow.links.isSecure ? "; Secure" : "")
    }

    struct SignInModel {
        var formToken: String
        var email: String
        var problem: String?
        /// Where to go once signed in (the page that sent here).
        var next: String
    }

    /// To the sign-in page; a page asked for (a GET) is where the admin lands once signed in.
    func toSignIn(_ request: Request) -> Response {
        guard request.method == .get else { return ClientArea.redirect("/admin") }
        let path = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        return ClientArea.redirect("/admin?" + PageVisit.encode(["next": path]))
    }

    /// A place inside the dashboard to land on after signing in; the dashboard's home for anything else.
    static func landing(_ next: String?) -> String {
        guard let next, next.hasPrefix("/admin/"), !next.contains("//"), !next.contains("\\"),
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return "/admin" }
        return next
    }

    private func signInPage(
        _ visit: PageVisit, email: String = "", problem: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        self.renderer.page(
            "admin-signin",
            SignInModel(
                formToken: visit.formToken, email: email, problem: problem, next: Self.landing(visit.query["next"])),
            title: "admin.signInTitle", for: visit, status: status)
    }

    private func signIn(_ request: Request, _ context: AppContext) async throws -> Response {
        let visit = try await self.pages.visit(request)
        guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
        let emailText = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let email = try? EmailAddress(emailText)
        // NB: the same account key as the API's login, so the page and the API share one count per admin.
        let check = try await self.area.checkPassword(
            form["password"] ?? "", throttleKey: email?.normalized ?? "(invalid)", request: request, context: context
        ) {
            try await email.asyncMap { try await self.workflow.accounts.adminAccount(email: $0) }?.map {
                ($0, $0.passwordHash)
            }
        }
        switch check {
        case .matched(let admin): return try await self.startPageSession(admin, landing: Self.landing(form["next"]))
        case .throttled(let seconds):
            return self.signInPage(
                visit, email: emailText, problem: self.area.tooManyAttempts(seconds, visit), status: .tooManyRequests)
        case .wrong:
            return self.signInPage(
                visit, email: emailText, problem: self.renderer.words.text("admin.wrong", visit.language),
                status: .unauthorized)
        }
    }

    /// Starts a page session for an admin: a session row and its HttpOnly cookie, then the dashboard.
    func startPageSession(_ admin: AdminAccount, landing: String = "/admin") async throws -> Response {
        let token = self.workflow.ids.token(length: 52)
        try await self.workflow.accounts.startAdminSession(
            AdminSession(
                tokenHash: AdminPasswords.tokenHash(token), adminID: admin.id,
                expiresAt: self.workflow.clock.now().addingTimeInterval(Accounts.pageSessionIdleLifetime)))
        var response = ClientArea.redirect(landing)
        response.headers.append(HTTPField(name: .setCookie, value: self.sessionCookie(token, maxAge: nil)))
        return response
    }

    // MARK: - Home

    struct Row {
        var when: String
        var client: String
        var service: String
        var status: String
        var href: String
    }

    struct Section {
        var id: String
        var title: String
        var rows: [Row]
        var hasRows: Bool
    }

    struct HomeModel {
        var signedInAs: String
        var formToken: String
        var sections: [Section]
    }

    private func home(_ admin: AdminAccount, _ visit: PageVisit) async throws -> Response {
        let zone = ZonedCalendar(identifier: visit.zoneName)!
        let today = zone.startOfDay(zone.localDate(of: self.workflow.clock.now()))
        let queue = try await self.workflow.admin.needingDecision(from: today)
        let rows = { (list: [(booking: Booking, client: Client?)]) in
            list.map { self.row($0.booking, $0.client, visit) }
        }
        let words = self.renderer.words
        let sections = [
            ("awaiting", "admin.awaiting", rows(queue.awaitingApproval)),
            ("attention", "admin.attention", rows(queue.needsAttention)),
            ("upcoming", "admin.upcoming", rows(queue.upcoming)),
        ].map { Section(id: $0.0, title: words.text($0.1, visit.language), rows: $0.2, hasRows: !$0.2.isEmpty) }
        let model = HomeModel(
            signedInAs: words.text("admin.signedInAs", visit.language, ["email": admin.email.value]),
            formToken: visit.formToken, sections: sections)
        return self.renderer.page("admin-home", model, title: "admin.title", for: visit)
    }

    private func row(_ booking: Booking, _ client: Client?, _ visit: PageVisit) -> Row {
        let words = self.renderer.words
        return Row(
            when: "\(visit.format.day(booking.start)), \(visit.format.time(booking.start))",
            client: client.map { "\($0.name) (\($0.email.value))" } ?? booking.clientID.rawValue,
            service: booking.lines.map(\.name).joined(separator: " + "),
            status: words.text("status.\(booking.state.rawValue)", visit.language),
            href: "/admin/bookings/\(booking.id)")
    }

    // MARK: - A booking

    struct Fact {
        var label: String
        var value: String
    }

    struct HistoryRow {
        var when: String
        var who: String
        var what: String
        var note: String?
    }

    struct Decision {
        var name: String
        var label: String
        var refund: String?
        var danger: Bool
    }

    struct BookingModel {
        var facts: [Fact]
        var history: [HistoryRow]
        var decisions: [Decision]
        var hasDecisions: Bool
        var formToken: String
        var id: String
        var notice: String?
        var problem: String?
        /// The booking's payment link while money is due, to copy into a message.
        var paymentLink: String?
        /// Moving the booking, while the state machine allows it.
        var move: MoveModel?
    }

    func bookingPage(
        _ id: BookingID, admin: AdminAccount, _ visit: PageVisit, notice: String? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let file: BookingFile
        do {
            file = try await self.workflow.admin.file(id)
        } catch BookingError.notFound {
            return self.pages.notFound(visit)
        }
        let words = self.renderer.words
        let text = { (key: String, values: [String: String]) in words.text(key, visit.language, values) }
        let booking = file.booking
        let format = visit.format
        let payment = booking.payment
        let currency = booking.price.currency
        var facts = [
            Fact(label: text("admin.client", [:]), value: "\(file.client.name) (\(file.client.email.value))"),
            Fact(label: text("admin.service", [:]), value: booking.lines.map(\.name).joined(separator: " + ")),
            Fact(
                label: text("admin.when", [:]),
                value: "\(format.day(booking.start)), \(format.timeRange(booking.start, booking.end))"
                    + " (\(visit.zoneName))"),
            Fact(label: text("admin.status", [:]), value: text("status.\(booking.state.rawValue)", [:])),
            Fact(label: text("booking.payment", [:]), value: text("paymentStatus.\(payment.status.rawValue)", [:])),
            Fact(label: text("admin.price", [:]), value: format.money(booking.price)),
        ]
        if let phone = file.client.phone { facts.insert(Fact(label: text("admin.phone", [:]), value: phone), at: 1) }
        if let staff = file.staffName { facts.append(Fact(label: text("admin.staff", [:]), value: staff)) }
        if let location = try await self.workflow.practice.schedules().first(where: { $0.staffID == booking.staffID })?
            .location(at: booking.start)
        {
            facts.append(Fact(label: text("summary.where", [:]), value: text("location.\(location.rawValue)", [:])))
        }
        if payment.receivedMinorUnits > 0 {
            facts.append(
                Fact(
                    label: text("admin.received", [:]),
                    value: format.money(Money(minorUnits: payment.receivedMinorUnits, currency: currency))))
        }
        if payment.refundedMinorUnits > 0 {
            facts.append(
                Fact(
                    label: text("admin.refunded", [:]),
                    value: format.money(Money(minorUnits: payment.refundedMinorUnits, currency: currency))))
        }
        facts.append(Fact(label: text("admin.reference", [:]), value: booking.id.rawValue))
        if let intent = payment.paymentIntentID {
            facts.append(Fact(label: text("admin.providerReference", [:]), value: intent))
        }
        if let note = booking.clientNote { facts.append(Fact(label: text("admin.request", [:]), value: note)) }
        if !file.client.privateNotes.isEmpty {
            facts.append(Fact(label: text("admin.privateNotes", [:]), value: file.client.privateNotes))
        }
        if !booking.lifecycle.attention.isEmpty {
            facts.append(
                Fact(
                    label: text("admin.flags", [:]),
                    value: booking.lifecycle.attention.map { text("flag.\($0.rawValue)", [:]) }.sorted().joined(
                        separator: ", ")))
        }
        let history = file.history.reversed().map { entry in
            HistoryRow(
                when: "\(format.shortDay(entry.at)), \(format.time(entry.at))",
                who: self.who(entry.actor, file, visit),
                // A step that left the state as it was (the payment page opened) names the state once.
                what: (entry.from.flatMap { $0 == entry.to ? nil : "\(text("status.\($0.rawValue)", [:])) → " } ?? "")
                    + text("status.\(entry.to.rawValue)", [:]) + " (\(self.eventWords(entry.event, visit)))",
                note: entry.reason)
        }
        let refundable = Money(minorUnits: payment.refundableMinorUnits, currency: currency)
        let decisions = AdminDecisionRoute.all.filter { self.allows($0, booking) }.map { decision in
            Decision(
                name: decision.name, label: text("decision.\(decision.name)", [:]),
                refund: (decision.event == .rejected || decision.event == .canceled) && refundable.minorUnits > 0
                    ? text("decision.refundNote", ["amount": format.money(refundable)]) : nil,
                danger: decision.event == .rejected || decision.event == .canceled)
        }
        let model = BookingModel(
            facts: facts, history: Array(history), decisions: decisions, hasDecisions: !decisions.isEmpty,
            formToken: visit.formToken, id: booking.id.rawValue, notice: notice.map { text($0, [:]) },
            problem: problem,
            paymentLink: booking.state == .awaitingPayment && !payment.isSettled
                ? self.workflow.links.payment(booking.accessToken) : nil,
            move: try await self.moveModel(file, visit))
        return self.renderer.page(
            // Whose booking and when, as an admin names it; its reference is among the facts.
            "admin-booking", model, title: "admin.bookingTitle",
            titleValues: [
                "client": file.client.name, "when": "\(format.shortDay(booking.start)), \(format.time(booking.start))",
            ],
            for: visit, status: status)
    }

    /// What happened in a history entry, in words (`payment received`, not `paymentSucceeded`); an event this
    /// version has no words for (written by a newer one) by its name.
    private func eventWords(_ event: String, _ visit: PageVisit) -> String {
        let key = "history.event.\(event)"
        let words = self.renderer.words.text(key, visit.language)
        return words == key ? event : words
    }

    /// Who did a history entry, in words: the admin's email, the client's name, the provider, the system.
    private func who(_ actor: Actor, _ file: BookingFile, _ visit: PageVisit) -> String {
        let words = self.renderer.words
        switch actor {
        case .admin(let id): return file.adminNames[id] ?? id.rawValue
        case .client: return "\(file.client.name) (\(words.text("actor.client", visit.language)))"
        case .provider: return words.text("actor.provider", visit.language)
        case .system: return words.text("actor.system", visit.language)
        }
    }

    /// Whether the state machine takes this decision now (tried on a copy of the lifecycle).
    private func allows(_ decision: AdminDecisionRoute, _ booking: Booking) -> Bool {
        guard let event = decision.event else { return booking.state.isClosed && booking.archivedAt == nil }
        if event == .completed || event == .markedNoShow, booking.start > self.workflow.clock.now() { return false }
        var probe = booking.lifecycle
        return (try? probe.apply(event))?.changedAnything ?? false
    }

    private func decide(
        _ route: AdminDecisionRoute, _ request: Request, _ context: AppContext
    ) async throws -> Response {
        let visit = try await self.pages.visit(request)
        guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
        guard let id = context.parameters.get("id").flatMap(BookingID.init(validating:)) else {
            return self.pages.notFound(visit)
        }
        guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
        let note = form["note"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let decision = AdminDecision(
            admin: admin.id, note: note, notifyClient: form["notify"] == "on", noteShownToClient: form["shown"] == "on")
        do {
            _ = try await route.perform(self.workflow.admin, id, decision)
            return ClientArea.redirect("/admin/bookings/\(id)?done=1")
        } catch let error as BookingError {
            if case .notFound = error { return self.pages.notFound(visit) }
            return try await self.bookingPage(
                id, admin: admin, visit, problem: self.pages.explain(error, visit), status: APIError(error).status)
        }
    }
}
