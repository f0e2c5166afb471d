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

/// The catalog and the rules from the dashboard: edits are checked, saved, and refused with what is wrong.
@Suite struct AdminPracticeTests {
    @Test func pricesAreReadAsPeopleWriteThem() {
        #expect(AdminPages.minorUnits("45") == 4500)
        #expect(AdminPages.minorUnits("45,5") == 4550)
        #expect(AdminPages.minorUnits(" 45.05 ") == 4505)
        #expect(AdminPages.minorUnits("0") == 0)
        for bad in ["", "-1", "4.555", "45€", "1e3", "1000000"] { #expect(AdminPages.minorUnits(bad) == nil, "\(bad)") }
        #expect(AdminPages.decimal(4505, in: .en) == "45.05")
        #expect(AdminPages.decimal(4505, in: .fr) == "45,05")
        #expect(AdminPages.minorUnits(AdminPages.decimal(7, in: .fr)) == 7)
    }

    /// Every event a booking's history records has words in both languages: the state machine's events, and the
    /// steps the workflow writes itself (`HistoryEntry.Step`).
    @Test func everyHistoryEventHasItsWords() throws {
        let words = try WordCatalog.bundled()
        let events = BookingEventKind.allCases.map(\.rawValue) + HistoryEntry.Step.allCases.map(\.rawValue)
        for event in events {
            for language in Language.allCases {
                let key = "history.event.\(event)"
                #expect(words.text(key, language) != key, "\(event) in \(language)")
            }
        }
    }

    /// Every rule with a range has a label in both languages: the page names it when a number is out of range.
    @Test func everyRangedRuleHasItsLabel() throws {
        let words = try WordCatalog.bundled()
        for field in BookingRules.ranges.keys {
            for language in Language.allCases {
                #expect(words.text("rules.\(field)", language) != "rules.\(field)", "\(field) in \(language)")
            }
        }
    }

    @Test func servicesAndRulesAreEditedFromThePage() async throws {
        let practice = try await TestPractice(now: Date())
        _ = try await practice.workflow.accounts.createAdmin(
            email: "camille@cabinet.example",
            passwordHash: try await AdminPasswords(cost: 4).hash("correct horse battery"))
        try await pagesApp(practice).test(.router) { client in
            let session = try await client.adminSession("camille@cabinet.example", "correct horse battery")
            let page = try await client.open("/admin/practice", session: session)
            #expect(page.html.contains("value=\"45.00\""))
            func post(_ path: String, _ fields: String) async throws -> TestResponse {
                try await page.post(path, fields, through: client)
            }
            // An edit of the first chat session, a new one, and a price nobody can read.
            let edited = try await post(
                "/admin/practice/services",
                "id=svc_chat_first&name=Premier+chat&category=chat&kind=initial&duration=50&price=50%2C00&active=on")
            #expect(edited.status == .seeOther)
            let first = try #require(
                try await practice.workflow.practice.services().first { $0.id == Service.chatFirst.id })
            #expect(first.name == "Premier chat" && first.durationMinutes == 50 && first.price.minorUnits == 5000)
            let added = try await post(
                "/admin/practice/services", "id=new&name=Group+call&category=call&kind=initial&duration=90&price=20")
            #expect(added.status == .seeOther)
            let group = try #require(try await practice.workflow.practice.services().first { $0.name == "Group call" })
            #expect(group.isActive == false && group.price.minorUnits == 2000)
            let bad = try await post(
                "/admin/practice/services", "id=new&name=X&category=call&kind=initial&duration=90&price=twenty")
            #expect(bad.status == .unprocessableContent)
            #expect(String(buffer: bad.body).contains("Write the price as 45 or 45.00; it cannot be negative."))
            // On the French page, a mistake is told in French, in the admin's words rather than the field's key.
            let french = try await client.open("/admin/practice?lang=fr", session: session)
            #expect(french.html.contains("value=\"50,00\""))
            let badDuration = try await french.post(
                "/admin/practice/services?lang=fr",
                "id=new&name=X&category=call&kind=initial&duration=1&price=20", through: client)
            #expect(badDuration.status == .unprocessableContent)
            let told = String(buffer: badDuration.body)
            #expect(told.contains("La durée est un nombre entier de minutes, de 5 à 720."))
            #expect(!told.contains("durationMinutes"))
            // The rules: saved when sane, refused with the field otherwise.
            let rules =
                "approvalMode=automatic&clientPaymentWindowMinutes=45&adminPaymentWindowMinutes=2880"
                + "&minimumLeadTimeMinutes=60&maximumAdvanceDays=90&maxBookingsPerClientPerDay=&maxBookingsPerClientPerWeek=3"
                + "&allowedEmailPattern=&clientCancellationNoticeHours=12"
            #expect(try await post("/admin/practice/rules", rules + "&slotStepMinutes=30").status == .seeOther)
            let saved = try await practice.workflow.practice.rules()
            #expect(saved.approvalMode == .automatic && saved.slotStepMinutes == 30)
            #expect(saved.maxBookingsPerClientPerDay == nil && saved.maxBookingsPerClientPerWeek == 3)
            #expect(saved.onlyExistingClients == false)
            let refused = try await post("/admin/practice/rules", rules + "&slotStepMinutes=1")
            #expect(refused.status == .unprocessableContent)
            #expect(
                String(buffer: refused.body).contains(
                    "Minutes between offered start times: a whole number from 5 to 240."))
            let frenchRules = try await french.post(
                "/admin/practice/rules?lang=fr", rules + "&slotStepMinutes=abc", through: client)
            #expect(frenchRules.status == .unprocessableContent)
            #expect(
                String(buffer: frenchRules.body).contains(
                    "Minutes entre deux horaires proposés\u{00A0}: un nombre entier de 5 à 240."))
            #expect(try await practice.workflow.practice.rules().slotStepMinutes == 30)
        }
    }
}
