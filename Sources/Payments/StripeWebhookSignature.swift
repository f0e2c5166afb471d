import Crypto
import Foundation

/// Why a webhook was refused. Each case has a stable code for logs and the 400 answer.
public enum WebhookSignatureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No `Stripe-Signature` header, or an empty one.
    case missingHeader
    /// The header has no parsable `t=` timestamp or is not `key=value` pairs.
    case malformedHeader
    /// The header carries no `v1` signature (only `v0`, say).
    case noV1Signature
    /// No `v1` signature matches the payload under any of the secrets.
    case noMatchingSignature
    /// Signed longer ago than the tolerance.
    case timestampTooOld(ageSeconds: Int64)
    /// Signed further in the future than the tolerance (stricter than Stripe's SDKs, which accept any future time).
    case timestampTooFarInFuture(aheadSeconds: Int64)

    public var code: String {
        switch self {
        case .missingHeader: "missing_signature"
        case .malformedHeader: "malformed_signature"
        case .noV1Signature: "no_v1_signature"
        case .noMatchingSignature: "signature_mismatch"
        case .timestampTooOld: "timestamp_too_old"
        case .timestampTooFarInFuture: "timestamp_in_future"
        }
    }

    public var description: String {
        switch self {
        case .missingHeader: "no Stripe-Signature header"
        case .malformedHeader: "the Stripe-Signature header cannot be parsed"
        case .noV1Signature: "the Stripe-Signature header has no v1 signature"
        case .noMatchingSignature: "no v1 signature matches the payload"
        case .timestampTooOld(let age): "the signature is \(age) s old, beyond the tolerance"
        case .timestampTooFarInFuture(let ahead):
            "the signature is dated \(ahead) s in the future, beyond the tolerance"
        }
    }
}

/// Stripe's webhook signature scheme: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`, where each v1 is the
/// lower-case hex HMAC-SHA256 of `"<t>.<raw body>"` keyed with the whole `whsec_...` secret.
public enum StripeWebhookSignature {
    /// Stripe's default tolerance.
    public static let defaultTolerance: TimeInterval = 300

    /// Unix times a signature may carry: from 1970 to the end of year 9999.
    static let timestampRange: ClosedRange<Int64> = 0...253_402_300_799

    /// Checks the raw body against the header under any of `secrets` (several during a rotation) at `now`.
    /// Any matching v1 passes; comparisons are constant-time.
    public static func verify(
        payload: some Collection<UInt8>, header: String?, secrets: [String], tolerance: TimeInterval = defaultTolerance,
        now: Date
    ) throws(WebhookSignatureError) {
        guard let header, !Self.trimmed(header[...]).isEmpty else { throw .missingHeader }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        var sawV1 = false
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw .malformedHeader }
            let key = Self.trimmed(pair[0])
            let value = Self.trimmed(pair[1])
            switch key {
            case "t":
                // NB: bounded before any arithmetic, so no header can overflow the age below.
                guard let parsed = Int64(value), Self.timestampRange.contains(parsed) else { throw .malformedHeader }
                timestamp = parsed
            case "v1":
                sawV1 = true
                // NB: only lower-case hex is what Stripe sends and what its SDKs match; anything else cannot match.
                if let bytes = Self.lowercaseHexBytes(value) { signatures.append(bytes) }
            default:
                continue  // v0 and future schemes are ignored.
            }
        }
        guard let timestamp else { throw .malformedHeader }
        guard sawV1 else { throw .noV1Signature }

        let signed = Self.signedBytes(payload: payload, timestamp: timestamp)
        let matches = secrets.contains { secret in
            let key = SymmetricKey(data: Data(secret.utf8))
            return signatures.contains { signature in
                // NB: constant-time comparison of the authentication code.
                HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: key)
            }
        }
        guard matches else { throw .noMatchingSignature }

        let age = Int64(now.timeIntervalSince1970.rounded(.down)) - timestamp
        if Double(age) > tolerance { throw .timestampTooOld(ageSeconds: age) }
        if Double(-age) > tolerance { throw .timestampTooFarInFuture(aheadSeconds: -age) }
    }

    /// The `Stripe-Signature` header Stripe would send for `payload` signed with `secret` at `timestamp`.
    public static func header(payload: some Collection<UInt8>, secret: String, timestamp: Date) -> String {
        let t = Int64(timestamp.timeIntervalSince1970.rounded(.down))
        return "t=\(t),v1=\(self.signature(payload: payload, secret: secret, timestamp: t))"
    }

    /// The lower-case hex v1 signature of `payload` at unix time `timestamp`.
    public static func signature(payload: some Collection<UInt8>, secret: String, timestamp: Int64) -> String {
        let signed = Self.signedBytes(payload: payload, timestamp: timestamp)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// `"<t>.<raw body>"`, the bytes a signature covers.
    /// NB: an array, not `Data`, whose appends showed in profiles of the webhook path.
    private static func signedBytes(payload: some Collection<UInt8>, timestamp: Int64) -> [UInt8] {
        var signed = Array("\(timestamp).".utf8)
        signed.reserveCapacity(signed.count + payload.count)
        signed.append(contentsOf: payload)
        return signed
    }

    /// `text` without the blanks around it (spaces, tabs and the other Unicode spaces).
    /// NB: on Substring, not Foundation's `trimmingCharacters`, which goes through NSString (it showed in profiles).
    private static func trimmed(_ text: Substring) -> Substring {
        func blank(_ character: Character) -> Bool { character.isWhitespace && !character.isNewline }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) })
        else { return text[text.endIndex...] }
        return text[first...last]
    }

    private static func lowercaseHexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
