import Foundation
import Payments
import TestSupport
import Testing

/// The event reader checks the whole body against JSON's grammar while it keeps only the members an event needs: a
/// value it skips must still be valid JSON, and the members it keeps are read exactly, escapes and all.
@Suite struct EventReaderTests {
    /// A paid checkout event with `extra` as a member it does not read, in the envelope and in the object.
    static func event(id: String = #""evt_1""#, extra: String) -> [UInt8] {
        let json = """
            {"id":\(id),"type":"checkout.session.completed","created":1795000000,"extra":\(extra),\
            "data":{"object":{"id":"cs_1","extra":\(extra),"payment_status":"paid","amount_total":4500,\
            "currency":"eur","client_reference_id":"bk_1","payment_intent":"pi_1"}}}
            """
        return Array(json.utf8)
    }

    @Test(arguments: [
        "0", "-0", "12", "-12.50", "1.5e-3", "1E+2", "2e10", "123456789012345678901234567890",
        #""""#, #""plain""#, #""a\"b\\c\/d\b\f\n\r\t""#, #""\u00e9\ud83d\ude00\u0000""#, "\"é😀 —\"",
        "[]", "{}", "[1,[2,{\"a\":null}],\"x\"]", "true", "false", "null",
        " \n\t{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \r\n",
        String(repeating: "[", count: 500) + String(repeating: "]", count: 500),
    ])
    func validValuesItDoesNotReadAreSkipped(value: String) throws {
        let event = try ProviderEvent.decodeStripe(Self.event(extra: value))
        #expect(event.id == "evt_1")
        #expect(event.bookingReference == "bk_1")
    }

    @Test(arguments: [
        "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "tru", "nul", "True", "'a'",
        "[1,]", "[1 2]", "[", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":[}", "{\"a\"}", "{,}",
        "\"\u{01}\"", "\"tab\there\"", #""\q""#, #""\u12""#, #""\u12G4""#, #""\ud83d""#, #""\ude00""#,
        #""\ud83d\u0041""#, "\"unterminated",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func invalidValuesAreRefusedEvenWhereNothingIsRead(value: String) {
        #expect(throws: StripeEventDecodingError.self) { try ProviderEvent.decodeStripe(Self.event(extra: value)) }
    }

    @Test func invalidUTF8IsRefusedAndNothingButBlanksMayFollowTheEvent() throws {
        for bytes: [UInt8] in [[0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xE2, 0x82]] {
            var body = Self.event(extra: "\"mark\"")
            // Inside the first skipped string: "mark" becomes "m<bytes>ark".
            let mark = try #require(body.firstRange(of: Array("\"mark".utf8)))
            body.insert(contentsOf: bytes, at: mark.lowerBound + 2)
            #expect(throws: StripeEventDecodingError.self) { try ProviderEvent.decodeStripe(body) }
        }
        #expect(throws: StripeEventDecodingError.self) {
            try ProviderEvent.decodeStripe(Self.event(extra: "1") + Array(" {}".utf8))
        }
        #expect(throws: Never.self) { try ProviderEvent.decodeStripe(Self.event(extra: "1") + Array(" \n".utf8)) }
    }

    @Test func readMembersAreUnescapedAsJSONDecoderWould() throws {
        let id = #""evt_\u00e9\ud83d\ude00\n\"\/""#
        let expected = try JSONDecoder().decode(String.self, from: Data(id.utf8))
        #expect(try ProviderEvent.decodeStripe(Self.event(id: id, extra: "null")).id == expected)
        #expect(expected == "evt_é😀\n\"/")
        // A name spelled with escapes is the same name.
        let escapedName = Array(
            #"{"\u0069d":"evt_2","type":"customer.created","created":1,"data":{"object":{"id":"cus_1"}}}"#.utf8)
        #expect(try ProviderEvent.decodeStripe(escapedName).id == "evt_2")
    }

    @Test func membersOfAnotherShapeAreLeftOut() throws {
        // Metadata that is not all strings is left out; the reference comes from client_reference_id alone.
        let odd = Array(
            #"""
            {"id":"evt_3","type":"checkout.session.completed","created":1,"data":{"object":{"id":"cs_1",\#
            "payment_status":"paid","amount_total":4500,"currency":"eur","metadata":{"booking_id":7},\#
            "payment_intent":{"id":"pi_9","object":"payment_intent","amount":4500}}}}
            """#.utf8)
        let event = try ProviderEvent.decodeStripe(odd)
        #expect(event.bookingReference == nil)
        #expect(
            event.kind
                == .paymentSucceeded(
                    ProviderPayment(
                        amountMinorUnits: 4500, currency: "EUR", checkoutSessionID: "cs_1", paymentIntentID: "pi_9")))
        // An amount that is not an integer is an amount missing.
        let fractional = Array(
            #"""
            {"id":"evt_4","type":"checkout.session.completed","created":1,"data":{"object":{"id":"cs_1",\#
            "payment_status":"paid","amount_total":45.5,"currency":"eur"}}}
            """#.utf8)
        #expect(
            throws: StripeEventDecodingError.missingField(
                eventType: "checkout.session.completed", field: "amount_total")
        ) { try ProviderEvent.decodeStripe(fractional) }
    }

    @Test(arguments: [
        #"[]"#, #""evt""#, #"{"type":"x","created":1,"data":{"object":{}}}"#,
        #"{"id":"evt_1","created":1,"data":{"object":{}}}"#, #"{"id":"evt_1","type":"x","data":{"object":{}}}"#,
        #"{"id":"evt_1","type":"x","created":1}"#, #"{"id":"evt_1","type":"x","created":1,"data":{"object":[]}}"#,
        #"{"id":7,"type":"x","created":1,"data":{"object":{}}}"#,
        #"{"id":"evt_1","type":"x","created":1.5,"data":{"object":{}}}"#,
        #"{"id":"evt_1","type":"x","created":99999999999999999999,"data":{"object":{}}}"#,
    ])
    func anEnvelopeWithoutItsMembersIsNotAnEvent(body: String) {
        #expect(throws: StripeEventDecodingError.self) { try ProviderEvent.decodeStripe(Array(body.utf8)) }
    }

    /// A body that breaks JSON's grammar says so, even where the event's shape is also wrong before that point.
    @Test(arguments: [
        #"{"id":"evt_1"} {"#, #"{"id":"evt_1","created":1.5,"x":[1,]}"#, #"{"id":"evt_1","data":{"object":{}},"x":01}"#,
    ])
    func grammarComesBeforeShape(body: String) throws {
        do {
            _ = try ProviderEvent.decodeStripe(Array(body.utf8))
            Issue.record("\(body) was read")
        } catch .notAnEvent(let detail) {
            #expect(detail.contains(" at byte "), "\(detail)")
        } catch {
            Issue.record("\(body): \(error)")
        }
    }

    @Test func everySamplePayloadReadsTheSameCompactOrPretty() throws {
        let folder = Fixtures.root.appendingPathComponent("Webhooks")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(names.count >= 7)
        for name in names {
            let pretty = try Fixtures.webhook(name)
            let compact = try JSONSerialization.data(
                withJSONObject: JSONSerialization.jsonObject(with: Data(pretty)), options: [.sortedKeys])
            #expect(try ProviderEvent.decodeStripe(pretty) == ProviderEvent.decodeStripe(Array(compact)), "\(name)")
        }
    }
}
