import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Workflow

/// The admin side: login, bookings by hand, decisions, clients, schedules, rules.
struct AdminAPI: Sendable {
    let workflow: BookingWorkflow
    let configuration: WebConfiguration
    let throttle: LoginThrottle
    let passwords: AdminPasswords
    /// NB: compared against when the email is unknown, so an unknown email costs a bcrypt check like a known one
    /// (otherwise the answer's time tells which emails are admins).
    let dummyHash: String

    init(workflow: BookingWorkflow, configuration: WebConfiguration, throttle: LoginThrottle) {
        self.workflow = workflow
        self.configuration = configuration
        self.throttle = throttle
        self.passwords = AdminPasswords(cost: configuration.bcryptCost)
        self.dummyHash = Bcrypt.hash(workflow.ids.token(length: 52), cost: configuration.bcryptCost)
    }

    struct LoginBody: Decodable, Sendable {
        var email: String
        var password: String
    }

    struct LoginAnswer: ResponseEncodable, Sendable {
        var token: String
        var expiresAt: Date
    }

    struct CreateBody: Decodable, Sendable {
        var clientId: String?
        var client: PublicAPI.ClientBody?
        var serviceId: String?
        var serviceIds: [String]?
        var start: Date
        var staffId: String?
        var confirmation: String?
        var payment: String?
        var approval: String?
        var notifyClient: Bool?
        var eligibilityOverrideReason: String?
        var note: String?
    }

    struct DecisionBody: Decodable, Sendable {
        var note: String?
        var notifyClient: Bool?
        /// Shows the note to the client (their email and booking page); by default admins only see it.
        var noteShownToClient: Bool?
        /// For `reschedule` only.
        var start: Date?
    }

    struct ScheduleBody: Decodable, Sendable {
        var name: String
        var schedule: StaffSchedule
    }

    func addRoutes(to router: Router<AppContext>) {
        router.post("api/admin/login") { request, context in try await self.login(request, context) }
        let admin = router.group("api/admin").add(middleware: AdminAuthenticator(workflow: self.workflow))
        admin.post("logout") { _, context -> Response in
            if let tokenHash = context.adminTokenHash {
                try await self.workflow.accounts.endAdminSession(tokenHash: tokenHash)
            }
            return Response(status: .noContent)
        }
        admin.get("bookings") { request, _ in try await self.list(request) }
        admin.get("bookings/:id") { _, context in
            let booking = try await self.workflow.booking(try Self.bookingID(context))
            return try await self.view(booking)
        }
        admin.post("bookings") { request, context in try await self.create(request, context) }
        // One route per decision; each is the state machine's to allow or refuse.
        for decision in AdminDecisionRoute.all {
            admin.post("bookings/:id/\(decision.name)") { request, context in
                let (id, made, _) = try await self.decision(request, context)
                return try await self.view(try await decision.perform(self.workflow.admin, id, made))
            }
        }
        admin.post("bookings/:id/reschedule") { request, context in
            let (id, decision, body) = try await self.decision(request, context)
            guard let start = body?.start else { throw APIError.invalid("start", "is required") }
            return try await self.view(try await self.workflow.admin.reschedule(id, to: start, decision))
        }
        admin.post("clients/:id/ban") { _, context in
            ClientAdminView(try await self.workflow.admin.ban(try Self.clientID(context), by: try Self.admin(context)))
        }
        admin.post("clients/:id/unban") { _, context in
            ClientAdminView(
                try await self.workflow.admin.unban(try Self.clientID(context), by: try Self.admin(context)))
        }
        admin.get("clients/:id") { _, context in
            ClientAdminView(try await self.workflow.admin.client(try Self.clientID(context)))
        }
        admin.get("staff/:id/schedule") { _, context in
            let id = try Self.staffID(context)
            let staff = try await self.workflow.practice.staff()
            guard let member = staff.first(where: { $0.id == id }),
                let schedule = try await self.workflow.practice.schedules().first(where: { $0.staffID == id })
            else { throw APIError(BookingError.notFound(what: "staff member")) }
            return ScheduleDocument(staffId: id.rawValue, name: member.name, schedule: schedule)
        }
        admin.put("staff/:id/schedule") { request, context in
            let id = try Self.staffID(context)
            let body = try await JSONBody.decode(ScheduleBody.self, from: request)
            guard body.schedule.staffID == id else { throw APIError.invalid("schedule.staffID", "must be \(id)") }
            try await self.workflow.practice.saveSchedule(body.schedule, name: body.name)
            return ScheduleDocument(staffId: id.rawValue, name: body.name, schedule: body.schedule)
        }
        admin.get("rules") { _, _ in RulesDocument(rules: try await self.workflow.practice.rules()) }
        admin.put("rules") { request, _ in
            let body = try await JSONBody.decode(RulesDocument.self, from: request)
            try await self.workflow.practice.saveRules(body.rules)
            return RulesDocument(rules: try await self.workflow.practice.rules())
        }
    }

