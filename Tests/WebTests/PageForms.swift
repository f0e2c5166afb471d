import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Notifications
import TestSupport
import Testing

@testable import Web

extension TestClientProtocol {
    /// What a browser posting a form of ours sends: the form-token cookie (got by opening `page`), the token in the
    /// form with `fields`, and `Sec-Fetch-Site: same-origin`.
    func postForm(_ uri: String, from page: String, fields: [String: String] = [:]) async throws -> TestResponse {
        let opened = try await self.execute(uri: page, method: .get)
        let cookie = try #require(
            opened.headers[values: .setCookie].first { $0.hasPrefix("rendezvous_form=") }?.split(separator: ";")
                .first.map(String.init))
        let token = String(cookie.dropFirst("rendezvous_form=".count))
        var body = ["form": token]
        body.merge(fields) { _, new in new }
        let encoded = body.map {
            "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics) ?? "")"
        }
        .joined(separator: "&")
        return try await self.execute(
            uri: uri, method: .post,
            headers: [
                .cookie: cookie, .contentType: "application/x-www-form-urlencoded",
                HTTPField.Name("Sec-Fetch-Site")!: "same-origin",
            ], body: ByteBuffer(string: encoded))
    }
}

extension TestClientProtocol {
    /// Signs an admin in through the dashboard's page; the session cookie (`rendezvous_admin=…`).
    func adminSession(_ email: String, _ password: String) async throws -> String {
        let signedIn = try await self.postForm(
            "/admin/sign-in", from: "/admin", fields: ["email": email, "password": password])
        return try #require(
            signedIn.headers[values: .setCookie].first { $0.hasPrefix("rendezvous_admin=") }?.split(separator: ";")
                .first.map(String.init))
    }
}

/// The router of a test practice, as `serve` builds it (bcrypt made cheap).
func pagesApp(
    _ practice: TestPractice, mail: MailSetup? = nil
) throws -> Application<RouterResponder<AppContext>> {
    Application(
        router: try buildRouter(
            workflow: practice.workflow, configuration: WebConfiguration(webhookSecrets: ["whsec_unit"], bcryptCost: 4),
            loginThrottle: LoginThrottle(), mail: mail))
}

/// One of our pages as a signed-in browser opened it: the page, and what posting its forms takes (the session
/// cookie, the form-token cookie the page set, and that token in the form).
struct SignedInPage {
    let response: TestResponse
    let cookies: String
    let token: String

    var html: String { String(buffer: self.response.body) }

    /// Posts one of this page's forms with `fields` (already URL-encoded, `a=1&b=2`).
    func post(_ path: String, _ fields: String = "", through client: some TestClientProtocol) async throws
        -> TestResponse
    {
        try await client.execute(
            uri: path, method: .post,
            headers: [.cookie: self.cookies, .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "form=\(self.token)" + (fields.isEmpty ? "" : "&\(fields)")))
    }
}

extension TestClientProtocol {
    /// Opens `uri` with the session cookie `session` (`rendezvous_admin=…`), as a signed-in browser does.
    func open(_ uri: String, session: String) async throws -> SignedInPage {
        let response = try await self.execute(uri: uri, method: .get, headers: [.cookie: session])
        let form = try #require(
            response.headers[values: .setCookie].first { $0.hasPrefix("rendezvous_form=") }?.split(separator: ";")
                .first.map(String.init))
        return SignedInPage(
            response: response, cookies: "\(session); \(form)", token: String(form.dropFirst("rendezvous_form=".count)))
    }
}
