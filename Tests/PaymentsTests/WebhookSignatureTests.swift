import Foundation
import Payments
import TestSupport
import Testing

/// Our verdicts against the official stripe-python 16.1.0 verdicts on Stripe's signature cases.
@Suite struct WebhookSignatureTests {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var secret: String
        var payload: String
        var header: String
        var now: Int64
        var stripePython: String
        var testDescription: String { self.name }

        enum CodingKeys: String, CodingKey {
            case name, secret, payload, header, now
            case stripePython = "stripe_python"
        }
    }

    static let vectors: [Vector] = {
        struct File: Decodable { var cases: [Vector] }
        let data = try! Data(contentsOf: Fixtures.url("stripe/signature-vectors.json"))
        return try! JSONDecoder().decode(File.self, from: data).cases
    }()

    /// Where we are deliberately stricter than the SDK: a signature dated an hour ahead is refused.
    static let stricterThanTheSDK: Set<String> = ["future_3600s"]

    @Test(arguments: vectors)
    func verdictMatchesTheOfficialSDK(vector: Vector) {
        let accepted: Bool
        do {
            try StripeWebhookSignature.verify(
                payload: Array(vector.payload.utf8), header: vector.header, secrets: [vector.secret],
                now: Date(timeIntervalSince1970: TimeInterval(vector.now)))
            accepted = true
        } catch {
            accepted = false
        }
        let sdkAccepted = vector.stripePython == "accept"
        if Self.stricterThanTheSDK.contains(vector.name) {
            #expect(sdkAccepted && !accepted)
        } else {
            #expect(accepted == sdkAccepted)
        }
    }

    @Test func theVectorsCoverTheCasesWeRelyOn() {
        let names = Set(Self.vectors.map(\.name))
        for needed in [
            "valid", "rotation_second_v1_matches", "tampered_payload", "reserialized_payload", "wrong_secret",
            "stale_301s",
            "future_3600s", "empty_header", "garbage_header", "only_v0", "uppercase_hex",
        ] {
            #expect(names.contains(needed), "\(needed)")
        }
    }

    func vector(_ name: String) -> Vector { Self.vectors.first { $0.name == name }! }

    func verify(_ vector: Vector, header: String?? = nil, secrets: [String]? = nil) throws(WebhookSignatureError) {
        try StripeWebhookSignature.verify(
            payload: Array(vector.payload.utf8), header: header ?? vector.header, secrets: secrets ?? [vector.secret],
            now: Date(timeIntervalSince1970: TimeInterval(vector.now)))
    }

    @Test(arguments: [Int64.min, Int64.min + 1, -1, Int64.max, 253_402_300_800])
    func aCorrectlySignedTimestampOutOfRangeIsMalformedNotACrash(_ timestamp: Int64) {
        // Given a header whose signature matches, signed at an absurd time (before the fix, the age overflowed).
        let payload = Array(#"{"id":"evt_1"}"#.utf8)
        let signature = StripeWebhookSignature.signature(payload: payload, secret: "whsec_x", timestamp: timestamp)
        #expect(throws: WebhookSignatureError.malformedHeader) {
            try StripeWebhookSignature.verify(
                payload: payload, header: "t=\(timestamp),v1=\(signature)", secrets: ["whsec_x"], now: Date())
        }
    }

    @Test func eachRefusalSaysWhy() {
        #expect(throws: WebhookSignatureError.missingHeader) {
            try self.verify(self.vector("valid"), header: .some(nil))
        }
        #expect(throws: WebhookSignatureError.missingHeader) { try self.verify(self.vector("empty_header")) }
        #expect(throws: WebhookSignatureError.malformedHeader) { try self.verify(self.vector("garbage_header")) }
        #expect(throws: WebhookSignatureError.malformedHeader) { try self.verify(self.vector("non_numeric_timestamp")) }
        #expect(throws: WebhookSignatureError.malformedHeader) { try self.verify(self.vector("missing_timestamp")) }
        #expect(throws: WebhookSignatureError.noV1Signature) { try self.verify(self.vector("only_v0")) }
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try self.verify(self.vector("tampered_payload")) }
        #expect(throws: WebhookSignatureError.noMatchingSignature) {
            try self.verify(self.vector("reserialized_payload"))
        }
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try self.verify(self.vector("wrong_secret")) }
        #expect(throws: WebhookSignatureError.timestampTooOld(ageSeconds: 301)) {
            try self.verify(self.vector("stale_301s"))
        }
        #expect(throws: WebhookSignatureError.timestampTooFarInFuture(aheadSeconds: 3600)) {
            try self.verify(self.vector("future_3600s"))
        }
    }

    @Test func anyOfSeveralSecretsMayMatchDuringARotation() throws {
        let valid = self.vector("valid")
        try self.verify(valid, secrets: ["whsec_the_new_one", valid.secret])
        #expect(throws: WebhookSignatureError.noMatchingSignature) {
            try self.verify(valid, secrets: ["whsec_the_new_one"])
        }
    }

    @Test func whatWeSignVerifiesAndReproducesStripesSignature() throws {
        let valid = self.vector("valid")
        let payload = Array(valid.payload.utf8)
        let header = StripeWebhookSignature.header(
            payload: payload, secret: valid.secret, timestamp: Date(timeIntervalSince1970: TimeInterval(valid.now)))
        #expect(header == valid.header)
        try StripeWebhookSignature.verify(
            payload: payload, header: header, secrets: [valid.secret],
            now: Date(timeIntervalSince1970: TimeInterval(valid.now + 10)))
    }

    /// Blanks around the header and its parts (spaces, tabs, other Unicode spaces) are not part of them, as Stripe's
    /// SDKs read it; a header of blanks alone is missing.
    @Test func blanksAroundTheHeaderAndItsPartsAreIgnored() throws {
        let valid = self.vector("valid")
        let parts = valid.header.split(separator: ",")
        let padded = " \t\(parts[0]) ,\u{00A0}v1 = \(parts[1].dropFirst(3))\u{2003} "
        try self.verify(valid, header: .some(padded))
        #expect(throws: WebhookSignatureError.missingHeader) { try self.verify(valid, header: .some(" \t\u{00A0} ")) }
        // A blank inside a signature is not trimmed away: that signature cannot match.
        let split = "\(parts[0]),v1=\(parts[1].dropFirst(3).prefix(10)) \(parts[1].dropFirst(13))"
        #expect(throws: WebhookSignatureError.noMatchingSignature) { try self.verify(valid, header: .some(split)) }
    }

    /// The bytes signed are copied in one piece when the payload is contiguous, element by element otherwise: both
    /// give Stripe's signature.
    @Test func aPayloadWithoutContiguousStorageVerifiesAsTheSameBytes() throws {
        let valid = self.vector("valid")
        let bytes = Array(valid.payload.utf8)
        let scattered = bytes.lazy.map { $0 }
        #expect(scattered.withContiguousStorageIfAvailable { _ in true } == nil)
        let now = Date(timeIntervalSince1970: TimeInterval(valid.now))
        #expect(StripeWebhookSignature.header(payload: scattered, secret: valid.secret, timestamp: now) == valid.header)
        try StripeWebhookSignature.verify(payload: scattered, header: valid.header, secrets: [valid.secret], now: now)
        #expect(throws: WebhookSignatureError.noMatchingSignature) {
            try StripeWebhookSignature.verify(
                payload: bytes.dropLast().lazy.map { $0 }, header: valid.header, secrets: [valid.secret], now: now)
        }
    }
}
