import Testing

@testable import Notifications

@Suite("SMTP data")
struct DotStuffingTests {
    @Test func linesStartingWithADotAreDoubledAndTheTextEndsWithCRLF() {
        #expect(
            SMTPTransport.dotStuffed(".first\r\nsecond\r\n.third\r\n..fourth")
                == "..first\r\nsecond\r\n..third\r\n...fourth\r\n")
        #expect(SMTPTransport.dotStuffed("plain\r\n") == "plain\r\n")
        // The end-of-data marker cannot appear inside a message.
        #expect(!SMTPTransport.dotStuffed("a\r\n.\r\nb\r\n").contains("\r\n.\r\n"))
    }
}
