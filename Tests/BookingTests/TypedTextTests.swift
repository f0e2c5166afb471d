import Booking
import Foundation
import Testing

/// What people type: one normalization of emails, and names and notes without controls or direction overrides.
@Suite struct TypedTextTests {
    @Test(arguments: [
        "admin@practice.example\n", "\nadmin@practice.example", "admin@practice.example\r\n",
        "admin@practice.example\u{2028}", "admin@practice.example\u{0085}", "admin@practice.example\u{000B}",
        "\u{200E}admin@practice.example", " admin@PRACTICE.example\t",
    ])
    func everySpellingOfAnEmailIsOneAddress(_ spelling: String) throws {
        let address = try EmailAddress(spelling)
        #expect(address.value == "admin@practice.example")
        #expect(address == (try EmailAddress("admin@practice.example")))
    }

    @Test func theDomainIsLowerCasedAndTheTextIsNFC() throws {
        // "é" typed as e + combining acute, and as one scalar: one address.
        let decomposed = try EmailAddress("zoe@caf\u{0065}\u{0301}.example")
        let composed = try EmailAddress("zoe@CAF\u{00C9}.example")
        #expect(decomposed.value == "zoe@caf\u{00E9}.example")
        #expect(decomposed == composed)
        // The local part keeps its case as typed; matching ignores it.
        #expect(try EmailAddress("Zoe@Example.COM").value == "Zoe@example.com")
    }

    @Test(arguments: ["ad\u{0}min@practice.example", "ad\nmin@practice.example", "admin@prac\u{202E}tice.example"])
    func controlsInsideAnEmailAreRefused(_ raw: String) {
        #expect(throws: BookingError.self) { try EmailAddress(raw) }
    }

    @Test(arguments: [
        "Eve\r\nBcc: attacker@example.com", "Eve\nBcc", "Eve\u{0}", "Eve\u{202E}gnp.exe", "Eve\u{2066}x\u{2069}",
        "Eve\u{2028}Bcc", "Eve\tTab",
    ])
    func namesRefuseLineBreaksControlsAndOverrides(_ name: String) {
        #expect(
            throws: BookingError.invalidField(
                field: "name", reason: "must not contain line breaks, control characters or direction overrides")
        ) {
            try Client.validatedName(name)
        }
    }

    @Test func namesInEveryScriptPass() throws {
        for name in ["Zoë Dupré", "محمد", "李小龍", "Ἀθηνᾶ", "O'Brien-Smith", "👩🏽‍⚕️ Dr Ana"] {
            #expect(try Client.validatedName(name) == name)
        }
    }

    @Test func notesKeepTheirLineBreaksButNoOtherControls() throws {
        #expect(
            try TypedText.checked("First line\r\nSecond\tline", field: "note", multiline: true)
                == "First line\nSecond\tline")
        #expect(throws: BookingError.self) { try TypedText.checked("Bell\u{7}", field: "note", multiline: true) }
        #expect(throws: BookingError.self) { try TypedText.checked("\u{202E}reversed", field: "note", multiline: true) }
    }

    @Test func subjectsLoseControlsAndOverrides() {
        #expect(TypedText.singleLine("To approve: Eve\r\nBcc: x\u{202E}") == "To approve: Eve  Bcc: x")
    }
}