    // MARK: - Handlers

    private func login(_ request: Request, _ context: AppContext) async throws -> LoginAnswer {
        let body = try await JSONBody.decode(LoginBody.self, from: request)
        let email = try? EmailAddress(body.email)
        // Unreadable emails share one account key: they cannot sign in, and must not each get a fresh counter.
        let accountKey = email?.normalized ?? "(invalid)"
        let address = self.configuration.clientAddress(of: request, peer: context.peerAddress)
        let ticket: LoginAttempts.Ticket
        switch try await self.workflow.logins.admit(account: accountKey, address: address, policy: self.throttle.policy)
        {
        case .admitted(let admitted): ticket = admitted
        case .refused(let retryAfter):
            var error = APIError(
                .tooManyRequests, code: "too_many_attempts", message: "Too many failed logins; try again later.")
            error.retryAfterSeconds = max(1, Int(retryAfter.rounded(.up)))
            throw error
        }
        var account: AdminAccount?
        if let email { account = try await self.workflow.accounts.adminAccount(email: email) }
        let matches = try await self.passwords.verify(body.password, hash: account?.passwordHash ?? self.dummyHash)
        guard let account, matches else {
            throw APIError(.unauthorized, code: "invalid_credentials", message: "Wrong email or password.")
        }
        try await self.workflow.logins.succeeded(ticket)
        let token = self.workflow.ids.token(length: 52)
        let expiresAt = self.workflow.clock.now().addingTimeInterval(self.configuration.adminSessionLifetime)
        try await self.workflow.accounts.startAdminSession(
            AdminSession(tokenHash: AdminPasswords.tokenHash(token), adminID: account.id, expiresAt: expiresAt))
        return LoginAnswer(token: token, expiresAt: expiresAt)
    }

    private func list(_ request: Request) async throws -> BookingListView {
        let query = request.uri.queryParameters
        var filter = BookingFilter()
        if let view = query.get("view") {
            guard let parsed = BookingFilter.View(rawValue: view) else {
                throw APIError.invalid("view", "must be active, archived or banned")
            }
            filter.view = parsed
        }
        if let status = query.get("status"), !status.isEmpty {
            var states: Set<BookingState> = []
            for name in status.split(separator: ",") {
                guard let state = BookingState(rawValue: String(name)) else {
                    throw APIError.invalid("status", "unknown status \(name)")
                }
                states.insert(state)
            }
            filter.states = states
        }
        filter.from = try query.get("from").map { try Self.instant($0, field: "from") }
        filter.to = try query.get("to").map { try Self.instant($0, field: "to", endOfDay: true) }
        let listed = try await self.workflow.admin.bookingsWithClients(matching: filter)
        return BookingListView(
            bookings: listed.map { BookingView($0.booking, links: self.workflow.links, token: true, admin: $0.client) })
    }

