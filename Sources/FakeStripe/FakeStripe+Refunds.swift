import Foundation
import Payments

// Refunds of a paid payment intent, whole or in part.
extension FakeStripe {
    // MARK: Refunds

    func createRefund(_ form: StripeForm, requestID: String) -> FakeResponse {
        var intentID = form["payment_intent"]
        if intentID == nil, let chargeID = form["charge"] {
            intentID = self.charges[chargeID]?["payment_intent"]?.stringValue
        }
        guard let intentID else {
            return self.error(
                400, type: "invalid_request_error", code: "parameter_missing",
                message: "Missing required param: payment_intent.", param: "payment_intent", requestID: requestID)
        }
        guard let intent = self.paymentIntents[intentID], let chargeID = intent["latest_charge"]?.stringValue,
            var charge = self.charges[chargeID]
        else {
            return self.missing("payment_intent", intentID, param: "payment_intent", requestID: requestID)
        }
        let captured = charge["amount"]?.intValue ?? 0
        let alreadyRefunded = charge["amount_refunded"]?.intValue ?? 0
        let remaining = captured - alreadyRefunded
        guard remaining > 0 else {
            return self.error(
                400, type: "invalid_request_error", code: "charge_already_refunded",
                message: "Charge \(chargeID) has already been refunded.", param: nil, requestID: requestID)
        }
        var amount = remaining
        if let text = form["amount"] {
            guard let value = Int64(text), value > 0 else {
                return self.error(
                    400, type: "invalid_request_error", code: "parameter_invalid_integer",
                    message: "Invalid positive integer", param: "amount", requestID: requestID)
            }
            guard value <= remaining else {
                return self.error(
                    400, type: "invalid_request_error", code: "amount_too_large",
                    message: "Refund amount (\(value)) is greater than unrefunded amount on charge (\(remaining)).",
                    param: "amount", requestID: requestID)
            }
            amount = value
        }
        let refundID = "re_" + Self.randomToken(24)
        let refund: JSONValue = .object([
            ("id", .string(refundID)), ("object", "refund"), ("amount", .int(amount)), ("charge", .string(chargeID)),
            ("created", .int(Int64(self.now().timeIntervalSince1970.rounded(.down)))),
            ("currency", charge["currency"] ?? .null),
            ("metadata", .strings(form.dictionary("metadata"))), ("payment_intent", .string(intentID)),
            ("reason", .string(form["reason"])),
            ("status", "succeeded"),
        ])
        self.refunds[refundID] = refund
        charge.set("amount_refunded", .int(alreadyRefunded + amount))
        charge.set("refunded", .bool(alreadyRefunded + amount == captured))
        self.charges[chargeID] = charge
        self.emit("refund.created", object: refund)
        self.emit("charge.refunded", object: charge)
        return FakeResponse(status: 200, body: refund.bytes)
    }
}
