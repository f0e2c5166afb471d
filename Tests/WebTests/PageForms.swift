import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

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
