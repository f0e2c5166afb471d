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

/// A staff member's hours as admins type them, and the profile page whose changes show at once in the slots.
@Suite struct StaffProfileTests {
    @Test func hoursAreReadAndWrittenAsAdminsTypeThem() throws {
        let intervals = try ScheduleText.intervals("09:00-12:00 cabinet, 13:00–17:30 home,14:00-15:00", field: "monday")
        #expect(intervals.map(\.location) == [.office, .home, .office])
        #expect(
            ScheduleText.format(intervals, in: .en) == "09:00-12:00 office, 13:00-17:30 home, 14:00-15:00 office")
        // A French page writes the places in French, and reads them back the same.
        #expect(
            ScheduleText.format(intervals, in: .fr) == "09:00-12:00 cabinet, 13:00-17:30 domicile, 14:00-15:00 cabinet")
        let everywhere = try ScheduleText.intervals(
            "08:00-09:00 office, 10:00-11:00 home, 12:00-13:00 online", field: "x")
        for language in Language.allCases {
            let text = ScheduleText.format(everywhere, in: language)
            #expect(try ScheduleText.intervals(text, field: "monday") == everywhere, "\(language): \(text)")
        }
        #expect(ScheduleText.format(everywhere, in: .fr).hasSuffix("12:00-13:00 en ligne"))
        #expect(try ScheduleText.intervals("", field: "monday").isEmpty)
        // Each mistake says what was typed, for the page to repeat it in the admin's language.
        #expect(throws: ScheduleText.Problem(kind: .hours, field: "monday", values: ["text": "9-12"])) {
            try ScheduleText.intervals("9-12", field: "monday")
        }
        #expect(throws: ScheduleText.Problem(kind: .place, field: "monday", values: ["text": "garden"])) {
            try ScheduleText.intervals("09:00-12:00 garden", field: "monday")
        }
        #expect(
            throws: ScheduleText.Problem(kind: .order, field: "monday", values: ["start": "12:00", "end": "09:00"])
        ) { try ScheduleText.intervals("12:00-09:00", field: "monday") }
        let off = try ScheduleText.daysOff("2026-12-24\n2026-12-28 2027-01-02")
        #expect(ScheduleText.format(off) == "2026-12-24\n2026-12-28 2027-01-02")
        #expect(
            throws: ScheduleText.Problem(
                kind: .dayOffOrder, field: "daysOff", values: ["first": "2027-01-02", "last": "2026-12-28"])
        ) { try ScheduleText.daysOff("2027-01-02 2026-12-28") }
        #expect(throws: ScheduleText.Problem(kind: .dayOff, field: "daysOff", values: ["text": "24/12"])) {
            try ScheduleText.daysOff("24/12")
        }
        #expect(
            throws: ScheduleText.Problem(
                kind: .specialDayDate, field: "specialDays", values: ["text": "31/12 09:00-12:00"])
        ) { try ScheduleText.specialDays("31/12 09:00-12:00") }
        let special = try ScheduleText.specialDays("2026-12-31 09:00-12:00 home\n2027-01-05")
        #expect(special[1].intervals.isEmpty)
        #expect(ScheduleText.format(special, in: .en) == "2026-12-31 09:00-12:00 home\n2027-01-05")
        #expect(ScheduleText.format(special, in: .fr) == "2026-12-31 09:00-12:00 domicile\n2027-01-05")
    }

    @Test func savedHoursShowAtOnceInThePublicSlots() async throws {
        let practice = try await TestPractice(now: Instants.mondayMorning)
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        try await pagesApp(practice).test(.router) { client in
            let session = try await client.adminSession("camille@cabinet.example", "correct horse battery")
            let page = try await client.open("/admin/staff/stf_camille", session: session)
            #expect(page.html.contains("value=\"09:00-17:00 office\""))
            func save(_ fields: String) async throws -> TestResponse {
                try await page.post(
                    "/admin/staff/stf_camille", "name=Camille+Martin&buffer=0&service=svc_chat_first&\(fields)",
                    through: client)
            }
            // In French, the hours are written back in French words, which save as they are.
            let french = try await client.open("/admin/staff/stf_camille?lang=fr", session: session)
            #expect(french.html.contains("value=\"09:00-17:00 cabinet\""))
            #expect(!french.html.contains("value=\"09:00-17:00 office\""))
            let asShown = try await french.post(
                "/admin/staff/stf_camille?lang=fr",
                "name=Camille+Martin&buffer=0&service=svc_chat_first&monday=09%3A00-17%3A00+cabinet", through: client)
            #expect(asShown.status == .seeOther)
            #expect(
                try await practice.workflow.practice.schedules().first?.weeklyHours[.monday]?.map(\.location) == [
                    .office
                ])
            // A typo is shown, and nothing changes.
            let typo = try await save("tuesday=14h-16h")
            #expect(typo.status == .unprocessableContent)
            #expect(String(buffer: typo.body).contains("Tuesday: write hours as 09:00-12:00, not “14h-16h”."))
            // On the French page, the same mistakes are told in French, what was typed shown as text.
            func saveInFrench(_ fields: String, buffer: String = "0") async throws -> String {
                let response = try await french.post(
                    "/admin/staff/stf_camille?lang=fr",
                    "name=Camille+Martin&buffer=\(buffer)&service=svc_chat_first&\(fields)", through: client)
                #expect(response.status == .unprocessableContent)
                return String(buffer: response.body)
            }
            let markup = try await saveInFrench("tuesday=%3Cb%3E14h%3C%2Fb%3E")
            #expect(
                markup.contains(
                    "Mardi\u{00A0}: écrivez les heures sous la forme 09:00-12:00, et non «\u{00A0}&lt;b&gt;14h&lt;"))
            #expect(!markup.contains("<b>14h"))
            #expect(
                try await saveInFrench("tuesday=09%3A00-12%3A00+jardin").contains(
                    "Mardi\u{00A0}: le lieu est cabinet, domicile ou en ligne, et non «\u{00A0}jardin\u{00A0}»."))
            #expect(
                try await saveInFrench("daysOff=2027-01-02+2026-12-28").contains(
                    "Jours de congé\u{00A0}: le 2026-12-28 est avant le 2027-01-02"))
            #expect(try await saveInFrench("", buffer: "600").contains("Le battement est un nombre entier de minutes"))
            #expect(try await practice.workflow.practice.schedules().first?.bufferMinutes == 0)
            // Tuesday afternoons from home, Wednesday off: the slots follow at once.
            let saved = try await save(
                "tuesday=14%3A00-16%3A00+home&daysOff=2026-12-02&email=camille%40cabinet.example&phone=%2B33+6+00")
            #expect(saved.status == .seeOther)
            let member = try #require(try await practice.workflow.practice.staff().first)
            #expect(member.email?.value == "camille@cabinet.example" && member.phone == "+33 6 00")
            // A bad contact changes nothing at all.
            let badContact = try await save("tuesday=09%3A00-10%3A00&email=not-an-email")
            #expect(badContact.status == .unprocessableContent)
            #expect(
                try await practice.workflow.practice.schedules().first?.weeklyHours[.tuesday]?.first?.location == .home)
            let tuesday = try #require(LocalDate(year: 2026, month: 12, day: 1))
            let slots = try await practice.workflow.clients.availableSlots(
                serviceIDs: [Service.chatFirst.id], dates: try DateRange(first: tuesday, last: tuesday.adding(days: 1)),
                timeZone: "Europe/Paris")
            #expect(!slots.isEmpty)
            #expect(slots.allSatisfy { $0.location == .home })
            #expect(slots.first?.start == Instants.utc("2026-12-01T13:00:00Z"))
            #expect(!slots.contains { $0.start >= Instants.utc("2026-12-02T00:00:00Z") })
            // It no longer takes the call services.
            let calls = try await practice.workflow.clients.availableSlots(
                serviceIDs: [Service.callFirst.id], dates: try DateRange(first: tuesday, last: tuesday),
                timeZone: "Europe/Paris")
            #expect(calls.isEmpty)
        }
    }
}
