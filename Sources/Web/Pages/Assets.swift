import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The pages' stylesheet and script, served from the build (no download from elsewhere), cached for an hour.
enum Assets {
    static let files: [String: String] = [
        "app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
    ]

    static func addRoutes(to router: Router<AppContext>) {
        var loaded: [String: ByteBuffer] = [:]
        for name in files.keys {
            let parts = name.split(separator: ".")
            if let url = Bundle.module.url(
                forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Assets"),
                let data = try? Data(contentsOf: url)
            {
                loaded[name] = ByteBuffer(bytes: data)
            }
        }
        let bodies = loaded
        router.get("assets/:name") { _, context -> Response in
            guard let name = context.parameters.get("name"), let body = bodies[name], let type = files[name] else {
                throw APIError(.notFound, code: "not_found", message: "No such asset.")
            }
            var headers = HTTPFields()
            headers[.contentType] = type
            headers[.cacheControl] = "public, max-age=3600"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }
}
