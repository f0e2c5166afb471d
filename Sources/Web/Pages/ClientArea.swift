import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Notifications
import Workflow

/// The client area, `/account`: sign in with an emailed single-use link (or a password the client set), then all
/// of the client's bookings with what they may do with each. The session is a row in the database referenced by an
/// HttpOnly, SameSite=Lax cookie (Secure over https) and ends after `ClientAccounts.idleLifetime` unused, or at
/// sign-out. Asking for a link answers the same whether the email is known or not; asking and password attempts
/// are throttled per email and per address.
struct ClientArea: Sendable {
    static let cookie = "rendezvous_client"

    let pages: BookingPages
    /// Where sign-in links go; without it (a router built for tests) links are neither sent nor accepted.
    let mail: MailSetup?
    var links: SignedLink? { self.mail?.composer.links }
    let throttle: LoginThrottle
    let passwords: AdminPasswords
    let configuration: WebConfiguration
    let branding: EmailBranding
    /// NB: compared against when the email has no password, so such an attempt costs a bcrypt check like any other.
    let dummyHash: String
    let logger = Logger(label: "rendezvous.client-area")

    var workflow: BookingWorkflow { self.pages.workflow }
    var renderer: PageRenderer { self.pages.renderer }

    func addRoutes(to router: Router<AppContext>) {
        router.get("account") { request, _ in
            let visit = try await self.pages.visit(request)
            guard let (_, client) = try await self.signedIn(request) else {
                return self.signInPage(visit, email: visit.query["email"] ?? "")
            }
            // A signed-in client's choice of language is theirs: their emails follow it.
            if let chosen = visit.query["lang"].flatMap(Language.init(rawValue:)) {
                try await self.workflow.clientAccounts.setLanguage(client.id, chosen)
            }
            return try await self.area(client, visit, notice: visit.query["done"] != nil ? "booking.done" : nil)
        }
        router.post("account/link") { request, context in try await self.sendLink(request, context) }
        router.post("account/password-sign-in") { request, context in try await self.passwordSignIn(request, context) }
        router.get("account/sign-in") { request, _ in
            let visit = try await self.pages.visit(request)
            return try await self.checkedLink(request, visit) { token, claims in
                let client = try await self.workflow.clientAccounts.client(id: ClientID(rawValue: claims.subject))
                return self.renderer.page(
                    "signinlink",
                    SignInLinkModel(
                        lead: self.renderer.words.text(
                            "account.linkLead", visit.language, ["name": client?.name ?? ""]),
                        action: "/account/sign-in?token=\(token)", formToken: visit.formToken),
                    title: "account.linkTitle", for: visit)
            }
        }
        router.post("account/sign-in") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.form(request, visit) != nil else { return self.pages.expiredForm(visit) }
            return try await self.checkedLink(request, visit) { _, claims in
                guard try await self.workflow.accounts.redeemOnce(linkNonce: claims.nonce) else {
                    return self.linkProblem("account.linkUsed", visit, status: .gone)
                }
                return try await self.startSession(ClientID(rawValue: claims.subject), visit)
            }
        }
        router.post("account/sign-out") { request, _ in
            let visit = try await self.pages.visit(request)
            if try await self.form(request, visit) != nil,
                let token = PageVisit.cookies(request.headers[.cookie])[Self.cookie]
            {
                try await self.workflow.clientAccounts.endSession(tokenHash: AdminPasswords.tokenHash(token))
            }
            var response = Self.redirect("/account")
            response.headers.append(HTTPField(name: .setCookie, value: self.sessionCookie("", maxAge: 0)))
            return response
        }
        router.post("account/password") { request, _ in try await self.setPassword(request) }
    }

    // MARK: - Sessions

    /// The signed-in client of a request, if any.
    func signedIn(_ request: Request) async throws -> (ClientSession, Client)? {
        guard let token = PageVisit.cookies(request.headers[.cookie])[Self.cookie], token.count == 52 else {
            return nil
        }
        return try await self.workflow.clientAccounts.session(tokenHash: AdminPasswords.tokenHash(token)).map {
            ($0.session, $0.client)
        }
    }

    private func startSession(_ clientID: ClientID, _ visit: PageVisit) async throws -> Response {
        let token = self.workflow.ids.token(length: 52)
        _ = try await self.workflow.clientAccounts.startSession(
            clientID: clientID, tokenHash: AdminPasswords.tokenHash(token))
        var response = Self.redirect("/account")
        response.headers.append(HTTPField(name: .setCookie, value: self.sessionCookie(token, maxAge: nil)))
        return response
    }

    private func sessionCookie(_ value: String, maxAge: Int?) -> String {
        "\(Self.cookie)=\(value); Path=/; HttpOnly; SameSite=Lax"
            + (maxAge.map { "; Max-Age=\($0)" } ?? "") + (self.workflow.links.isSecure ? "; Secure" : "")
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// A posted URL-encoded form, if it carries the visitor's form token.
    /// The first value of each field; the fields named in `repeated` (checkboxes) gather every value, joined by
    /// commas.
    func form(_ request: Request, _ visit: PageVisit, repeated: Set<String> = []) async throws -> [String: String]? {
        let body = try await request.body.collect(upTo: 64 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard parts.count == 2 else { continue }
            if fields[parts[0]] == nil {
                fields[parts[0]] = parts[1]
            } else if repeated.contains(parts[0]) {
                fields[parts[0], default: ""] += "," + parts[1]
            }
        }
        return visit.accepts(formToken: fields["form"]) ? fields : nil
    }

    // MARK: - Signing in

    /// The outcome of a password attempt.
    enum PasswordCheck<Account> {
        case matched(Account)
        case wrong
        case throttled(seconds: Int)
    }

    /// A password attempt, counted before it is checked (`throttleKey`, and the client's address); an account with
    /// no password is checked against a dummy hash, so the time does not tell them apart.
    func checkPassword<Account>(
        _ password: String, throttleKey: String, request: Request, context: AppContext,
        account: () async throws -> (Account, String)?
    ) async throws -> PasswordCheck<Account> {
        let address = self.configuration.clientAddress(of: request, peer: context.peerAddress)
        let ticket: LoginAttempts.Ticket
        switch try await self.workflow.logins.admit(
            account: throttleKey, address: address, policy: self.throttle.policy)
        {
        case .admitted(let admitted): ticket = admitted
        case .refused(let wait): return .throttled(seconds: Int(wait.rounded(.up)))
        }
        let found = try await account()
        guard try await self.passwords.verify(password, hash: found?.1 ?? self.dummyHash), let found else {
            return .wrong
        }
        try await self.workflow.logins.succeeded(ticket)
        return .matched(found.0)
    }

    func tooManyAttempts(_ seconds: Int, _ visit: PageVisit) -> String {
        self.renderer.words.text("account.tooManyAttempts", visit.language, ["seconds": "\(seconds)"])
    }

    struct SignInModel {
        var formToken: String
        var email: String
        var problem: String?
    }

    struct SignInLinkModel {
        var lead: String
        var action: String
        var formToken: String
    }

    private func signInPage(
        _ visit: PageVisit, email: String, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        self.renderer.page(
            "signin", SignInModel(formToken: visit.formToken, email: email, problem: problem),
            title: "account.signInTitle", for: visit, status: status)
    }

    private func sendLink(_ request: Request, _ context: AppContext) async throws -> Response {
        let visit = try await self.pages.visit(request)
        guard let form = try await self.form(request, visit) else { return self.pages.expiredForm(visit) }
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let address = self.configuration.clientAddress(of: request, peer: context.peerAddress)
        let key = "client-link:" + ((try? EmailAddress(email))?.normalized ?? "(invalid)")
        if case .refused(let wait) = try await self.workflow.logins.admit(
            account: key, address: address, policy: self.throttle.policy)
        {
            return self.signInPage(
                visit, email: email, problem: self.tooManyAttempts(Int(wait.rounded(.up)), visit),
                status: .tooManyRequests)
        }
        // NB: the email goes out in the background, so the answer takes as long for an unknown email as a known one.
        if let mail = self.mail, let client = try await self.workflow.clientAccounts.client(email: email) {
            let composer = mail.composer
            let transport = mail.transport
            let id = "msg_\(self.workflow.ids.token(length: 26))"
            let now = self.workflow.clock.now()
            let zone = client.timeZone ?? visit.zoneName
            let logger = self.logger
            Task {
                do {
                    try await transport.send(try composer.signInLink(for: client, id: id, timeZone: zone, now: now))
                } catch {
                    logger.warning("a sign-in link could not be sent", metadata: ["error": "\(error)"])
                }
            }
        }
        return self.renderer.message(
            title: "account.linkSentTitle",
            text: self.renderer.words.text("account.linkSent", visit.language, ["email": email]), for: visit,
            status: .ok)
    }

    private func passwordSignIn(_ request: Request, _ context: AppContext) async throws -> Response {
        let visit = try await self.pages.visit(request)
        guard let form = try await self.form(request, visit) else { return self.pages.expiredForm(visit) }
        let emailText = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let email = try? EmailAddress(emailText)
        let check = try await self.checkPassword(
            form["password"] ?? "", throttleKey: "client:" + (email?.normalized ?? "(invalid)"), request: request,
            context: context
        ) {
            try await email.asyncMap { try await self.workflow.clientAccounts.passwordHash(email: $0) }?
                .map { ($0.client, $0.hash) }
        }
        switch check {
        case .matched(let client): return try await self.startSession(client.id, visit)
        case .throttled(let seconds):
            return self.signInPage(
                visit, email: emailText, problem: self.tooManyAttempts(seconds, visit), status: .tooManyRequests)
        case .wrong:
            return self.signInPage(
                visit, email: emailText, problem: self.renderer.words.text("account.wrongPassword", visit.language),
                status: .unauthorized)
        }
    }

    private func setPassword(_ request: Request) async throws -> Response {
        let visit = try await self.pages.visit(request)
        guard let (_, client) = try await self.signedIn(request) else { return Self.redirect("/account") }
        guard let form = try await self.form(request, visit) else { return self.pages.expiredForm(visit) }
        let password = form["password"] ?? ""
        do {
            try AdminPasswords.validate(password)
        } catch {
            return try await self.area(client, visit, problem: "account.passwordInvalid", status: .unprocessableContent)
        }
        try await self.workflow.clientAccounts.setPassword(client.id, hash: try await self.passwords.hash(password))
        return try await self.area(client, visit, notice: "account.passwordSaved")
    }

    /// Runs `body` for a sign-in link we signed, not expired and not used yet; a page that says why otherwise.
    private func checkedLink(
        _ request: Request, _ visit: PageVisit, _ body: (String, SignedLink.Claims) async throws -> Response
    ) async throws -> Response {
        guard let token = request.uri.queryParameters.get("token").map({ String($0) }) else {
            return self.linkProblem("account.linkInvalid", visit, status: .badRequest)
        }
        guard let links = self.links else { return self.linkProblem("account.linkInvalid", visit, status: .badRequest) }
        let claims: SignedLink.Claims
        do {
            claims = try links.verify(token, purpose: .signIn, now: self.workflow.clock.now())
        } catch SignedLink.Failure.expired {
            return self.linkProblem("account.linkExpired", visit, status: .gone)
        } catch {
            return self.linkProblem("account.linkInvalid", visit, status: .badRequest)
        }
        if try await self.workflow.accounts.linkWasUsed(nonce: claims.nonce) {
            return self.linkProblem("account.linkUsed", visit, status: .gone)
        }
        return try await body(token, claims)
    }

    private func linkProblem(_ key: String, _ visit: PageVisit, status: HTTPResponse.Status) -> Response {
        self.renderer.message(
            title: "account.linkTitle", text: self.renderer.words.text(key, visit.language),
            link: ("/account", self.renderer.words.text("account.newLink", visit.language)), for: visit,
            status: status)
    }

    // MARK: - The area

    struct AreaModel {
        var signedInAs: String
        var notice: String?
        var problem: String?
        var upcoming: [BookingCard]
        var past: [BookingCard]
        var hasUpcoming: Bool
        var hasPast: Bool
        var formToken: String
    }

    func area(
        _ client: Client, _ visit: PageVisit, notice: String? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var visit = visit
        if visit.zoneIsDefault, let zone = client.timeZone.flatMap(TimeZone.init(identifier:)) { visit.timeZone = zone }
        let now = self.workflow.clock.now()
        let (_, bookings) = try await self.workflow.clients.clientArea(client.id)
        let cards = try await self.cards(bookings, visit, now: now)
        let upcoming = cards.filter { $0.0.start >= now && !$0.0.state.isClosed }.sorted { $0.0.start < $1.0.start }
            .map(\.1)
        let past = cards.filter { !($0.0.start >= now && !$0.0.state.isClosed) }.sorted { $0.0.start > $1.0.start }
            .map(\.1)
        let words = self.renderer.words
        let model = AreaModel(
            signedInAs: words.text(
                "account.signedInAs", visit.language, ["name": client.name, "email": client.email.value]),
            notice: notice.map { words.text($0, visit.language) },
            problem: problem.map { words.text($0, visit.language) },
            upcoming: upcoming, past: past, hasUpcoming: !upcoming.isEmpty, hasPast: !past.isEmpty,
            formToken: visit.formToken)
        return self.renderer.page("account", model, title: "account.title", for: visit, status: status)
    }

    func cards(_ bookings: [Booking], _ visit: PageVisit, now: Date) async throws -> [(Booking, BookingCard)] {
        let staff = try await self.workflow.practice.staff()
        return bookings.map { booking in
            (
                booking,
                BookingCard(
                    booking, staffName: staff.first { $0.id == booking.staffID }?.name, now: now, visit: visit,
                    words: self.renderer.words, links: self.workflow.links,
                    calendar: self.branding.addToCalendarLinks(
                        for: booking, stamp: booking.updatedAt, language: visit.language))
            )
        }
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
