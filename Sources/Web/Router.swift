import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Logging
import Markup
import NIOCore
import Notifications
import Payments
import Workflow

/// Builds the service's router: the JSON API, payment links, the webhook intake, health, the OpenAPI document,
/// the development mailbox and client area when mail is set up, and the routes of `mounts`.
public func buildRouter(
    workflow: BookingWorkflow, configuration: WebConfiguration, loginThrottle: LoginThrottle, mail: MailSetup? = nil,
    mounts: [Mount] = []
) throws -> Router<AppContext> {
    let router = Router(context: AppContext.self)
    let branding =
        mail?.composer.branding
        ?? EmailBranding(
            businessName: "Rendezvous", signature: "", from: Mailbox(address: "no-reply@rendezvous.localhost"),
            links: workflow.links)
    let pages = BookingPages(
        workflow: workflow,
        renderer: try PageRenderer(
            practiceName: branding.businessName, defaultLanguage: configuration.defaultLanguage,
            secureCookies: workflow.links.isSecure))
    router.add(middleware: RequestIDMiddleware())
    if configuration.metrics != nil {
        // Requests by route and status, with their durations (Hummingbird's, through swift-metrics); outside the
        // error middleware, so a refusal counts with the status it was answered with, not as a 500.
        router.add(middleware: MetricsMiddleware())
    }
    router.add(middleware: BrowserSafetyMiddleware(publicBaseURL: workflow.links.base))
    // A person's browser asking for a page that is not there gets a page in their language, not JSON.
    router.add(middleware: ErrorMiddleware(page: { request, error in await pages.errorPage(request, error) }))
    let routeMethods = RouteMethods()
    router.add(middleware: MethodNotAllowedMiddleware(routes: routeMethods))
    configuration.metrics?.addRoutes(to: router)
    let api = PublicAPI(workflow: workflow, configuration: configuration, branding: branding)
    api.addRoutes(to: router)
    WebhookIntake(workflow: workflow, configuration: configuration).addRoutes(to: router)
    AdminAPI(workflow: workflow, configuration: configuration, throttle: loginThrottle).addRoutes(to: router)
    router.get("health") { _, _ in ["status": "ok"] }
    router.get("ready") { _, _ -> Response in
        do {
            _ = try await workflow.practice.rules()
            return try JSONCoding.encoder.encodeAsResponse(["status": "ready"], status: .ok)
        } catch {
            throw APIError(.serviceUnavailable, code: "not_ready", message: "The database cannot be reached.")
        }
    }
    router.get("openapi.json") { _, _ -> Response in
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else {
            throw APIError(.notFound, code: "not_found", message: "No OpenAPI document in this build.")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
    for mount in mounts { mount.addRoutes(router) }
    if let mail, let mailbox = mail.mailbox {
        DevelopmentMailboxPages(
            mailbox: mailbox, access: mail.mailboxAccess, workflow: workflow,
            secureCookies: workflow.links.isSecure
        ).addRoutes(to: router)
    }
    pages.addRoutes(to: router)
    PaymentPages(pages: pages, branding: branding).addRoutes(to: router)
    let area = ClientArea(
        pages: pages, mail: mail, throttle: loginThrottle, passwords: AdminPasswords(cost: configuration.bcryptCost),
        configuration: configuration, branding: branding,
        dummyHash: Bcrypt.hash(workflow.ids.token(length: 52), cost: configuration.bcryptCost))
    area.addRoutes(to: router)
    BookingPage(area: area).addRoutes(to: router)
    AdminPages(area: area).addRoutes(to: router)
    Assets.addRoutes(to: router)
    routeMethods.load(from: router)
    return router
}

extension JSONEncoder {
    func encodeAsResponse(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try self.encode(value))))
    }
}

/// Small HTML pages for people following links (payment link outcomes).
enum Page {
    static func html(_ status: HTTPResponse.Status, title: String, message: String) -> Response {
        self.document(status, title: title, body: "<p>\(HTML.escape(message))</p>")
    }

    /// A page around `body` (HTML the caller escaped). A table in `<div class="rows">` is a list whose rows stack on a
    /// phone; any other table breaks long words (an id, an address) so that it fits the screen.
    static func document(_ status: HTTPResponse.Status, title: String, body: String, wide: Bool = false) -> Response {
        let style = """
            body{font-family:system-ui,sans-serif;max-width:\(wide ? "60rem" : "32rem");margin:3rem auto;padding:0 1rem}
            table{border-collapse:collapse}th,td{text-align:left;padding:.4rem .8rem .4rem 0;vertical-align:top}\
            tr+tr{border-top:1px solid #e2e8f0}td,pre{overflow-wrap:anywhere}.nowrap{white-space:nowrap}\
            .rows{overflow-x:auto}.rows td{overflow-wrap:break-word}\
            @media (max-width:40rem){.rows table,.rows tbody,.rows tr,.rows td{display:block}\
            .rows tr:first-child{display:none}.rows td{padding:.1rem 0}.rows tr{padding:.5rem 0}}
            .button{display:inline-block;padding:.5rem 1rem;background:#0f766e;color:#fff;text-decoration:none;border-radius:.3rem;border:0;font:inherit;cursor:pointer}
            form{display:inline}
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: HTML.document(title: title, body: body, style: style))))
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
