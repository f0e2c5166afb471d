import Booking
import FakeStripe
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Payments
import Workflow

/// Builds the service's router: the JSON API, payment links, the webhook intake, health, the OpenAPI document,
/// and (when given) the built-in fake provider under `/fake-stripe`.
public func buildRouter(
    workflow: BookingWorkflow, provider: any PaymentProvider, configuration: WebConfiguration,
    fakeStripe: FakeStripe? = nil
) -> Router<AppContext> {
    let router = Router(context: AppContext.self)
    router.add(middleware: ErrorMiddleware())
    let api = PublicAPI(workflow: workflow, provider: provider, configuration: configuration)
    api.addRoutes(to: router)
    WebhookIntake(workflow: workflow, configuration: configuration).addRoutes(to: router)
    AdminAPI(workflow: workflow, configuration: configuration).addRoutes(to: router)
    router.get("health") { _, _ in ["status": "ok"] }
    router.get("ready") { _, _ -> Response in
        do {
            _ = try await workflow.rules()
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
    if let fakeStripe { fakeStripe.addRoutes(to: router.group("fake-stripe")) }
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
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}</style></head>
            <body><h1>\(escape(title))</h1><p>\(escape(message))</p></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
