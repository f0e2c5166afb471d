import Foundation
import Markup
import Payments

// The hosted checkout page: shows a session, pays it or leaves it, as Stripe's own page would.
extension FakeStripe {
    /// The hosted checkout page of a session.
    public func checkoutPage(_ id: String) -> FakeResponse {
        self.expireDueSessions()
        guard let session = self.sessions[id] else {
            return Self.page(404, title: "Unknown checkout", body: "<p>No such checkout session.</p>")
        }
        let amount = Self.formatAmount(
            session["amount_total"]?.intValue ?? 0, currency: session["currency"]?.stringValue ?? "")
        guard session["status"]?.stringValue == "open" else {
            let status = session["status"]?.stringValue ?? "closed"
            return Self.page(
                410, title: "Checkout \(status)",
                body: "<p>This checkout is \(HTML.escape(status)) and cannot be paid.</p>")
        }
        var items = ""
        if case .array(let lines) = session["_line_items"] ?? .null {
            for line in lines {
                let name = line["description"]?.stringValue ?? ""
                let lineAmount = Self.formatAmount(
                    line["amount_total"]?.intValue ?? 0, currency: line["currency"]?.stringValue ?? "")
                items += "<li>\(HTML.escape(name)) × \(line["quantity"]?.intValue ?? 1) — \(lineAmount)</li>"
            }
        }
        let base = "\(self.configuration.publicBaseURL)/checkout/\(id)"
        let body = """
            <p class="test">Test mode — FakeStripe. No real money moves.</p>
            <ul>\(items)</ul>
            <p class="total">Total: <strong>\(amount)</strong></p>
            <p>\(HTML.escape(session["customer_email"]?.stringValue ?? ""))</p>
            <form method="post" action="\(base)/pay"><button type="submit" id="pay">Pay \(amount)</button></form>
            <form method="post" action="\(base)/cancel"><button type="submit" id="cancel">Cancel and go back</button></form>
            """
        return Self.page(200, title: "Pay \(amount)", body: body)
    }

    /// Pays an open session: creates the payment intent and charge, emits `checkout.session.completed`, and sends the
    /// client to `success_url`.
    public func pay(_ id: String) -> FakeResponse {
        self.expireDueSessions()
        guard var session = self.sessions[id] else {
            return Self.page(404, title: "Unknown checkout", body: "<p>No such checkout session.</p>")
        }
        guard session["status"]?.stringValue == "open" else { return self.checkoutPage(id) }
        let created = Int64(self.now().timeIntervalSince1970.rounded(.down))
        let amount = session["amount_total"]?.intValue ?? 0
        let currency = session["currency"] ?? .null
        let metadata = session["_payment_intent_metadata"] ?? .object([])
        let intentID = "pi_" + Self.randomToken(24)
        let chargeID = "ch_" + Self.randomToken(24)
        self.paymentIntents[intentID] = .object([
            ("id", .string(intentID)), ("object", "payment_intent"), ("amount", .int(amount)),
            ("amount_received", .int(amount)), ("capture_method", "automatic"), ("confirmation_method", "automatic"),
            ("created", .int(created)), ("currency", currency), ("latest_charge", .string(chargeID)),
            ("livemode", false),
            ("metadata", metadata), ("payment_method_types", .array(["card"])), ("status", "succeeded"),
        ])
        self.charges[chargeID] = .object([
            ("id", .string(chargeID)), ("object", "charge"), ("amount", .int(amount)),
            ("amount_captured", .int(amount)),
            ("amount_refunded", 0),
            (
                "billing_details",
                .object([
                    ("address", nil), ("email", session["customer_email"] ?? .null), ("name", nil), ("phone", nil),
                ])
            ),
            ("captured", true), ("created", .int(created)), ("currency", currency), ("disputed", false),
            ("livemode", false),
            ("metadata", metadata), ("paid", true), ("payment_intent", .string(intentID)), ("refunded", false),
            ("status", "succeeded"),
        ])
        session.set("status", "complete")
        session.set("payment_status", "paid")
        session.set("payment_intent", .string(intentID))
        session.set("url", nil)
        session.set("customer_details", .object([("email", session["customer_email"] ?? .null), ("name", nil)]))
        self.sessions[id] = session
        self.emit("checkout.session.completed", object: Self.publicView(session))
        let successURL = session["success_url"]?.stringValue ?? "/"
        return .redirect(successURL.replacingOccurrences(of: "{CHECKOUT_SESSION_ID}", with: id))
    }

    /// Leaves the hosted page for `cancel_url` (the session stays open, as at Stripe).
    public func cancel(_ id: String) -> FakeResponse {
        guard let session = self.sessions[id] else {
            return Self.page(404, title: "Unknown checkout", body: "<p>No such checkout session.</p>")
        }
        return .redirect(session["cancel_url"]?.stringValue ?? "/")
    }
}

extension FakeStripe {
    /// A hosted page of the fake (its checkout, or why a checkout cannot be paid), marked as a test page.
    static func page(_ status: Int, title: String, body: String) -> FakeResponse {
        let style = """
            body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
            .test{background:#fff3cd;padding:.5rem}button{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem 0}
            """
        let html = HTML.document(title: title, body: body, style: style)
        return FakeResponse(status: status, body: Array(html.utf8), contentType: "text/html; charset=utf-8")
    }
}
