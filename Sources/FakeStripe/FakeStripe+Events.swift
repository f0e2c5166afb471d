import Foundation
import Payments

// Events: the list API, emitting one, and its signed webhook deliveries with retries and faults.
extension FakeStripe {
    // MARK: Events

    func listEvents(_ query: StripeForm, requestID: String) -> FakeResponse {
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

    func emit(_ type: String, object: JSONValue) {
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

    func schedule(eventID: String, payload: [UInt8]) {
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
        // A held delivery goes out once the next event's delivery is over (accepted or abandoned): out of order
        // however long that delivery takes.
        if let held = self.heldDelivery, !hold {
            self.releasing = (releaser: self.nextDeliveryID + 1, held: held)
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
            self.releaseHeld(after: delivery.deliveryID)
            return
        }
        let now = ContinuousClock.now
        let backoff = min(
            self.configuration.webhookInitialRetryDelay * (1 << min(pending.attempts - 1, 30)),
            self.configuration.webhookMaxRetryDelay)
        if now + backoff > pending.deadline {
            self.deliveries[delivery.deliveryID] = nil
            self.releaseHeld(after: delivery.deliveryID)
        } else {
            self.deliveries[delivery.deliveryID]?.due = now + backoff
        }
    }

    /// Lets a held delivery go once the delivery it waited for is over.
    private func releaseHeld(after deliveryID: Int) {
        guard let releasing = self.releasing, releasing.releaser == deliveryID else { return }
        self.deliveries[releasing.held]?.held = false
        self.deliveries[releasing.held]?.due = ContinuousClock.now
        self.releasing = nil
    }
}
