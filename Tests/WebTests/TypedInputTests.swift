import Booking
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Names and notes with line breaks, controls or direction overrides are refused at the API, and nothing is booked.
@Suite struct TypedInputTests {
    @Test(
        arguments: [
            ("Eve\r\nBcc: attacker@example.com", nil), ("Eve\u{202E}gnp", nil), ("Eve", "Bell\u{7}"),
        ] as [(String, String?)])
    func aBookingWithControlsInItsTextIsRefused(_ name: String, _ note: String?) async throws {
        let harness = try await APIContractTests.harness()
        try await harness.app.test(.router) { client in
            var body: [String: Any] = [
                "serviceId": "svc_chat_first", "start": APIContractTests.workingDay(),
                "client": ["name": name, "email": "eve@example.com"],
            ]
            if let note { body["note"] = note }
            let answer = try await client.execute(
                uri: "/api/bookings", method: .post, headers: [.contentType: "application/json"],
                body: APIContractTests.json(body))
            #expect(answer.status == .badRequest)
            #expect(APIContractTests.error(answer).code == "invalid_field")
            let stored = try await harness.practice.store.read {
                try await $0.client(email: try EmailAddress("eve@example.com"))
            }
            #expect(stored == nil)
        }
    }
}
