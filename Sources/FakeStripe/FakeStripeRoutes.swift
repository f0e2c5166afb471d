import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension FakeStripe {
    /// Adds the fake's routes to a router (or a group such as `/fake-stripe`): the `/v1` API, the hosted checkout
    /// pages and, with `faultControls`, `/_fake/faults` for fault injection from outside the process. The controls
    /// need no credentials, so they are for a standalone test fake only, never for a fake a public service mounts.
    public nonisolated func addRoutes<Context: RequestContext>(
        to router: some RouterMethods<Context>, faultControls: Bool = false
    ) {
        // The `/v1` API, one route per operation; anything else under `/v1` gets Stripe's "unrecognized URL".
        let api: [(HTTPRequest.Method, RouterPath, @Sendable (Parameters) throws -> APIOperation)] = [
            (.post, "v1/checkout/sessions", { _ in .createCheckoutSession }),
            (.get, "v1/checkout/sessions/:id", { .retrieveCheckoutSession(try $0.require("id")) }),
            (.post, "v1/checkout/sessions/:id/expire", { .expireCheckoutSession(try $0.require("id")) }),
            (.post, "v1/refunds", { _ in .createRefund }),
            (.get, "v1/refunds/:id", { .retrieveRefund(try $0.require("id")) }),
            (.get, "v1/payment_intents/:id", { .retrievePaymentIntent(try $0.require("id")) }),
            (.get, "v1/charges/:id", { .retrieveCharge(try $0.require("id")) }),
            (.get, "v1/events", { _ in .listEvents }),
            (.get, "v1/events/:id", { .retrieveEvent(try $0.require("id")) }),
        ]
        for (method, path, operation) in api {
            router.on(path, method: method) { request, context in
                try await self.answer(request, context, operation(context.parameters))
            }
        }
        for method in [HTTPRequest.Method.get, .post, .delete] {
            router.on("v1/**", method: method) { request, context in
                try await self.answer(request, context, .unrecognized)
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
        if faultControls {
            // POST /_fake/faults?api=500&count=3, ?api=no-answer, or ?delivery=duplicate|out-of-order|late&seconds=5.
            router.post("_fake/faults") { request, _ in
                switch FaultRequest.parse(request.uri.queryParameters) {
                case .success(let faults):
                    if let api = faults.api { await self.injectAPIFault(api, count: faults.count) }
                    if let delivery = faults.delivery { await self.injectDeliveryFault(delivery) }
                    return Response(status: .noContent)
                case .failure(let refusal):
                    var headers = HTTPFields()
                    headers[.contentType] = "text/plain; charset=utf-8"
                    return Response(
                        status: .badRequest, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: refusal.message + "\n")))
                }
            }
        }
    }

    /// Reads a `/v1` request and answers it through `handleAPI`.
    private nonisolated func answer<Context: RequestContext>(
        _ request: Request, _ context: Context, _ operation: APIOperation
    ) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        // The path as Stripe names it, from `/v1` on, wherever the fake is mounted.
        let path = request.uri.path.range(of: "/v1/").map { String(request.uri.path[$0.lowerBound...]) } ?? "/v1"
        let fakeRequest = FakeRequest(
            method: request.method.rawValue, path: path, query: request.uri.query ?? "",
            body: Array(buffer: body), authorization: request.headers[.authorization],
            idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!])
        return try await Self.response(await self.handleAPI(fakeRequest, operation))
    }

    static func response(_ fake: FakeResponse) async throws -> Response {
        if let hang = fake.hang { try await Task.sleep(for: hang) }
        var headers = HTTPFields()
        headers[.contentType] = fake.contentType
        for (name, value) in fake.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        // NB: `HTTPResponse.Status(code:)` traps outside 100...999; injected statuses are checked on the way in, and
        // this keeps any other path from reaching the trap.
        let status = (100...599).contains(fake.status) ? fake.status : 500
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: fake.body)))
    }
}

/// The API operations the fake implements, as its router resolved them.
public enum APIOperation: Hashable, Sendable {
    case createCheckoutSession
    case retrieveCheckoutSession(String)
    case expireCheckoutSession(String)
    case createRefund
    case retrieveRefund(String)
    case retrievePaymentIntent(String)
    case retrieveCharge(String)
    case listEvents
    case retrieveEvent(String)
    /// A path under `/v1` the fake does not know.
    case unrecognized
}

/// A request to `/_fake/faults`, checked: statuses 400–599, counts 1–1,000, delays 0–3,600 s.
struct FaultRequest: Equatable {
    var api: APIFault?
    var count = 1
    var delivery: DeliveryFault?

    struct Refusal: Error, Equatable {
        var message: String
    }

    static func parse(_ query: Hummingbird.Parameters) -> Result<FaultRequest, Refusal> {
        var faults = FaultRequest()
        if let count = query.get("count") {
            guard let parsed = Int(count), (1...1000).contains(parsed) else {
                return .failure(Refusal(message: "count must be a whole number from 1 to 1000"))
            }
            faults.count = parsed
        }
        if let api = query.get("api") {
            if api == "no-answer" {
                faults.api = .noAnswer
            } else if let status = Int(api), (400...599).contains(status) {
                faults.api = .status(status)
            } else {
                return .failure(Refusal(message: "api must be an error status from 400 to 599, or no-answer"))
            }
        }
        switch query.get("delivery") {
        case nil: break
        case "duplicate": faults.delivery = .duplicate
        case "out-of-order": faults.delivery = .outOfOrder
        case "late":
            let seconds = query.get("seconds") ?? "5"
            guard let parsed = Int(seconds), (0...3600).contains(parsed) else {
                return .failure(Refusal(message: "seconds must be a whole number from 0 to 3600"))
            }
            faults.delivery = .delay(.seconds(parsed))
        case let other?:
            return .failure(Refusal(message: "delivery must be duplicate, out-of-order or late, not \(other)"))
        }
        guard faults.api != nil || faults.delivery != nil else {
            return .failure(Refusal(message: "give api=STATUS|no-answer or delivery=duplicate|out-of-order|late"))
        }
        return .success(faults)
    }
}
