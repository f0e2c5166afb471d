import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Notifications
import TestSupport
import Testing
import Workflow

@testable import Web

/// The dashboard's first pages through the router: sign in, what needs a decision, a booking's page with its
/// history, and a decision with its note.
@Suite struct AdminPagesTests {
    @Test func anAdminSignsInSeesThePaidBookingAndApprovesIt() async throws {
        let practice = try await TestPractice(now: Date())
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        let booking = try await practice.workflow.clients.book(
            practice.request(at: Instants.utc(APIContractTests.workingDay()), email: "paid@example.com")
        ).booking
        _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
        try await pagesApp(practice).test(.router) { client in
            // Not signed in: the sign-in page, and a booking's page sends there.
            let anonymous = try await client.execute(uri: "/admin", method: .get)
            #expect(String(buffer: anonymous.body).contains("Sign in to the dashboard"))
            // A short form keeps the clients' pages' width; the dashboard itself uses a desktop's.
            #expect(String(buffer: anonymous.body).contains("<main id=\"main\" class=\"page\">"))
            // An admin's email links to the booking's page: signed out, the sign-in comes first, then that page.
            let away = try await client.execute(uri: "/admin/bookings/\(booking.id)", method: .get)
            #expect(away.status == .seeOther)
            #expect(away.headers[.location] == "/admin?next=%2Fadmin%2Fbookings%2F\(booking.id)")
            let landed = try await client.postForm(
                "/admin/sign-in", from: "/admin",
                fields: [
                    "email": "camille@cabinet.example", "password": "correct horse battery",
                    "next": "/admin/bookings/\(booking.id)",
                ])
            #expect(landed.headers[.location] == "/admin/bookings/\(booking.id)")
            for hostile in ["//evil.example/admin/", "https://evil.example", "/admin/\\evil", "/account"] {
                let elsewhere = try await client.postForm(
                    "/admin/sign-in", from: "/admin",
                    fields: ["email": "camille@cabinet.example", "password": "correct horse battery", "next": hostile])
                #expect(elsewhere.headers[.location] == "/admin", "\(hostile)")
            }
            let wrong = try await client.postForm(
                "/admin/sign-in", from: "/admin", fields: ["email": "camille@cabinet.example", "password": "nope"])
            #expect(wrong.status == .unauthorized)
            let signedIn = try await client.postForm(
                "/admin/sign-in", from: "/admin",
                fields: ["email": "Camille@Cabinet.example", "password": "correct horse battery"])
            #expect(signedIn.status == .seeOther)
            let session = try #require(
                signedIn.headers[values: .setCookie].first { $0.hasPrefix("rendezvous_admin=") }?.split(separator: ";")
                    .first.map(String.init))
            // The home puts the paid booking first.
            let home = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: session])
            let html = String(buffer: home.body)
            #expect(html.contains("To approve"))
            #expect(html.contains("<main id=\"main\" class=\"page wide\">"))
            #expect(html.contains("href=\"/admin/bookings/\(booking.id)\""))
            #expect(html.contains("paid@example.com"))
            // Its page offers what the state machine allows: approve, reject, cancel (with the refund), not archive.
            let page = try await client.execute(
                uri: "/admin/bookings/\(booking.id)", method: .get, headers: [.cookie: session])
            let pageHTML = String(buffer: page.body)
            // It is titled by whose booking it is and when; its reference is among the facts.
            let heading = try #require(pageHTML.firstRange(of: "<h1>").map { pageHTML[$0.upperBound...] })
            #expect(heading.hasPrefix("Zoë Dupré, ") && !heading.prefix(while: { $0 != "<" }).contains("bk_"))
            #expect(pageHTML.contains("<dt>Reference</dt><dd>\(booking.id)</dd>"))
            // Its history says what happened in words, not by the event's name.
            #expect(pageHTML.contains("(payment received)") && pageHTML.contains("(booked)"))
            #expect(!pageHTML.contains("(paymentSucceeded)") && !pageHTML.contains("(created)"))
            #expect(
                pageHTML.contains("Waiting for payment → Paid — waiting for the practice’s approval (payment received)")
            )
            #expect(pageHTML.contains("/admin/bookings/\(booking.id)/approve"))
            #expect(pageHTML.contains("/admin/bookings/\(booking.id)/reject"))
            #expect(pageHTML.contains("€45.00 will be refunded to the client."))
            #expect(!pageHTML.contains("/admin/bookings/\(booking.id)/archive"))
            // A cross-site form posting to a decision changes nothing.
            let forged = try await client.execute(
                uri: "/admin/bookings/\(booking.id)/approve", method: .post,
                headers: [
                    .cookie: session, .contentType: "application/x-www-form-urlencoded",
                    HTTPField.Name("Origin")!: "https://evil.example",
                ], body: ByteBuffer(string: "note=forged"))
            #expect(forged.status == .forbidden)
            #expect(try await practice.workflow.booking(booking.id).state == .awaitingApproval)
            // Approving with a note: done, and the history names the admin.
            let opened = try await client.open("/admin/bookings/\(booking.id)", session: session)
            // The dashboard's pages lead back to the dashboard, without the clients' links and footer.
            #expect(opened.html.contains(#"<a class="brand" href="/admin">"#))
            #expect(!opened.html.contains(#"href="/account""#))
            #expect(!opened.html.contains("Secure payment."))
            let approved = try await opened.post(
                "/admin/bookings/\(booking.id)/approve", "note=Welcome&notify=on", through: client)
            #expect(approved.status == .seeOther)
            #expect(try await practice.workflow.booking(booking.id).state == .approved)
            let after = try await client.execute(
                uri: "/admin/bookings/\(booking.id)", method: .get, headers: [.cookie: session])
            let afterHTML = String(buffer: after.body)
            #expect(afterHTML.contains("camille@cabinet.example"))
            #expect(afterHTML.contains("Welcome"))
            let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
            #expect(effects.contains(.emailClient(.approved)))
            // Approved, it may be put back on hold: pending again, and the client is told.
            #expect(afterHTML.contains("/admin/bookings/\(booking.id)/hold"))
            let held = try await opened.post(
                "/admin/bookings/\(booking.id)/hold", "notify=on&shown=on&note=See+you+soon", through: client)
            #expect(held.status == .seeOther)
            // Only the note shown to the client reaches their booking page.
            let clientPage = String(
                buffer: try await client.execute(uri: "/bookings/\(booking.accessToken)", method: .get).body)
            #expect(clientPage.contains("See you soon"))
            #expect(!clientPage.contains("Welcome"))
            #expect(try await practice.workflow.booking(booking.id).state == .awaitingApproval)
            let later = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
            #expect(later.contains(.emailClient(.pendingAgain)))
        }
    }

    @Test func choosingAnotherPeriodKeepsTodayInViewWhenItWasShown() async throws {
        // Given Sunday 6 December, whose week began on Monday 30 November,
        let sunday = Instants.utc("2026-12-06T12:00:00Z")
        let practice = try await TestPractice(now: sunday)
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        try await pagesApp(practice).test(.router) { client in
            let session = try await client.adminSession("camille@cabinet.example", "correct horse battery")
            func period(_ query: String) async throws -> String {
                let page = try await client.execute(
                    uri: "/admin/bookings?tz=Europe/Paris&\(query)", method: .get, headers: [.cookie: session])
                #expect(page.status == .ok)
                return String(buffer: page.body)
            }
            let week = try await period("")
            #expect(week.contains("from 30 Nov 2026 to 6 Dec 2026"))
            #expect(week.contains("name=\"shown\" value=\"week\""))
            // when the admin chooses Month and leaves the date as it was, the month is this one;
            let month = try await period("range=month&from=2026-11-30&shown=week&shownFrom=2026-11-30")
            #expect(month.contains("from 1 Dec 2026 to 31 Dec 2026"))
            // a date the admin typed wins, and so does a link's (the previous month's, say).
            let typed = try await period("range=month&from=2026-11-15&shown=week&shownFrom=2026-11-30")
            #expect(typed.contains("from 1 Nov 2026 to 30 Nov 2026"))
            #expect(try await period("range=month&from=2026-11-01").contains("from 1 Nov 2026 to 30 Nov 2026"))
        }
    }

    @Test func theListShowsAPeriodFilteredByStatusStaffSessionAndClient() async throws {
        let practice = try await TestPractice(now: Date(), setup: .sample(staff: [.camille, .noor]))
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        let start = Instants.utc(APIContractTests.workingDay())
        let chat = try await practice.workflow.clients.book(practice.request(at: start, email: "ana@example.com"))
            .booking
        let call = try await practice.workflow.clients.book(
            practice.request([.callFirst], at: start, email: "bob@example.com", name: "Bob 100%_sure")
        ).booking
        #expect(chat.staffID != call.staffID)
        try await pagesApp(practice).test(.router) { client in
            let session = try await client.adminSession("camille@cabinet.example", "correct horse battery")
            func list(_ query: String) async throws -> String {
                let day = ZonedCalendar(identifier: "Europe/Paris")!.localDate(of: start)
                let page = try await client.execute(
                    uri: "/admin/bookings?range=day&from=\(day)&tz=Europe/Paris&\(query)", method: .get,
                    headers: [.cookie: session])
                #expect(page.status == .ok)
                return String(buffer: page.body)
            }
            let all = try await list("")
            #expect(all.contains("ana@example.com") && all.contains("bob@example.com"))
            #expect(all.contains("2 bookings"))
            let byService = try await list("service=svc_call_first")
            #expect(!byService.contains("ana@example.com") && byService.contains("bob@example.com"))
            #expect(byService.contains("1 booking from") && !byService.contains("1 bookings"))
            let byStaff = try await list("staff=\(chat.staffID)")
            #expect(byStaff.contains("ana@example.com") && !byStaff.contains("bob@example.com"))
            // The search is literal: % and _ match themselves.
            let bySearch = try await list("q=100%25_s")
            #expect(bySearch.contains("bob@example.com") && !bySearch.contains("ana@example.com"))
            #expect(try await list("q=100%25x").contains("0 bookings"))
            let byStatus = try await list("status=approved")
            #expect(byStatus.contains("0 bookings"))
            // Signed out, the list sends to sign-in.
            let anonymous = try await client.execute(uri: "/admin/bookings", method: .get)
            #expect(anonymous.status == .seeOther)
        }
    }

    @Test func clientsAreFoundAnnotatedAndBanned() async throws {
        let practice = try await TestPractice(now: Date())
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        let booking = try await practice.workflow.clients.book(
            practice.request(at: Instants.utc(APIContractTests.workingDay()), email: "ines@example.com", name: "Inès")
        ).booking
        try await pagesApp(practice).test(.router) { client in
            let session = try await client.adminSession("camille@cabinet.example", "correct horse battery")
            let found = try await client.execute(
                uri: "/admin/clients?q=INES@", method: .get, headers: [.cookie: session])
            #expect(String(buffer: found.body).contains("href=\"/admin/clients/\(booking.clientID)\""))
            let none = try await client.execute(uri: "/admin/clients?q=zzz", method: .get, headers: [.cookie: session])
            #expect(String(buffer: none.body).contains("No client matches."))
            // Notes and the ban are forms with the form token, like every page form.
            let page = "/admin/clients/\(booking.clientID)"
            // From the client's page, a booking by hand starts with the client filled in.
            let clientPage = try await client.execute(uri: page, method: .get, headers: [.cookie: session])
            #expect(String(buffer: clientPage.body).contains("href=\"/admin/book?client=\(booking.clientID)\""))
            let prefilled = try await client.execute(
                uri: "/admin/book?client=\(booking.clientID)", method: .get, headers: [.cookie: session])
            #expect(String(buffer: prefilled.body).contains("value=\"ines@example.com\""))
            let opened = try await client.open(page, session: session)
            func post(_ path: String, _ body: String) async throws -> TestResponse {
                try await opened.post(path, body, through: client)
            }
            #expect(try await post("\(page)/notes", "notes=Prefers+calls+%3Cin+the+morning%3E").status == .seeOther)
            #expect(
                try await practice.workflow.admin.client(booking.clientID).privateNotes
                    == "Prefers calls <in the morning>")
            #expect(try await post("\(page)/ban", "").status == .seeOther)
            #expect(try await practice.workflow.admin.client(booking.clientID).isBanned)
            let banned = try await client.execute(uri: page, method: .get, headers: [.cookie: session])
            #expect(String(buffer: banned.body).contains("This client is banned."))
            #expect(String(buffer: banned.body).contains("Prefers calls &lt;in the morning&gt;"))
            #expect(try await post("\(page)/unban", "").status == .seeOther)
            #expect(try await practice.workflow.admin.client(booking.clientID).isBanned == false)
        }
    }

    @Test func anAdminBooksByHandOutsideHoursOnlyAfterConfirmingAndNeverTwice() async throws {
        let practice = try await TestPractice(now: Date())
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        let router = try buildRouter(
            workflow: practice.workflow, configuration: WebConfiguration(webhookSecrets: ["whsec_unit"], bcryptCost: 4),
            loginThrottle: LoginThrottle())
        let day = ZonedCalendar(identifier: "Europe/Paris")!.localDate(of: Instants.utc(APIContractTests.workingDay()))
        try await Application(router: router).test(.router) { client in
            let session = try await client.adminSession("camille@cabinet.example", "correct horse battery")
            let opened = try await client.execute(
                uri: "/admin/book?tz=Europe/Paris", method: .get, headers: [.cookie: session])
            #expect(String(buffer: opened.body).contains("Book for a client"))
            let cookies = opened.headers[values: .setCookie].compactMap {
                $0.split(separator: ";").first.map(String.init)
            }
            let form = try #require(cookies.first { $0.hasPrefix("rendezvous_form=") })
            let token = form.dropFirst("rendezvous_form=".count)
            func book(_ fields: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/admin/book", method: .post,
                    headers: [
                        .cookie: ([session, form] + cookies.filter { $0.hasPrefix("rendezvous_tz=") }).joined(
                            separator: "; "),
                        .contentType: "application/x-www-form-urlencoded",
                    ],
                    body: ByteBuffer(
                        string: "form=\(token)&email=lea%40example.com&name=L%C3%A9a&service=svc_chat_first"
                            + "&date=\(day)&notify=on&payment=link&confirmation=none&approval=rules&\(fields)"))
            }
            // The slot picker lists the day's free times; one picked is booked.
            let picker = try await book("action=times")
            let pickerHTML = String(buffer: picker.body)
            #expect(pickerHTML.contains("name=\"picked\" value=\"09:00\""))
            #expect(try await book("picked=09:00").status == .seeOther)
            // 07:00 is before working hours: the page asks first, and books once confirmed.
            let asked = try await book("time=07:00")
            #expect(asked.status == .unprocessableContent)
            #expect(String(buffer: asked.body).contains("outside the staff member’s working hours"))
            let early = try await book("time=07:00&outsideHours=on")
            #expect(early.status == .seeOther)
            // Within hours it books at once; the same time again is refused, never double-booked.
            let booked = try await book("time=11:00&privateNote=Met+at+the+fair")
            #expect(booked.status == .seeOther)
            let again = try await book("time=11:00")
            #expect(again.status == .conflict)
            #expect(String(buffer: again.body).contains("Someone has just taken this time."))
            let lea = try #require(try await practice.workflow.clientAccounts.client(email: "lea@example.com"))
            #expect(lea.privateNotes.hasSuffix(": Met at the fair"))
            let bookings = try await practice.store.read { try await $0.bookings(of: lea.id) }
            #expect(bookings.count == 3)
            let effects = try await practice.store.read { try await $0.outbox(of: bookings[0].id) }.map(\.effect)
            #expect(effects.contains(.emailClient(.bookingCreatedByAdmin)))
        }
    }

    @Test func anAdminMovesABookingToAFreeTimeOrAnyFreeHourButNeverOverAnother() async throws {
        let practice = try await TestPractice(now: Date())
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        let start = Instants.utc(APIContractTests.workingDay())
        let booking = try await practice.workflow.clients.book(practice.request(at: start, email: "a@example.com"))
            .booking
        let other = try await practice.workflow.clients.book(
            practice.request(at: start.addingTimeInterval(3 * 3600), email: "b@example.com")
        ).booking
        try await pagesApp(practice).test(.router) { client in
            let session = try await client.adminSession("camille@cabinet.example", "correct horse battery")
            // The staff member's week shows both bookings on their day.
            let day = ZonedCalendar(identifier: "Europe/Paris")!.localDate(of: start)
            let week = try await client.execute(
                uri: "/admin/week?staff=\(booking.staffID)&from=\(day)&tz=Europe/Paris", method: .get,
                headers: [.cookie: session])
            let weekHTML = String(buffer: week.body)
            #expect(weekHTML.contains("href=\"/admin/bookings/\(booking.id)\""))
            #expect(weekHTML.contains("href=\"/admin/bookings/\(other.id)\""))
            #expect(weekHTML.contains("09:00-17:00 office"))
            let frenchWeek = try await client.execute(
                uri: "/admin/week?staff=\(booking.staffID)&from=\(day)&tz=Europe/Paris&lang=fr", method: .get,
                headers: [.cookie: session])
            #expect(String(buffer: frenchWeek.body).contains("09:00-17:00 cabinet"))
            // The weekend: no hours, said as such rather than "free".
            #expect(weekHTML.components(separatedBy: "Not working").count - 1 == 2)
            #expect(String(buffer: frenchWeek.body).components(separatedBy: "Non travaillé").count - 1 == 2)
            let page = try await client.open("/admin/bookings/\(booking.id)?tz=Europe/Paris", session: session)
            let html = page.html
            #expect(html.contains("Payment link (to copy into a message)"))
            #expect(html.contains("http://rendezvous.test/pay/\(booking.accessToken)"))
            let starts = html.matches(of: #/name="start" value="([^"]+)"/#).map { String($0.output.1) }
            #expect(!starts.contains(other.start.formatted(.iso8601)))
            func post(_ path: String) async throws -> TestResponse { try await page.post(path, through: client) }
            func move(_ fields: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/admin/bookings/\(booking.id)/reschedule", method: .post,
                    headers: [
                        .cookie: "\(page.cookies); rendezvous_tz=Europe/Paris",
                        .contentType: "application/x-www-form-urlencoded",
                    ],
                    body: ByteBuffer(string: "form=\(page.token)&notify=on&\(fields)"))
            }
            // Reminding the client to pay: the payment link goes out again, and the history says who asked.
            #expect(try await post("/admin/bookings/\(booking.id)/remind").status == .seeOther)
            let effects = try await practice.store.read { try await $0.outbox(of: booking.id) }.map(\.effect)
            #expect(effects.contains(.emailClient(.paymentReminder)))
            #expect(try await practice.workflow.history(of: booking.id).last?.event == "paymentReminderSent")
            let picked = try #require(starts.first)
            #expect(try await move("start=\(picked)").status == .seeOther)
            #expect(try await practice.workflow.booking(booking.id).start == Instants.utc(picked))
            #expect(try await move("date=\(day)&time=07:15").status == .seeOther)
            #expect(try await practice.workflow.booking(booking.id).start == Instants.utc("\(day)T06:15:00Z"))
            let over = try await move("start=\(other.start.formatted(.iso8601))")
            #expect(over.status == .conflict)
            #expect(try await practice.workflow.booking(booking.id).start == Instants.utc("\(day)T06:15:00Z"))
        }
    }

    @Test func anAdminChangesTheirPasswordAndInvitesAnotherWhoSetsTheirsOnce() async throws {
        // The client area's harness: the same router, with a development mailbox for the invitation.
        let harness = try await ClientAreaTests.harness()
        _ = try await harness.practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        try await harness.app.test(.router) { client in
            func signIn(_ email: String, _ password: String) async throws -> TestResponse {
                try await client.postForm(
                    "/admin/sign-in", from: "/admin", fields: ["email": email, "password": password])
            }
            let signedIn = try await signIn("camille@cabinet.example", "correct horse battery")
            let session = try #require(
                signedIn.headers[values: .setCookie].first { $0.hasPrefix("rendezvous_admin=") }?.split(separator: ";")
                    .first.map(String.init))
            let page = try await client.open("/admin/account", session: session)
            func post(_ path: String, _ fields: String) async throws -> TestResponse {
                try await page.post(path, fields, through: client)
            }
            // The password changes only with the current one.
            #expect(try await post("/admin/password", "current=wrong&new=staple+battery+horse").status == .unauthorized)
            let changed = try await post("/admin/password", "current=correct+horse+battery&new=staple+battery+horse")
            #expect(String(buffer: changed.body).contains("Your password is changed."))
            #expect(try await signIn("camille@cabinet.example", "correct horse battery").status == .unauthorized)
            #expect(try await signIn("camille@cabinet.example", "staple battery horse").status == .seeOther)
            // The invitation: an account no password opens, and an emailed link that sets one, once.
            let invited = try await post("/admin/invite", "email=noor%40cabinet.example")
            #expect(String(buffer: invited.body).contains("The invitation is on its way to noor@cabinet.example."))
            #expect(try await signIn("noor@cabinet.example", "anything at all").status == .unauthorized)
            let message = try #require(
                try await harness.mailbox.messages().first { $0.subject.hasPrefix("You are invited") })
            let link = try #require(
                message.text.firstMatch(of: #/http://rendezvous\.test(/admin/invitation\?token=\S+)/#))
            let path = String(link.output.1)
            let opened = try await client.execute(uri: path, method: .get)
            #expect(String(buffer: opened.body).contains("For noor@cabinet.example."))
            let set = try await client.postForm(path, from: path, fields: ["new": "noor is welcome here"])
            #expect(set.status == .seeOther)
            #expect(set.headers[values: .setCookie].contains { $0.hasPrefix("rendezvous_admin=") })
            #expect(try await signIn("noor@cabinet.example", "noor is welcome here").status == .seeOther)
            #expect(try await client.execute(uri: path, method: .get).status == .gone)
        }
    }
}
