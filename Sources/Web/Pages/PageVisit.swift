import Booking
import Foundation
import HTTPTypes
import Hummingbird

/// One request to a page, as the pages need it: the language to speak, the viewer's time zone, the form token,
/// and the cookies that remember them.
///
/// - **Language**: `?lang=` (the switcher; remembered), else the `rendezvous_lang` cookie, else the browser's
///   `Accept-Language`, else the practice's default.
/// - **Time zone**: `?tz=` (the zone picker, or the script's guess; remembered), else the `rendezvous_tz` cookie,
///   else the practice's zone.
/// - **Form token** (CSRF): a random value in an HttpOnly, SameSite=Lax cookie, repeated in every form; a POST whose
///   form does not carry the cookie's value changes nothing. `BrowserSafetyMiddleware` also refuses cross-site
///   posts by their `Origin`.
struct PageVisit: Sendable {
    static let languageCookie = "rendezvous_lang"
    static let zoneCookie = "rendezvous_tz"
    static let formCookie = "rendezvous_form"

    var language: Language
    var timeZone: TimeZone
    /// Whether the zone was only the practice's default (the script may then offer the browser's).
    var zoneIsDefault: Bool
    /// The form token of this visitor.
    var formToken: String
    /// The path and query of the request.
    var path: String
    var query: [String: String]
    /// `Set-Cookie` values the answer carries.
    var cookiesToSet: [String]

    init(
        _ request: Request, renderer: PageRenderer, practiceZone: String, newToken: () -> String
    ) {
        let cookies = Self.cookies(request.headers[.cookie])
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        self.path = request.uri.path
        self.query = query
        self.cookiesToSet = []
        let secure = renderer.secureCookies ? "; Secure" : ""
        if let asked = query["lang"].flatMap(Language.init(rawValue:)) {
            self.language = asked
            self.cookiesToSet.append(
                "\(Self.languageCookie)=\(asked.rawValue); Path=/; Max-Age=31536000; SameSite=Lax\(secure)")
        } else if let remembered = cookies[Self.languageCookie].flatMap(Language.init(rawValue:)) {
            self.language = remembered
        } else {
            self.language =
                Language.preferred(by: request.headers[.acceptLanguage]) ?? renderer.defaultLanguage
        }
        if let asked = query["tz"], ZonedCalendar(identifier: asked) != nil, let zone = TimeZone(identifier: asked) {
            self.timeZone = zone
            self.zoneIsDefault = false
            self.cookiesToSet.append(
                "\(Self.zoneCookie)=\(asked); Path=/; Max-Age=31536000; SameSite=Lax\(secure)")
        } else if let remembered = cookies[Self.zoneCookie], ZonedCalendar(identifier: remembered) != nil,
            let zone = TimeZone(identifier: remembered)
        {
            self.timeZone = zone
            self.zoneIsDefault = false
        } else {
            self.timeZone = TimeZone(identifier: practiceZone) ?? .gmt
            self.zoneIsDefault = true
        }
        if let token = cookies[Self.formCookie], token.count == 32, token.allSatisfy({ $0.isLetter || $0.isNumber }) {
            self.formToken = token
        } else {
            self.formToken = newToken()
            self.cookiesToSet.append("\(Self.formCookie)=\(self.formToken); Path=/; HttpOnly; SameSite=Lax\(secure)")
        }
    }

    /// How this visit formats dates, times and prices.
    var format: PageFormat { PageFormat(language: self.language, timeZone: self.timeZone) }

    /// The zone's IANA name.
    var zoneName: String { self.timeZone.identifier }

    /// This page in another language (the switcher's link): the same path and query, `lang` replaced.
    func url(switchingTo language: Language) -> String {
        var query = self.query
        query["lang"] = language.rawValue
        return self.path + "?" + Self.encode(query)
    }

    /// Whether a posted form carries this visitor's form token.
    func accepts(formToken posted: String?) -> Bool {
        guard let posted, posted.utf8.count == self.formToken.utf8.count else { return false }
        // NB: compared in constant time, as any secret is.
        return zip(posted.utf8, self.formToken.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// `a=1&b=2`, sorted by key, percent-encoded.
    static func encode(_ query: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return query.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key)="
                + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
    }

    /// The cookies of a `Cookie` header, by name.
    static func cookies(_ header: String?) -> [String: String] {
        var cookies: [String: String] = [:]
        for part in (header ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, cookies[pair[0]] == nil { cookies[pair[0]] = pair[1] }
        }
        return cookies
    }
}
