import Foundation
import HTTPTypes
import Hummingbird

/// What keeps browsers safe with this service, for every route in one place:
/// - **cross-site state changes are refused** (403 `cross_site_request`): a POST, PUT, PATCH or DELETE whose
///   `Sec-Fetch-Site` says `cross-site` or `same-site`, or whose `Origin` is neither the public URL's origin nor
///   the origin of the host it was sent to (`null` included). Servers (the payment provider's webhooks, scripts)
///   send neither header and pass; browsers always send `Origin` on a cross-origin POST, so a form or a `fetch` on
///   another site cannot cancel a booking.
/// - **JSON bodies must say so**: `JSONBody` refuses a body sent with another `Content-Type` (415), which is what
///   a cross-site "simple request" (text/plain, form encoding) would carry.
/// - **headers on every answer**: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (token-bearing
///   URLs must not leak to other sites), `Cache-Control: no-store` unless the route chose otherwise (answers carry
///   personal data and tokens), and on HTML a Content-Security-Policy with no scripts, forms posting only here and
///   no framing by other sites; `Strict-Transport-Security` when the public URL is https.
struct BrowserSafetyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// `scheme://host[:port]` of the public URL.
    let publicOrigin: String
    let https: Bool

    init(publicBaseURL: String) {
        let url = URL(string: publicBaseURL)
        let scheme = url?.scheme?.lowercased() ?? "http"
        var origin = "\(scheme)://\(url?.host?.lowercased() ?? "")"
        if let port = url?.port { origin += ":\(port)" }
        self.publicOrigin = origin
        self.https = scheme == "https"
    }

    /// HTML may load styles, images and scripts from here (never inline scripts), post forms here, frame only our
    /// own pages.
    static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
            + "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        if Self.changesState(request.method), let refusal = self.crossSiteRefusal(request) {
            response =
                request.headers[.accept]?.contains("text/html") == true
                ? Page.html(.forbidden, title: "Not accepted", message: refusal.message) : refusal.response()
        } else {
            response = try await next(request, context)
        }
        self.addHeaders(to: &response, path: request.uri.path)
        return response
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method == .post || method == .put || method == .patch || method == .delete
    }

    func crossSiteRefusal(_ request: Request) -> APIError? {
        let refusal = APIError(
            .forbidden, code: "cross_site_request",
            message: "This request came from another site; changes are accepted only from this site's own pages.")
        // NB: a browser says where a request comes from in `Sec-Fetch-Site`; when it does, that is the answer (our
        // pages send `Referrer-Policy: no-referrer`, under which a browser's form posts carry `Origin: null`).
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased() {
            return site == "same-origin" || site == "none" ? nil : refusal
        }
        guard let origin = request.headers[HTTPField.Name("Origin")!]?.lowercased() else { return nil }
        if origin == self.publicOrigin { return nil }
        if let host = request.head.authority?.lowercased(), origin == "http://\(host)" || origin == "https://\(host)" {
            return nil
        }
        return refusal
    }

    func addHeaders(to response: inout Response, path: String) {
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if self.https { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            // The mailbox shows an email's HTML part in a frame of its own page.
            let framed = path.hasPrefix("/dev/mailbox/") && path.hasSuffix("/html")
            response.headers[.contentSecurityPolicy] =
                framed
                ? Self.contentSecurityPolicy.replacingOccurrences(
                    of: "frame-ancestors 'none'", with: "frame-ancestors 'self'")
                : Self.contentSecurityPolicy
            if !framed { response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY" }
        }
    }
}
