import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Workflow

/// An error answer: `{"error":{"code","message"}}` with a status. Every error leaves the service in this shape.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Sent as `Retry-After` (429, 503).
    public var retryAfterSeconds: Int?
    /// Sent as `Allow` (405): the methods the path takes.
    public var allow: [String]?

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The one place where domain errors become HTTP statuses.
    public init(_ error: BookingError) {
        let status: HTTPResponse.Status =
            switch error {
            case .invalidField: .badRequest
            case .notFound: .notFound
            case .slotTaken, .illegalTransition: .conflict
            case .idempotencyKeyReused: .unprocessableContent
            case .slotUnavailable, .notEligible, .outsideBookingWindow, .clientLimitReached, .clientBanned,
                .clientNotAllowed,
                .tooEarlyOrLate:
                .unprocessableContent
            }
        self.init(status, code: error.code, message: error.message)
    }

    static func invalid(_ field: String, _ reason: String) -> APIError {
        APIError(BookingError.invalidField(field: field, reason: reason))
    }

    static let unauthorized = APIError(.unauthorized, code: "unauthorized", message: "A valid admin token is required.")

    func response() -> Response {
        struct Body: Encodable {
            struct Inner: Encodable {
                var code: String
                var message: String
            }
            var error: Inner
        }
        let data =
            (try? JSONCoding.encoder.encode(Body(error: .init(code: self.code, message: self.message)))) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if let retryAfter = self.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        if let allow = self.allow { headers[.allow] = allow.joined(separator: ", ") }
        return Response(status: self.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into the JSON error shape: domain errors by their code, Hummingbird's own (404, 413...) by
/// status, anything unexpected into a 500 that says nothing internal (and is logged).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The page for a refusal a browser navigated to (a GET asking for HTML outside the API); nil keeps JSON.
    var page: (@Sendable (Request, APIError) async -> Response?)? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await self.answer(request, context: context, next: next)
        } catch let error as APIError {
            if let page = self.page, request.method == .get, !request.uri.path.hasPrefix("/api/"),
                request.headers[.accept]?.contains("text/html") == true, let answer = await page(request, error)
            {
                return answer
            }
            return error.response()
        }
    }

    /// The answer, or the refusal as an `APIError`.
    private func answer(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as BookingError {
            throw APIError(error)
        } catch let error as StoreUnavailable {
            context.logger.warning("database unavailable", metadata: ["error": "\(error)"])
            var refusal = APIError(
                .serviceUnavailable, code: "database_unavailable",
                message: "The service cannot reach its database just now. Try again in a few seconds.")
            refusal.retryAfterSeconds = 5
            throw refusal
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "The request body is too large.")
        } catch let error as HTTPParserError {
            // A body the HTTP parser cannot read (a malformed chunk, say): the client's mistake, not ours.
            context.logger.notice("unreadable request", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.badRequest, code: "bad_request", message: "The request cannot be read: \(error).")
        } catch let error as ChannelError {
            // The client went away mid-request (or the connection broke): nobody is left to answer, and it is not
            // an error of ours.
            context.logger.debug("connection ended mid-request", metadata: ["error": "\(error)"])
            throw APIError(.badRequest, code: "connection_closed", message: "The connection ended mid-request.")
        } catch let error as HTTPError {
            let code: String =
                switch error.status {
                case .notFound: "not_found"
                case .contentTooLarge: "payload_too_large"
                case .badRequest: "bad_request"
                case .methodNotAllowed: "method_not_allowed"
                case .unsupportedMediaType: "unsupported_media_type"
                default: "http_\(error.status.code)"
                }
            throw APIError(error.status, code: code, message: error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, code: "internal_error", message: "Something went wrong on our side.")
        }
    }
}

/// Reads JSON bodies with errors that name the field.
enum JSONBody {
    /// Decodes the request body (at most `limit` bytes) as `T`, or throws a 400 naming what is wrong.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 64 * 1024) async throws -> T {
        try Self.requireJSONContentType(request)
        let buffer = try await request.body.collect(upTo: limit)
        guard buffer.readableBytes > 0 else {
            throw APIError(.badRequest, code: "invalid_json", message: "A JSON body is required.")
        }
        do {
            return try JSONCoding.decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch let error as BookingError {
            throw APIError(error)
        }
    }

    /// A body must be sent as `application/json` (or a `+json` type), or with no `Content-Type` at all (scripts);
    /// any other type is what a cross-site form or "simple request" would send, and is refused with 415.
    static func requireJSONContentType(_ request: Request) throws {
        guard let type = request.headers[.contentType] else { return }
        let essence = type.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
        guard essence == "application/json" || (essence.hasPrefix("application/") && essence.hasSuffix("+json"))
        else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "Send the body as JSON with Content-Type: application/json.")
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context, adding key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(path(context, adding: key), "is required")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .invalid(path(context).isEmpty ? "body" : path(context), "has the wrong type")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return APIError(.badRequest, code: "invalid_json", message: "The body is not valid JSON.")
            }
            return .invalid(path(context), context.debugDescription)
        @unknown default:
            return APIError(.badRequest, code: "invalid_json", message: "The body cannot be read.")
        }
    }
}
