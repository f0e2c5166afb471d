import FakeStripe
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/_fake/faults`: opt-in, and every value checked before it can reach the HTTP layer.
@Suite struct FaultControlsTests {
    static func app(faultControls: Bool) -> some ApplicationProtocol {
        let fake = FakeStripe(
            configuration: FakeStripeConfiguration(publicBaseURL: "http://fake.test", webhookSecret: "whsec_faults"))
        let router = Router()
        fake.addRoutes(to: router, faultControls: faultControls)
        return Application(router: router)
    }

    static let key = "Bearer sk_test_faults"

    @Test(arguments: ["1000", "42", "200", "399", "600", "-1", "abc", ""])
    func aStatusOutsideTheErrorRangeIsRefused(_ status: String) async throws {
        try await Self.app(faultControls: true).test(.router) { client in
            let answer = try await client.execute(uri: "/_fake/faults?api=\(status)", method: .post)
            #expect(answer.status == .badRequest)
            // Given a refused fault, When the API is called, Then it answers normally (nothing was injected).
            let events = try await client.execute(
                uri: "/v1/events", method: .get, headers: [.authorization: Self.key])
            #expect(events.status == .ok)
        }
    }

    @Test func aValidFaultIsInjectedOnceThenTheAPIRecovers() async throws {
        try await Self.app(faultControls: true).test(.router) { client in
            #expect(try await client.execute(uri: "/_fake/faults?api=503", method: .post).status == .noContent)
            let failed = try await client.execute(uri: "/v1/events", method: .get, headers: [.authorization: Self.key])
            #expect(failed.status == .serviceUnavailable)
            let next = try await client.execute(uri: "/v1/events", method: .get, headers: [.authorization: Self.key])
            #expect(next.status == .ok)
        }
    }

    @Test(arguments: [
        "count=0&api=500", "count=100000&api=500", "delivery=sideways", "delivery=late&seconds=99999", "nothing=1",
    ])
    func otherBadValuesAreRefused(_ query: String) async throws {
        try await Self.app(faultControls: true).test(.router) { client in
            let answer = try await client.execute(uri: "/_fake/faults?\(query)", method: .post)
            #expect(answer.status == .badRequest)
        }
    }

    @Test func withoutFaultControlsThereIsNoRoute() async throws {
        try await Self.app(faultControls: false).test(.router) { client in
            let answer = try await client.execute(uri: "/_fake/faults?api=500", method: .post)
            #expect(answer.status == .notFound)
        }
    }

    @Test func theActorIgnoresAStatusTheHTTPLayerCouldNotSend() async throws {
        let fake = FakeStripe(
            configuration: FakeStripeConfiguration(publicBaseURL: "http://fake.test", webhookSecret: "whsec_faults"))
        await fake.injectAPIFault(.status(1000))
        let response = await fake.handleAPI(
            FakeRequest(method: "GET", path: "/v1/events", authorization: Self.key), .listEvents)
        #expect(response.status == 200)
    }
}
