import HTTPTypes
import Hummingbird
import Synchronization

/// Answers 405 with `Allow` when a path exists but not for the request's method (the router alone says 404).
/// The table is read from the router once its routes are all added (`RouteMethods.load`).
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = self.routes.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            var refusal = APIError(
                .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: " or ")).")
            refusal.allow = allowed
            throw refusal
        }
    }
}

/// The methods each route path takes, matched segment by segment (a `{name}` capture or a `*` wildcard matches one
/// segment, `**` the rest; partial captures and wildcards such as `{name}.ics` match any segment too).
final class RouteMethods: Sendable {
    private struct Entry {
        var segments: [Substring]
        var methods: Set<String>
    }

    private let entries = Mutex<[Entry]>([])

    /// Reads the routes of `router`; call once every route is added.
    func load(from router: Router<some RequestContext>) {
        var byPath: [String: Set<String>] = [:]
        for route in router.routes {
            byPath["\(route.path)", default: []].insert(route.method.rawValue)
        }
        let entries = byPath.map { path, methods in
            var methods = methods
            if methods.contains("GET") { methods.insert("HEAD") }
            return Entry(segments: path.split(separator: "/"), methods: methods)
        }
        self.entries.withLock { $0 = entries }
    }

    /// The methods allowed on `path`, sorted; empty when no route has that path.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let allowed = self.entries.withLock { entries in
            entries.filter { Self.matches($0.segments, segments) }.reduce(into: Set<String>()) {
                $0.formUnion($1.methods)
            }
        }
        return allowed.sorted()
    }

    private static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        var index = 0
        for (position, part) in pattern.enumerated() {
            if part == "**" { return segments.count > position }
            guard index < segments.count else { return false }
            let variable = part.contains("{") || part.contains("*") || part.hasPrefix(":")
            if !(variable || part == segments[index]) { return false }
            index += 1
        }
        return index == segments.count
    }
}
