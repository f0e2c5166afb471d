import Booking
import Foundation
import Notifications
import TestSupport
import Testing
import Workflow

/// Emails speak the client's language (theirs, else the practice's); admins read the practice's.
@Suite struct FrenchEmailTests {
    let composer = try! EmailComposer(branding: branding)

    @Test func aFrenchClientReadsFrenchWithFrenchDatesAndPrices() throws {
        var client = Client.sample()
        client.language = .fr
        let email = try self.composer.compose(
            .client(.bookingReceived), id: "msg_fr", booking: sampleBooking(), client: client,
            timeZone: "Europe/Paris", now: Instants.mondayMorning)
        #expect(email.subject.hasPrefix("Réservation reçue"))
        #expect(email.text.contains("Bonjour Zoë"))
        #expect(email.text.contains("mardi 1 décembre 2026"))
        #expect(email.text.contains("45,00\u{A0}€"))  // French puts a no-break space before the sign
        #expect(email.text.contains("Payer 45,00\u{A0}€\u{A0}: "))
        #expect(email.html.contains(#"<html lang="fr">"#))
        #expect(!email.text.contains("Hello"))
        // The client's request is shown back to them.
        var noted = sampleBooking()
        noted.clientNote = "Parler de <mon> projet"
        let withNote = try self.composer.compose(
            .client(.bookingReceived), id: "msg_fr2", booking: noted, client: client, timeZone: "Europe/Paris",
            now: Instants.mondayMorning)
        #expect(withNote.text.contains("Votre demande : Parler de <mon> projet"))
        #expect(withNote.html.contains("Parler de &lt;mon&gt; projet"))
    }

    @Test func aFrenchClientsCalendarFileAndLinksSpeakFrench() throws {
        var client = Client.sample()
        client.language = .fr
        let email = try self.composer.compose(
            .client(.approved), id: "msg_fr_ics", booking: sampleBooking(), client: client,
            timeZone: "Europe/Paris", now: Instants.mondayMorning)
        let ics = String(decoding: try #require(email.attachments.first).content, as: UTF8.self)
        let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "")
        #expect(unfolded.contains("DESCRIPTION:First chat session avec Cabinet <Martin>."))
        #expect(unfolded.contains("Un chat : rejoignez-le depuis la page de votre rendez-vous"))
        #expect(unfolded.contains("LOCATION:Chat en ligne"))
        #expect(!unfolded.contains("with Cabinet"))
        // The links to calendar sites carry the same words, and the Apple link asks for the French file.
        #expect(email.text.contains(".ics?lang=fr"))
        let english = try self.composer.compose(
            .client(.approved), id: "msg_en_ics", booking: sampleBooking(), client: .sample(),
            timeZone: "Europe/Paris", now: Instants.mondayMorning)
        let englishICS = String(decoding: try #require(english.attachments.first).content, as: UTF8.self)
        #expect(englishICS.replacingOccurrences(of: "\r\n ", with: "").contains("LOCATION:Online chat"))
    }

    @Test func withoutAChoiceTheClientReadsThePracticesLanguageAndAdminsToo() throws {
        var french = branding
        french.language = .fr
        let composer = try EmailComposer(branding: french)
        let client = try composer.compose(
            .client(.approved), id: "msg_1", booking: sampleBooking(), client: .sample(), timeZone: "Europe/Paris",
            now: Instants.mondayMorning)
        #expect(client.subject.hasPrefix("Confirmé : votre chat du mardi 1 décembre 2026"))
        var english = Client.sample()
        english.language = .en
        let chosen = try composer.compose(
            .client(.approved), id: "msg_2", booking: sampleBooking(), client: english, timeZone: "Europe/Paris",
            now: Instants.mondayMorning)
        #expect(chosen.subject.hasPrefix("Confirmed: your Chat on Tuesday 1 December 2026"))
        let admins = try composer.compose(
            .admins(.awaitingApproval), id: "msg_3", booking: sampleBooking(), client: english,
            timeZone: "Europe/Paris", recipients: [Mailbox(address: "admin@cabinet.example")],
            now: Instants.mondayMorning)
        #expect(admins.subject.hasPrefix("À valider"))
    }

    /// As on the pages: a plain space before `:`, `;`, `?` or `!` would let a mail reader start a line with the sign.
    @Test func frenchEmailsKeepTheirPunctuationWithTheWordBeforeIt() throws {
        let folder = Fixtures.root.appendingPathComponent("Sources/Notifications/Templates/fr")
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        var read = 0
        while let file = enumerator?.nextObject() as? URL {
            guard ["mustache", "json"].contains(file.pathExtension) else { continue }
            read += 1
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            // Template comments are for the next developer, not the reader.
            for line in lines where !line.hasPrefix("{{!") {
                #expect(!line.contains(/\ [:;?!]/), "\(file.lastPathComponent): \(line)")
            }
        }
        #expect(read > 20)
    }

    @Test func everyEmailExistsInBothLanguagesWithTheSameWords() throws {
        let root = Fixtures.root.appendingPathComponent("Sources/Notifications/Templates")
        func files(_ language: Language) throws -> Set<String> {
            let folder = root.appendingPathComponent(language.rawValue)
            let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
            var names: Set<String> = []
            while let file = enumerator?.nextObject() as? URL {
                guard !file.hasDirectoryPath else { continue }
                names.insert(String(file.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count)))
            }
            return names
        }
        #expect(try files(.en) == files(.fr))
        #expect(try files(.en).contains("/client/approved.mustache"))
        func keys(_ language: Language) throws -> Set<String> {
            let data = try Data(contentsOf: root.appendingPathComponent("\(language.rawValue)/words.json"))
            return Set(try JSONDecoder().decode([String: String].self, from: data).keys)
        }
        #expect(try keys(.en) == keys(.fr))
    }
}

/// An admin's note reaches the client only when the admin chose to show it.
@Suite struct NoteForClientTests {
    @Test func aNoteShownToTheClientIsInTheirEmailAndOneKeptPrivateIsNot() async throws {
        let practice = try await TestPractice()
        let worker = EmailOutboxWorker(
            workflow: practice.workflow, composer: try EmailComposer(branding: branding),
            transport: try DevelopmentMailbox(directory: try TemporaryDirectory.make()))
        let admin = AdminID(rawValue: "adm_1")
        func approvedEmail(_ shown: Bool, _ email: String, at start: Date) async throws -> EmailMessage {
            let booking = try await practice.workflow.clients.book(practice.request(at: start, email: email)).booking
            _ = try await practice.workflow.payments.applyPaymentEvent(practice.paidEvent(for: booking))
            _ = try await practice.workflow.admin.approve(
                booking.id, AdminDecision(admin: admin, note: "Bring your notes", noteShownToClient: shown))
            let row = try #require(
                try await practice.store.read { try await $0.outbox(of: booking.id) }.last {
                    $0.effect == .emailClient(.approved)
                })
            return try #require(try await worker.email(for: row))
        }
        let shown = try await approvedEmail(true, "shown@example.com", at: Instants.tuesdayTen)
        #expect(shown.text.contains("A note from Cabinet <Martin>: Bring your notes"))
        let kept = try await approvedEmail(
            false, "kept@example.com", at: Instants.tuesdayTen.addingTimeInterval(3 * 3600))
        #expect(!kept.text.contains("Bring your notes"))
    }
}
