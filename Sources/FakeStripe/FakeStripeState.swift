import Foundation
import Payments

/// A stateful, Stripe-compatible payment provider: checkout sessions, payment intents, charges, refunds and events,
/// with Stripe's JSON shapes, error envelope and idempotency; a hosted checkout page; signed webhook deliveries with
/// retries; and fault injection for tests.
public actor FakeStripe {
    public private(set) var configuration: FakeStripeConfiguration
    private let now: @Sendable () -> Date

    private var sessions: [String: JSONValue] = [:]
    private var sessionOrder: [String] = []
    private var paymentIntents: [String: JSONValue] = [:]
    private var charges: [String: JSONValue] = [:]
    private var refunds: [String: JSONValue] = [:]
    /// Newest last.
    private var events: [(id: String, type: String, created: Int64, payload: [UInt8])] = []
    private var idempotency: [String: (fingerprint: String, response: FakeResponse)] = [:]

    private var apiFaults: [APIFault] = []
    private var nextDeliveryFaults: [DeliveryFault] = []
    private var deliveries: [Int: PendingDelivery] = [:]
    private var nextDeliveryID = 0
    private var heldDelivery: Int?
    private var attemptLog: [DeliveryAttempt] = []

    private struct PendingDelivery {
        var eventID: String
        var payload: [UInt8]
        var attempts: Int
        var due: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var held: Bool
    }

    public init(configuration: FakeStripeConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    /// Changes the configuration, for a fake whose address is known only once its server runs.
    public func reconfigure(_ change: @Sendable (inout FakeStripeConfiguration) -> Void) {
        change(&self.configuration)
    }

    // MARK: - Fault injection and inspection

    /// The next `count` API calls suffer `fault`.
    public func injectAPIFault(_ fault: APIFault, count: Int = 1) {
        if case .status(let status) = fault, !(400...599).contains(status) { return }
        self.apiFaults += Array(repeating: fault, count: max(0, min(count, 1000)))
    }

    /// The next emitted event's delivery suffers `fault`.
    public func injectDeliveryFault(_ fault: DeliveryFault) { self.nextDeliveryFaults.append(fault) }

    /// Every checkout session, oldest first.
    public func allCheckoutSessions() -> [JSONValue] { self.sessionOrder.compactMap { self.sessions[$0] } }

    /// Every refund.
    public func allRefunds() -> [JSONValue] { Array(self.refunds.values) }

    /// Every event id and type, oldest first.
    public func allEvents() -> [(id: String, type: String)] { self.events.map { ($0.id, $0.type) } }

    /// The exact bytes of an event (as delivered and signed).
    public func eventPayload(_ id: String) -> [UInt8]? { self.events.first { $0.id == id }?.payload }

    /// Every webhook delivery attempt so far.
    public func deliveryAttempts() -> [DeliveryAttempt] { self.attemptLog }

    /// Deliveries not yet acknowledged (or given up).
    public func pendingDeliveryCount() -> Int { self.deliveries.count }

    // MARK: - API

    /// Answers one `/v1` API request.
    public func handleAPI(_ request: FakeRequest) -> FakeResponse {
        let requestID = "req_" + Self.randomToken(14)
        guard let key = Self.secretKey(from: request.authorization) else {
            return self.error(
                401, type: "invalid_request_error", code: nil, message: Self.authMessage(request.authorization),
                param: nil, requestID: requestID)
        }
        if !self.apiFaults.isEmpty, case .status(let status) = self.apiFaults[0] {
            self.apiFaults.removeFirst()
            let type = status == 429 ? "rate_limit_error" : status == 409 ? "idempotency_error" : "api_error"
            let code = status == 429 ? "rate_limit" : status == 409 ? "lock_timeout" : nil
            return self.error(
                status, type: type, code: code, message: "Injected fault: \(status).", param: nil, requestID: requestID)
        }
        var hang: Duration?
        if !self.apiFaults.isEmpty, self.apiFaults[0] == .noAnswer {
            self.apiFaults.removeFirst()
            hang = self.configuration.hangDuration
        }

        var response: FakeResponse
        if request.method == "POST", let idempotencyKey = request.idempotencyKey {
            let scoped = key + "\u{1F}" + idempotencyKey
            let fingerprint =
                "\(request.method) \(request.path) \(StripeForm(parsing: String(decoding: request.body, as: UTF8.self)).fingerprint)"
            if let stored = self.idempotency[scoped] {
                if stored.fingerprint == fingerprint {
                    response = stored.response
                    response.headers.append(("Idempotent-Replayed", "true"))
                } else {
                    response = self.error(
                        400, type: "idempotency_error", code: "idempotency_key_in_use",
                        message:
                            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                        param: nil, requestID: requestID)
                }
            } else {
                response = self.route(request, requestID: requestID)
                self.idempotency[scoped] = (fingerprint, response)
            }
        } else {
            response = self.route(request, requestID: requestID)
        }
        response.headers.append(("Request-Id", requestID))
        response.hang = hang
        return response
    }

    private func route(_ request: FakeRequest, requestID: String) -> FakeResponse {
        let form = StripeForm(parsing: String(decoding: request.body, as: UTF8.self))
        let query = StripeForm(parsing: request.query)
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts.count) {
        case ("POST", 3) where parts[1] == "checkout" && parts[2] == "sessions":
            return self.createSession(form, requestID: requestID)
        case ("GET", 4) where parts[1] == "checkout" && parts[2] == "sessions":
            return self.found(
                self.sessions[parts[3]], "checkout.session", parts[3], param: "session", requestID: requestID)
        case ("POST", 5) where parts[1] == "checkout" && parts[2] == "sessions" && parts[4] == "expire":
            return self.expireSession(parts[3], requestID: requestID)
        case ("POST", 2) where parts[1] == "refunds":
            return self.createRefund(form, requestID: requestID)
        case ("GET", 3) where parts[1] == "refunds":
            return self.found(self.refunds[parts[2]], "refund", parts[2], param: "id", requestID: requestID)
        case ("GET", 3) where parts[1] == "payment_intents":
            return self.found(
                self.paymentIntents[parts[2]], "payment_intent", parts[2], param: "intent", requestID: requestID)
        case ("GET", 3) where parts[1] == "charges":
            return self.found(self.charges[parts[2]], "charge", parts[2], param: "id", requestID: requestID)
        case ("GET", 2) where parts[1] == "events":
            return self.listEvents(query, requestID: requestID)
        case ("GET", 3) where parts[1] == "events":
            guard let event = self.events.first(where: { $0.id == parts[2] }) else {
                return self.missing("event", parts[2], param: "id", requestID: requestID)
            }
            return FakeResponse(status: 200, body: event.payload)
        default:
            return self.error(
                404, type: "invalid_request_error", code: nil,
                message: "Unrecognized request URL (\(request.method): \(request.path)).", param: nil,
                requestID: requestID)
        }
    }

    // MARK: Checkout sessions

    private func createSession(_ form: StripeForm, requestID: String) -> FakeResponse {
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

    private func expireSession(_ id: String, requestID: String) -> FakeResponse {
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

    // MARK: Hosted checkout

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
                body: "<p>This checkout is \(Self.escape(status)) and cannot be paid.</p>")
        }
        var items = ""
        if case .array(let lines) = session["_line_items"] ?? .null {
            for line in lines {
                let name = line["description"]?.stringValue ?? ""
                let lineAmount = Self.formatAmount(
                    line["amount_total"]?.intValue ?? 0, currency: line["currency"]?.stringValue ?? "")
                items += "<li>\(Self.escape(name)) × \(line["quantity"]?.intValue ?? 1) — \(lineAmount)</li>"
            }
        }
        let base = "\(self.configuration.publicBaseURL)/checkout/\(id)"
        let body = """
            <p class="test">Test mode — FakeStripe. No real money moves.</p>
            <ul>\(items)</ul>
            <p class="total">Total: <strong>\(amount)</strong></p>
            <p>\(Self.escape(session["customer_email"]?.stringValue ?? ""))</p>
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

    // MARK: Refunds

    private func createRefund(_ form: StripeForm, requestID: String) -> FakeResponse {
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

    // MARK: Events

    private func listEvents(_ query: StripeForm, requestID: String) -> FakeResponse {
        var types = Set(query.indices(of: "types").compactMap { query["types[\($0)]"] })
        types.formUnion(query.pairs.filter { $0.key == "types[]" }.map(\.value))
        if let single = query["type"] { types.insert(single) }
        let createdGTE = query["created[gte]"].flatMap { Int64($0) }
        let limitText = query["limit"] ?? "10"
        guard let limit = Int(limitText), (1...100).contains(limit) else {
            return self.error(
                400, type: "invalid_request_error", code: "parameter_invalid_integer",
                message: "Invalid limit: must be between 1 and 100.", param: "limit", requestID: requestID)
        }
        var newestFirst = Array(self.events.reversed())
        if let after = query["starting_after"] {
            guard let index = newestFirst.firstIndex(where: { $0.id == after }) else {
                return self.missing("event", after, param: "starting_after", requestID: requestID)
            }
            newestFirst = Array(newestFirst[(index + 1)...])
        }
        let matching = newestFirst.filter { event in
            (types.isEmpty || types.contains(event.type)) && (createdGTE.map { event.created >= $0 } ?? true)
        }
        let page = matching.prefix(limit)
        // The events are already serialized; splice their bytes into the list.
        var body = Array(#"{"object":"list","data":["#.utf8)
        for (index, event) in page.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += event.payload
        }
        body += Array(#"],"has_more":\#(matching.count > limit),"url":"/v1/events"}"#.utf8)
        return FakeResponse(status: 200, body: body)
    }

    private func emit(_ type: String, object: JSONValue) {
        let id = "evt_" + Self.randomToken(24)
        let created = Int64(self.now().timeIntervalSince1970.rounded(.down))
        let event: JSONValue = .object([
            ("id", .string(id)), ("object", "event"), ("api_version", .string(StripeConfiguration.pinnedAPIVersion)),
            ("created", .int(created)), ("data", .object([("object", object)])), ("livemode", false),
            ("pending_webhooks", 1),
            ("request", .object([("id", nil), ("idempotency_key", nil)])), ("type", .string(type)),
        ])
        let payload = event.bytes
        self.events.append((id, type, created, payload))
        self.schedule(eventID: id, payload: payload)
    }

    // MARK: Webhook deliveries

    private func schedule(eventID: String, payload: [UInt8]) {
        guard self.configuration.webhookURL != nil else { return }
        let now = ContinuousClock.now
        var copies = 1
        var due = now
        var hold = false
        for fault in self.nextDeliveryFaults {
            switch fault {
            case .duplicate: copies = 2
            case .delay(let delay): due = now + delay
            case .outOfOrder: hold = true
            }
        }
        self.nextDeliveryFaults = []
        // A held delivery goes out just after the next event's.
        if let held = self.heldDelivery, !hold {
            self.deliveries[held]?.held = false
            self.deliveries[held]?.due = due + .milliseconds(200)
            self.heldDelivery = nil
        }
        for _ in 0..<copies {
            self.nextDeliveryID += 1
            self.deliveries[self.nextDeliveryID] = PendingDelivery(
                eventID: eventID, payload: payload, attempts: 0, due: due,
                deadline: now + self.configuration.webhookRetryDeadline, held: hold)
            if hold { self.heldDelivery = self.nextDeliveryID }
        }
    }

    /// Deliveries due now, marked as in flight.
    public func dueDeliveries() -> [DueDelivery] {
        let now = ContinuousClock.now
        var due: [DueDelivery] = []
        for (id, delivery) in self.deliveries.sorted(by: { $0.key < $1.key })
        where !delivery.held && delivery.due <= now {
            self.deliveries[id]?.attempts += 1
            // Not due again until this attempt reports back (or a long time passes).
            self.deliveries[id]?.due = now + .seconds(3600)
            due.append(
                DueDelivery(
                    deliveryID: id, eventID: delivery.eventID, payload: delivery.payload, attempt: delivery.attempts + 1
                ))
        }
        return due
    }

    /// Records the outcome of an attempt: done on success; on failure retried with exponential backoff until the
    /// deadline.
    public func deliveryFinished(_ delivery: DueDelivery, succeeded: Bool) {
        self.attemptLog.append(
            DeliveryAttempt(eventID: delivery.eventID, attempt: delivery.attempt, succeeded: succeeded))
        guard let pending = self.deliveries[delivery.deliveryID] else { return }
        if succeeded {
            self.deliveries[delivery.deliveryID] = nil
            return
        }
        let now = ContinuousClock.now
        let backoff = min(
            self.configuration.webhookInitialRetryDelay * (1 << min(pending.attempts - 1, 30)),
            self.configuration.webhookMaxRetryDelay)
        if now + backoff > pending.deadline {
            self.deliveries[delivery.deliveryID] = nil
        } else {
            self.deliveries[delivery.deliveryID]?.due = now + backoff
        }
    }

    // MARK: - Helpers

    private func found(_ object: JSONValue?, _ kind: String, _ id: String, param: String, requestID: String)
        -> FakeResponse
    {
        if kind == "checkout.session" { self.expireDueSessions() }
        guard let object = kind == "checkout.session" ? self.sessions[id] : object else {
            return self.missing(kind, id, param: param, requestID: requestID)
        }
        return FakeResponse(status: 200, body: Self.publicView(object).bytes)
    }

    private func missing(_ kind: String, _ id: String, param: String, requestID: String) -> FakeResponse {
        self.error(
            404, type: "invalid_request_error", code: "resource_missing", message: "No such \(kind): '\(id)'",
            param: param, requestID: requestID)
    }

    private func error(_ status: Int, type: String, code: String?, message: String, param: String?, requestID: String)
        -> FakeResponse
    {
        var body: [(String, JSONValue)] = [("type", .string(type))]
        if let code { body.append(("code", .string(code))) }
        body.append(("message", .string(message)))
        if let param { body.append(("param", .string(param))) }
        body.append(("request_log_url", .string("https://dashboard.stripe.com/test/logs/\(requestID)")))
        return FakeResponse(status: status, body: JSONValue.object([("error", .object(body))]).bytes)
    }

    /// The object without the fake's private `_` members.
    static func publicView(_ object: JSONValue) -> JSONValue {
        guard case .object(let members) = object else { return object }
        return .object(members.filter { !$0.0.hasPrefix("_") })
    }

    static func secretKey(from authorization: String?) -> String? {
        guard let authorization else { return nil }
        var key: String?
        if authorization.hasPrefix("Bearer ") {
            key = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if authorization.hasPrefix("Basic "), let data = Data(base64Encoded: String(authorization.dropFirst(6)))
        {
            key = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false).first
                .map(String.init)
        }
        guard let key, key.hasPrefix("sk_test_"), key.count > 8 else { return nil }
        return key
    }

    static func authMessage(_ authorization: String?) -> String {
        guard authorization != nil else {
            return
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        }
        return "Invalid API Key provided. This fake accepts any sk_test_ key."
    }

    static func randomToken(_ length: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }

    static func formatAmount(_ minor: Int64, currency: String) -> String {
        let cents = minor % 100
        return "\(minor / 100).\(cents < 10 ? "0" : "")\(cents) \(currency.uppercased())"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func page(_ status: Int, title: String, body: String) -> FakeResponse {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
            .test{background:#fff3cd;padding:.5rem}button{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem 0}</style>
            </head><body><h1>\(Self.escape(title))</h1>
            \(body)
            </body></html>
            """
        return FakeResponse(status: status, body: Array(html.utf8), contentType: "text/html; charset=utf-8")
    }
}
