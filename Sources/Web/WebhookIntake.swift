import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import Payments
import Workflow

/// `POST /webhooks/stripe`: raw bytes verified, the event recorded and applied in one transaction, 2xx only after
/// the commit.
struct WebhookIntake: Sendable {
    let workflow: BookingWorkflow
    let configuration: WebConfiguration
    /// Larger bodies are refused before any hashing.
    static let maxBodyBytes = 64 * 1024

    struct Acknowledgement: ResponseEncodable {
        var received: Bool
        var outcome: String
    }

    func addRoutes(to router: Router<AppContext>) {
        router.post("webhooks/stripe") { request, context in
            let buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
            let payload = Array(buffer: buffer)
            do {
                try StripeWebhookSignature.verify(
                    payload: payload, header: request.headers[HTTPField.Name("Stripe-Signature")!],
                    secrets: self.configuration.webhookSecrets,
                    tolerance: self.configuration.webhookTolerance, now: self.workflow.clock.now())
            } catch let error as WebhookSignatureError {
                context.logger.notice("webhook refused", metadata: ["reason": "\(error)"])
                Self.count("refused")
                throw APIError(.badRequest, code: error.code, message: "Webhook refused: \(error).")
            }
            let event: ProviderEvent
            do {
                event = try ProviderEvent.decodeStripe(payload)
            } catch {
                throw APIError(.badRequest, code: "invalid_event", message: "\(error)")
            }
            let outcome = try await self.workflow.payments.applyPaymentEvent(PaymentEvent(event))
            let summary: String =
                switch outcome {
                case .applied(let id, let from, let to): "applied to \(id): \(from.rawValue) → \(to.rawValue)"
                case .flagged(let id, let from, let to, let flags):
                    "applied to \(id): \(from.rawValue) → \(to.rawValue), flagged \(flags.map(\.rawValue).sorted())"
                case .duplicate: "duplicate"
                case .unknownBooking: "no booking of ours"
                case .ignored(let reason): "ignored: \(reason)"
                }
            switch outcome {
            case .applied: Self.count("applied")
            case .flagged: Self.count("flagged")
            case .duplicate: Self.count("duplicate")
            case .unknownBooking, .ignored: Self.count("ignored")
            }
            context.logger.info(
                "webhook", metadata: ["event": "\(event.id)", "type": "\(event.type)", "outcome": "\(summary)"])
            return Acknowledgement(received: true, outcome: summary)
        }
    }

    /// Counts a webhook event by its outcome (`rendezvous_webhook_events_total{outcome=…}`).
    static func count(_ outcome: String) {
        Counter(label: "rendezvous_webhook_events_total", dimensions: [("outcome", outcome)]).increment()
    }
}
