import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import Workflow

@testable import Web

/// The booking pages through the router: both languages, every step, the form token, the check before paying, and
/// one booking however often the summary is sent.
@Suite struct BookingPagesTests {
    @Test func bothCatalogsHaveEveryKey() throws {
        let words = try WordCatalog.bundled()
        for language in Language.allCases {
            #expect(words.missing(in: language) == [], "missing in \(language.rawValue)")
        }
    }

    /// French puts a space before `:`, `;`, `?` and `!`; a plain one lets the sign start a line on a narrow screen, so
    /// the catalog's is non-breaking (U+00A0 before a colon, the narrow U+202F before the others).
    @Test func frenchPunctuationStaysWithTheWordBeforeIt() throws {
        let french = try WordCatalog.bundled().forTemplates(.fr)
        let loose = french.filter { $0.value.contains(/\ [:;?!]/) }.keys.sorted()
        #expect(loose == [], "a plain space before a sign in \(loose)")
        #expect(french["category_choose"] == "Choisir\u{00A0}: {category}")
        #expect(french["cancel_title"] == "Annuler ce rendez-vous\u{202F}?")
    }

    /// Values fill their places once: a value that looks like a place stays as typed, and an unknown place stays.
    @Test func valuesFillTheirPlacesOnce() {
        let words = WordCatalog(words: [
            .en: ["greeting": "{name} wrote “{text}” on {day} {unknown}", "plain": "{x}", "swap": "{a}{b}"]
        ])
        #expect(
            words.text("greeting", .en, ["name": "Zoë", "text": "{name} {day}", "day": "Monday"])
                == "Zoë wrote “{name} {day}” on Monday {unknown}")
        // Two values naming each other's places: a second pass, in either order, would read one of them again.
        #expect(words.text("swap", .en, ["a": "{b}", "b": "{a}"]) == "{b}{a}")
        #expect(words.text("plain", .en) == "{x}")
        #expect(words.text("plain", .en, ["x": "}{"]) == "}{")
        #expect(words.text("absent", .en, ["x": "1"]) == "absent")
    }

    @Test func theBrowsersLanguageIsHonouredByPreference() {
        #expect(Language.preferred(by: "fr-CH, fr;q=0.9, en;q=0.8") == .fr)
        #expect(Language.preferred(by: "de-DE, en;q=0.5, fr;q=0.4") == .en)
        #expect(Language.preferred(by: "de, es") == nil)
        #expect(Language.preferred(by: "fr;q=0, en") == .en)
        #expect(Language.preferred(by: nil) == nil)
    }

    /// The page's HTML, the cookies it set, and its status.
    struct Page {
        var status: HTTPResponse.Status
        var html: String
        var location: String?
        var cookies: [String]
    }

    struct Browser {
        let client: any TestClientProtocol
        var cookies: [String: String] = [:]

        mutating func go(_ uri: String, language: String = "en", form: [String: String]? = nil) async throws -> Page {
            var headers: HTTPFields = [.acceptLanguage: language]
            if !self.cookies.isEmpty {
                headers[.cookie] = self.cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: "; ")
            }
            var body: ByteBuffer?
            if let form {
                headers[.contentType] = "application/x-www-form-urlencoded"
                headers[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
                body = ByteBuffer(string: PageVisit.encode(form))
            }
            let answer = try await self.client.execute(
                uri: uri, method: form == nil ? .get : .post, headers: headers, body: body)
            let set = answer.headers[values: .setCookie]
            for cookie in set {
                let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { self.cookies[pair[0]] = pair[1] }
            }
            return Page(
                status: answer.status, html: String(buffer: answer.body), location: answer.headers[.location],
                cookies: set)
        }
    }

    static func first(_ pattern: String, in html: String) throws -> String {
        let regex = try Regex(pattern)
        let match = try #require(html.firstMatch(of: regex))
        return String(try #require(match.output[1].substring))
    }

    @Test func aClientWalksFromTheHomePageToThePaymentLinkOnce() async throws {
        let practice = try await TestPractice(now: Date())
        try await pagesApp(practice).test(.router) { client in
            var browser = Browser(client: client)
            // Given a French browser on the home page,
            let home = try await browser.go("/", language: "fr-FR,fr;q=0.9")
            #expect(home.status == .ok)
            #expect(home.html.contains(#"<html lang="fr">"#))
            #expect(home.html.contains("Prendre rendez-vous"))
            #expect(browser.cookies["rendezvous_form"]?.count == 32)
            // When it switches to English, the choice is remembered.
            _ = try await browser.go("/?lang=en")
            #expect(browser.cookies["rendezvous_lang"] == "en")
            let chat = try await browser.go("/book/chat", language: "fr")
            #expect(chat.html.contains(#"<html lang="en">"#))
            #expect(chat.html.contains("First session") && chat.html.contains("Additional time"))
            // The month shows days with free times as links, in the practice's zone by default.
            let month = try await browser.go("/book/chat/svc_chat_first")
            let dayLink = try Self.first(#"<a class="free" href="([^"]+)""#, in: month.html)
            let day = try await browser.go(dayLink)
            let timeLink = try Self.first(#"<a class="time" href="([^"]+)""#, in: day.html)
                .replacingOccurrences(of: "&amp;", with: "&")
            let details = try await browser.go(timeLink)
            #expect(details.status == .ok)
            let start = try Self.first(#"name="start" value="([^"]+)""#, in: details.html)
            let token = try #require(browser.cookies["rendezvous_form"])
            var form = [
                "form": token, "service": "svc_chat_first", "start": start, "name": "Zoë <script>x</script>",
                "email": "zoe.pages@example.com", "note": "Première fois",
            ]
            // The details are checked as the booking will be: the summary, escaped, with a price and a Pay button.
            let summary = try await browser.go("/book/details", form: form)
            #expect(summary.status == .ok)
            #expect(summary.html.contains("Zoë &lt;script&gt;x&lt;/script&gt;"))
            #expect(!summary.html.contains("<script>x"))
            #expect(summary.html.contains("Pay €45.00"))
            form["key"] = try Self.first(#"name="key" value="([^"]+)""#, in: summary.html)
            // Pay books once and sends the client to the payment link, however often it is pressed.
            let paid = try await browser.go("/book/confirm", form: form)
            #expect(paid.status == .seeOther)
            let link = try #require(paid.location)
            #expect(link.hasPrefix("http://rendezvous.test/pay/"))
            let again = try await browser.go("/book/confirm", form: form)
            #expect(again.location == link)
            let email = try EmailAddress("zoe.pages@example.com")
            let booked = try await practice.store.read { reader in
                try await reader.bookings(of: try #require(await reader.client(email: email)).id)
            }
            #expect(booked.count == 1)
            #expect(booked.first?.clientNote == "Première fois")
        }
    }

    @Test func aFormWithoutItsTokenChangesNothing() async throws {
        let practice = try await TestPractice(now: Date())
        try await pagesApp(practice).test(.router) { client in
            var browser = Browser(client: client)
            _ = try await browser.go("/")
            let start = Date().addingTimeInterval(3 * 86_400).formatted(.iso8601)
            let form = [
                "form": "not-the-token", "service": "svc_chat_first", "start": start, "name": "Mallory",
                "email": "m@example.com", "key": "k1",
            ]
            let answer = try await browser.go("/book/confirm", form: form)
            #expect(answer.status == .forbidden)
            #expect(answer.html.contains("This form has expired"))
            #expect(
                try await practice.store.read { try await $0.client(email: try EmailAddress("m@example.com")) } == nil)
        }
    }

    @Test func additionalTimeBeforeAFirstSessionIsRefusedBeforePaying() async throws {
        let practice = try await TestPractice(now: Date())
        try await pagesApp(practice).test(.router) { client in
            var browser = Browser(client: client)
            let month = try await browser.go("/book/chat/svc_chat_more", language: "fr")
            let dayLink = try Self.first(#"<a class="free" href="([^"]+)""#, in: month.html)
            let day = try await browser.go(dayLink, language: "fr")
            let start = try Self.first(#"start=([^"&]+)""#, in: day.html).removingPercentEncoding ?? ""
            let form = [
                "form": try #require(browser.cookies["rendezvous_form"]), "service": "svc_chat_more", "start": start,
                "name": "Noé", "email": "noe@example.com",
            ]
            let refused = try await browser.go("/book/details", language: "fr", form: form)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("réservé aux clients ayant terminé une première séance"))
            #expect(
                try await practice.store.read { try await $0.client(email: try EmailAddress("noe@example.com")) } == nil
            )
        }
    }

    @Test func theDaysOfAMonthWithFreeTimes() async throws {
        let practice = try await TestPractice(now: Instants.mondayMorning)
        try await pagesApp(practice).test(.router) { client in
            let answer = try await client.execute(
                uri: "/api/services/svc_chat_first/days?month=2026-12&timeZone=Europe/Paris", method: .get)
            #expect(answer.status == .ok)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any])
            let days = try #require(json["days"] as? [String])
            // Working days only (the sample schedule: Monday to Friday), the first of December a Tuesday.
            #expect(days.first == "2026-12-01")
            #expect(!days.contains("2026-12-05") && !days.contains("2026-12-06"))
            #expect(json["month"] as? String == "2026-12")
            for bad in ["month=2026-13", "month=26-12", "month=2026-12&timeZone=Mars/Olympus", ""] {
                let refused = try await client.execute(uri: "/api/services/svc_chat_first/days?\(bad)", method: .get)
                #expect(refused.status == .badRequest, "\(bad)")
            }
            let unknown = try await client.execute(uri: "/api/services/svc_nope/days?month=2026-12", method: .get)
            #expect(unknown.status == .notFound)
        }
    }

    @Test func aBrowserLostOnAnUnknownAddressGetsAPageAndAScriptGetsJSON() async throws {
        let practice = try await TestPractice(now: Date())
        try await pagesApp(practice).test(.router) { client in
            let page = try await client.execute(
                uri: "/no/such/page", method: .get, headers: [.accept: "text/html", .acceptLanguage: "fr"])
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: page.body).contains("Page introuvable"))
            let json = try await client.execute(uri: "/no/such/page", method: .get)
            #expect(json.status == .notFound)
            #expect(String(buffer: json.body).contains("\"not_found\""))
            let api = try await client.execute(uri: "/api/nothing", method: .get, headers: [.accept: "text/html"])
            #expect(api.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }
}
