import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension FakeStripe {
    /// Adds the fake's routes to a router (or a group such as `/fake-stripe`): the `/v1` API, the hosted checkout
    /// pages, and `/_fake` controls for fault injection from outside the process.
    public nonisolated func addRoutes<Context: RequestContext>(to router: some RouterMethods<Context>) {
        for method in [HTTPRequest.Method.get, .post, .delete] {
            router.on("v1/**", method: method) { request, context in
                let body = try await request.body.collect(upTo: 1 << 20)
                let path = "/v1/" + context.parameters.getCatchAll().joined(separator: "/")
                let fakeRequest = FakeRequest(
                    method: request.method.rawValue, path: path, query: request.uri.query ?? "",
                    body: Array(buffer: body),
                    authorization: request.headers[.authorization],
                    idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!])
                return try await Self.response(await self.handleAPI(fakeRequest))
            }
        }
        router.get("checkout/:id") { _, context in
            try await Self.response(await self.checkoutPage(try context.parameters.require("id")))
        }
        router.post("checkout/:id/pay") { _, context in
            try await Self.response(await self.pay(try context.parameters.require("id")))
        }
        router.post("checkout/:id/cancel") { _, context in
            try await Self.response(await self.cancel(try context.parameters.require("id")))
        }
        // Fault injection for a standalone fake: POST /_fake/faults?api=500&count=3 or ?delivery=duplicate.
        router.post("_fake/faults") { request, _ in
            let query = request.uri.queryParameters
            if let api = query.get("api") {
                let count = query.get("count", as: Int.self) ?? 1
                let fault: APIFault = api == "no-answer" ? .noAnswer : .status(Int(api) ?? 500)
                await self.injectAPIFault(fault, count: count)
            }
            switch query.get("delivery") {
            case "duplicate": await self.injectDeliveryFault(.duplicate)
            case "out-of-order": await self.injectDeliveryFault(.outOfOrder)
            case "late": await self.injectDeliveryFault(.delay(.seconds(query.get("seconds", as: Int.self) ?? 5)))
            default: break
            }
            return Response(status: .noContent)
        }
    }

    static func response(_ fake: FakeResponse) async throws -> Response {
        if let hang = fake.hang { try await Task.sleep(for: hang) }
        var headers = HTTPFields()
        headers[.contentType] = fake.contentType
        for (name, value) in fake.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: fake.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: fake.body)))
    }
}