    private func view(_ booking: Booking) async throws -> BookingView {
        let client = try await self.workflow.admin.client(booking.clientID)
        let history = try await self.workflow.history(of: booking.id)
        return BookingView(booking, links: self.workflow.links, token: true, history: history, admin: client)
    }

    private func create(_ request: Request, _ context: AppContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let client: ClientChoice
        if let clientId = body.clientId {
            guard let id = ClientID(validating: clientId) else { throw APIError(BookingError.notFound(what: "client")) }
            client = .existing(id)
        } else if let details = body.client {
            client = .new(name: details.name, email: details.email, phone: details.phone)
        } else {
            throw APIError.invalid("client", "give clientId or client")
        }
        func option<T: RawRepresentable>(_ value: String?, _ field: String, default fallback: T) throws -> T
        where T.RawValue == String {
            guard let value else { return fallback }
            guard let parsed = T(rawValue: value) else { throw APIError.invalid(field, "unknown value \(value)") }
            return parsed
        }
        var staffID: StaffID?
        if let raw = body.staffId {
            guard let id = StaffID(validating: raw) else { throw APIError.invalid("staffId", "unknown staff member") }
            staffID = id
        }
        let receipt = try await self.workflow.admin.createByHand(
            AdminBookingRequest(
                client: client, serviceIDs: try PublicAPI.serviceIDs(single: body.serviceId, many: body.serviceIds),
                start: body.start,
                staffID: staffID,
                confirmation: try option(body.confirmation, "confirmation", default: ConfirmationMode.none),
                payment: try option(body.payment, "payment", default: AdminBookingRequest.Payment.link),
                approval: try option(body.approval, "approval", default: AdminBookingRequest.Approval.rules),
                notifyClient: body.notifyClient ?? true, eligibilityOverrideReason: body.eligibilityOverrideReason,
                note: body.note),
            by: try Self.admin(context))
        return try JSONCoding.encoder.encodeAsResponse(try await self.view(receipt.booking), status: .created)
    }

    /// The booking, the admin's decision (note, whether to notify the client) and the body of a decision request.
    private func decision(
        _ request: Request, _ context: AppContext
    ) async throws -> (BookingID, AdminDecision, DecisionBody?) {
        let id = try Self.bookingID(context)
        let body = try await PublicAPI.optionalBody(DecisionBody.self, request)
        let decision = AdminDecision(
            admin: try Self.admin(context), note: body?.note, notifyClient: body?.notifyClient ?? true,
            noteShownToClient: body?.noteShownToClient ?? false)
        return (id, decision, body)
    }

    // MARK: - Parameters

    static func admin(_ context: AppContext) throws -> AdminID {
        guard let id = context.adminID else { throw APIError.unauthorized }
        return id
    }

    static func bookingID(_ context: AppContext) throws -> BookingID {
        guard let raw = context.parameters.get("id"), let id = BookingID(validating: raw) else {
            throw APIError(BookingError.notFound(what: "booking"))
        }
        return id
    }

    static func clientID(_ context: AppContext) throws -> ClientID {
        guard let raw = context.parameters.get("id"), let id = ClientID(validating: raw) else {
            throw APIError(BookingError.notFound(what: "client"))
        }
        return id
    }

    static func staffID(_ context: AppContext) throws -> StaffID {
        guard let raw = context.parameters.get("id"), let id = StaffID(validating: raw) else {
            throw APIError(BookingError.notFound(what: "staff member"))
        }
        return id
    }

    /// An ISO 8601 instant, or a date (its start in UTC; with `endOfDay`, the next day's start).
    static func instant(_ text: String, field: String, endOfDay: Bool = false) throws -> Date {
        if let date = ISO8601.parse(text) { return date }
        if let day = LocalDate(iso: text) {
            return Date(timeIntervalSince1970: TimeInterval((day.daysSinceEpoch + (endOfDay ? 1 : 0)) * 86_400))
        }
        throw APIError.invalid(field, "must be a date YYYY-MM-DD or an ISO 8601 instant")
    }
}
