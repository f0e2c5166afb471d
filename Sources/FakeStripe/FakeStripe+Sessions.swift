import Foundation
import Payments

// Checkout sessions: create, read, expire.
extension FakeStripe {
    // MARK: Checkout sessions

    func createSession(_ form: StripeForm, requestID: String) -> FakeResponse {
        func invalid(_ param: String, _ message: String, code: String = "parameter_invalid_empty") -> FakeResponse {
            self.error(
                400, type: "invalid_request_error", code: code, message: message, param: param, requestID: requestID)
        }
        func missing(_ param: String) -> FakeResponse {
            invalid(param, "Missing required param: \(param).", code: "parameter_missing")
        }
        guard let mode = form["mode"] else { return missing("mode") }
        guard mode == "payment" else {
            return invalid("mode", "This fake supports mode=payment only.", code: "parameter_invalid_string")
        }
        guard let successURL = form["success_url"], !successURL.isEmpty else { return missing("success_url") }
        let indices = form.indices(of: "line_items")
        guard !indices.isEmpty else { return missing("line_items") }
        var lineItems: [JSONValue] = []
        var total: Int64 = 0
        var currency: String?
        for index in indices {
            let prefix = "line_items[\(index)]"
            guard form["\(prefix)[price]"] == nil else {
                return invalid("\(prefix)[price]", "This fake supports price_data only.", code: "parameter_unknown")
            }
            guard let lineCurrency = form["\(prefix)[price_data][currency]"]?.lowercased() else {
                return missing("\(prefix)[price_data][currency]")
            }
            guard lineCurrency.count == 3, lineCurrency.allSatisfy({ $0.isLetter && $0.isASCII }) else {
                return invalid(
                    "\(prefix)[price_data][currency]", "Invalid currency: \(lineCurrency).",
                    code: "parameter_invalid_string")
            }
            guard let amountText = form["\(prefix)[price_data][unit_amount]"] else {
                return missing("\(prefix)[price_data][unit_amount]")
            }
            guard let amount = Int64(amountText), amount >= 0 else {
                return invalid(
                    "\(prefix)[price_data][unit_amount]", "Invalid integer: \(amountText).",
                    code: "parameter_invalid_integer")
            }
            guard let name = form["\(prefix)[price_data][product_data][name]"], !name.isEmpty else {
                return missing("\(prefix)[price_data][product_data][name]")
            }
            guard let quantityText = form["\(prefix)[quantity]"] else { return missing("\(prefix)[quantity]") }
            guard let quantity = Int64(quantityText), quantity > 0 else {
                return invalid(
                    "\(prefix)[quantity]", "Invalid integer: \(quantityText).", code: "parameter_invalid_integer")
            }
            if let currency, currency != lineCurrency {
                return invalid(
                    "\(prefix)[price_data][currency]", "All line items must share one currency.",
                    code: "parameter_invalid_string")
            }
            currency = lineCurrency
            total += amount * quantity
            lineItems.append(
                .object([
                    ("description", .string(name)), ("quantity", .int(quantity)),
                    ("amount_total", .int(amount * quantity)),
                    ("currency", .string(lineCurrency)),
                ]))
        }
        let created = Int64(self.now().timeIntervalSince1970.rounded(.down))
        var expiresAt = created + 86_400
        if let text = form["expires_at"] {
            guard let value = Int64(text) else {
                return invalid("expires_at", "Invalid integer: \(text).", code: "parameter_invalid_integer")
            }
            guard value >= created + 1800, value <= created + 86_400 else {
                return invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                    code: "parameter_invalid_integer")
            }
            expiresAt = value
        }
        if let reference = form["client_reference_id"], reference.count > 200 {
            return invalid(
                "client_reference_id", "client_reference_id must be at most 200 characters.",
                code: "parameter_invalid_string")
        }
        let id = "cs_test_" + Self.randomToken(58)
        let session: JSONValue = .object([
            ("id", .string(id)), ("object", "checkout.session"), ("after_expiration", nil),
            ("allow_promotion_codes", nil),
            // Required by Stripe's published schema of checkout.session, with the values of a session that uses
            // none of those features.
            ("automatic_tax", .object([("enabled", false), ("status", nil)])), ("custom_fields", .array([])),
            ("custom_text", .object([("shipping_address", nil), ("submit", nil)])), ("shipping_options", .array([])),
            ("amount_subtotal", .int(total)), ("amount_total", .int(total)), ("billing_address_collection", nil),
            ("cancel_url", .string(form["cancel_url"])), ("client_reference_id", .string(form["client_reference_id"])),
            ("created", .int(created)), ("currency", .string(currency)), ("customer", nil),
            ("customer_details", nil), ("customer_email", .string(form["customer_email"])),
            ("expires_at", .int(expiresAt)),
            ("livemode", false), ("locale", nil), ("metadata", .strings(form.dictionary("metadata"))),
            ("mode", "payment"),
            ("payment_intent", nil), ("payment_method_types", .array(["card"])), ("payment_status", "unpaid"),
            ("status", "open"), ("success_url", .string(successURL)),
            ("url", .string("\(self.configuration.publicBaseURL)/checkout/\(id)")),
            // Not part of Stripe's object: what the payment intent's metadata will be (payment_intent_data[metadata]).
            ("_line_items", .array(lineItems)),
            ("_payment_intent_metadata", .strings(form.dictionary("payment_intent_data[metadata]"))),
        ])
        self.sessions[id] = session
        self.sessionOrder.append(id)
        return FakeResponse(status: 200, body: Self.publicView(session).bytes)
    }

    func expireSession(_ id: String, requestID: String) -> FakeResponse {
        self.expireDueSessions()
        guard var session = self.sessions[id] else {
            return self.missing("checkout.session", id, param: "session", requestID: requestID)
        }
        guard session["status"]?.stringValue == "open" else {
            return self.error(
                400, type: "invalid_request_error", code: "checkout_session_not_open",
                message: "Only Checkout Sessions with a status in [\"open\"] can be expired.", param: nil,
                requestID: requestID)
        }
        session.set("status", "expired")
        session.set("url", nil)
        self.sessions[id] = session
        self.emit("checkout.session.expired", object: Self.publicView(session))
        return FakeResponse(status: 200, body: Self.publicView(session).bytes)
    }

    /// Expires open sessions whose `expires_at` has passed, emitting `checkout.session.expired` for each.
    public func expireDueSessions() {
        let now = Int64(self.now().timeIntervalSince1970.rounded(.down))
        for id in self.sessionOrder {
            guard var session = self.sessions[id], session["status"]?.stringValue == "open",
                let expiresAt = session["expires_at"]?.intValue, expiresAt <= now
            else { continue }
            session.set("status", "expired")
            session.set("url", nil)
            self.sessions[id] = session
            self.emit("checkout.session.expired", object: Self.publicView(session))
        }
    }
}
