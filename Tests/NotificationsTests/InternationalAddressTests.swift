import Foundation
import Testing

@testable import Notifications

/// International domains go out in their ASCII form (RFC 3492 Punycode with the `xn--` prefix).
@Suite struct InternationalAddressTests {
    @Test(arguments: [
        ("bücher.example", "xn--bcher-kva.example"),
        ("MÜNCHEN.de", "xn--mnchen-3ya.de"),
        ("例え.jp", "xn--r8jz45g.jp"),
        ("ex.example", "ex.example"),
    ])
    func domainsBecomeASCII(_ domain: String, _ ascii: String) {
        #expect(IDNA.asciiDomain(domain) == ascii)
    }

    @Test func rfc3492SampleStrings() {
        // RFC 3492, section 7.1: (A) Arabic (Egyptian) and (B) Chinese (simplified).
        #expect(
            Punycode.encode(
                "\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}"
            )
                == "egbpdaj6bu4bxfgehfvwxn")
        #expect(Punycode.encode("他们为什么不说中文") == "ihqwcrb4cv8a8dqg056pqjye")
    }

    @Test func headersAndEnvelopeUseTheASCIIDomain() {
        let mailbox = Mailbox(name: "Anna Müller", address: "anna@bücher.example")
        #expect(mailbox.wireAddress == "anna@xn--bcher-kva.example")
        #expect(mailbox.headerValue.hasSuffix("<anna@xn--bcher-kva.example>"))
        #expect(mailbox.headerValue.unicodeScalars.allSatisfy { $0.isASCII })
        // People read it as written.
        #expect(mailbox.displayText == "Anna Müller <anna@bücher.example>")
    }
}
