import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// Renders the pages: a view model through its Mustache template (`Templates/`), wrapped in the layout with the
/// practice's name, the language switcher and the words of the page's language. Templates escape every value
/// (`{{value}}`); the layout inserts the rendered page with `{{{content}}}`, the only unescaped value.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let words: WordCatalog
    /// The practice's name, on every page.
    let practiceName: String
    /// The language of a first visit whose browser asks for none of ours.
    let defaultLanguage: Language
    /// Whether cookies must be `Secure` (the service is reached over https).
    let secureCookies: Bool

    init(practiceName: String, defaultLanguage: Language, secureCookies: Bool) throws {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw PageSetupError("the page templates are missing from this build")
        }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        where file.pathExtension == "mustache" {
            try library.register(
                String(contentsOf: file, encoding: .utf8), named: file.deletingPathExtension().lastPathComponent)
        }
        self.library = library
        self.words = try WordCatalog.bundled()
        self.practiceName = practiceName
        self.defaultLanguage = defaultLanguage
        self.secureCookies = secureCookies
    }

    /// The page `template` for `model`, titled `title` (a catalog key), as an HTML response.
    func page(
        _ template: String, _ model: Any, title: String, titleValues: [String: String] = [:], for visit: PageVisit,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let words = self.words.forTemplates(visit.language)
        let content = self.library.render(PageScope(t: words, page: model, visit: visit), withTemplate: template) ?? ""
        // NB: the dashboard's pages (templates `admin-…`) lead back to the dashboard, and carry none of the
        // clients' links and words (their bookings, the payment footer).
        let dashboard = template.hasPrefix("admin-")
        let layout = LayoutModel(
            lang: visit.language.rawValue, title: self.words.text(title, visit.language, titleValues),
            practice: self.practiceName, home: dashboard ? "/admin" : "/", dashboard: dashboard,
            wide: dashboard && !Self.narrowDashboardPages.contains(template), t: words,
            content: content,
            languages: Language.allCases.map { language in
                LayoutModel.LanguageLink(
                    code: language.rawValue, name: self.words.text("language.name", language),
                    href: visit.url(switchingTo: language), current: language == visit.language)
            })
        let html = self.library.render(layout, withTemplate: "layout") ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        for cookie in visit.cookiesToSet { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The dashboard's pages that are one short form, as narrow as the clients' pages; the others use a desktop's
    /// width for their tables and forms.
    static let narrowDashboardPages: Set<String> = ["admin-signin", "admin-invitation"]

    /// A page that only says something (an error, a refusal), with an optional way on.
    func message(
        title: String, text: String, link: (href: String, label: String)? = nil, for visit: PageVisit,
        status: HTTPResponse.Status
    ) -> Response {
        self.page(
            "message", MessageModel(text: text, linkHref: link?.href, linkLabel: link?.label), title: title,
            for: visit, status: status)
    }

    /// What a template sees: the words, the page's own model and the visit (language, zone, form token).
    struct PageScope {
        var t: [String: String]
        var page: Any
        var visit: PageVisit
    }

    struct LayoutModel {
        struct LanguageLink {
            var code: String
            var name: String
            var href: String
            var current: Bool
        }

        var lang: String
        var title: String
        var practice: String
        /// Where the practice's name leads: the booking page, or the dashboard on its pages.
        var home: String
        var dashboard: Bool
        /// A desktop's width (the dashboard, but for its short forms).
        var wide: Bool
        var t: [String: String]
        var content: String
        var languages: [LanguageLink]
    }

    struct MessageModel {
        var text: String
        var linkHref: String?
        var linkLabel: String?
    }
}
