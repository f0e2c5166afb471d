import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// What operators watch: `GET /metrics` in Prometheus' text format (requests by route and status with their
/// durations, webhook events by outcome, the outbox and the live holds), behind a Bearer token — absent (404) when
/// no token is configured.
public struct MetricsEndpoint: Sendable {
    public var registry: PrometheusCollectorRegistry
    /// The token a scraper sends as `Authorization: Bearer <token>`.
    public var token: String

    public init(registry: PrometheusCollectorRegistry, token: String) {
        self.registry = registry
        self.token = token
    }

    func addRoutes(to router: Router<AppContext>) {
        router.get("metrics") { request, _ -> Response in
            guard let sent = AdminAuthenticator.bearerToken(request), Self.same(sent, self.token) else {
                throw APIError.unauthorized
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
    }

    /// NB: compared in constant time, as any secret is.
    static func same(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Every answer says which request it was (`X-Request-Id`), the id every log line of that request carries
/// (`hb.request.id`), so a user's report and the logs meet.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("X-Request-Id")!] = context.id
        return response
    }
}
