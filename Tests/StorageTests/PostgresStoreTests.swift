import Booking
import Foundation
import Logging
import PostgresNIO
import PostgresStore
import TestSupport
import Testing
import Workflow

/// What only PostgreSQL does: several instances on one database, its constraints, a database that goes away.
/// These tests need the test server (Scripts/test starts one); without it they fail, saying so.
@Suite struct PostgresStoreTests {
    /// A new, empty database on the test server.
    func freshDatabase() async throws -> PostgresSettings {
        try await StoreKind.freshPostgresDatabase()
    }

    @Test func instancesStartingTogetherMigrateOnce() async throws {
        let settings = try await self.freshDatabase()
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { try await PostgresBookingStore(settings: settings).appliedMigrations() }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(applied.count == 4)
        for names in applied { #expect(Set(names) == Set(PostgresBookingStore.migrationNames)) }
        #expect(try await PostgresBookingStore(settings: settings).isReady())
    }

    @Test func twoInstancesRacingForOneSlotMakeOneBooking() async throws {
        let settings = try await self.freshDatabase()
        let clock = ManualClock(Instants.mondayMorning)
        let stores = [
            try await PostgresBookingStore(settings: settings), try await PostgresBookingStore(settings: settings),
        ]
        let instances = stores.map { BookingWorkflow.testing(store: $0, clock: clock) }
        try await instances[0].practice.installIfEmpty(.sample())
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let request = ClientBookingRequest(
                        serviceIDs: [Service.chatFirst.id], start: Instants.tuesdayTen, name: "Racer \(index)",
                        email: "racer\(index)@example.com")
                    do {
                        _ = try await instances[index % 2].clients.book(request)
                        return "booked"
                    } catch let error as BookingError {
                        return error.code
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "booked" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "slot_taken" }.count == 39, "\(outcomes)")
        let stored = try await stores[1].read { try await $0.bookings(matching: BookingFilter()) }
        #expect(stored.count == 1)
    }

    /// A fresh store with two staff members (Camille and Noor), holding `client` and `booking` (Camille's).
    func storeHolding(_ booking: Booking, of client: Client) async throws -> PostgresBookingStore {
        let store = try await PostgresBookingStore(settings: try await self.freshDatabase())
        try await BookingWorkflow.testing(store: store).practice.installIfEmpty(.sample(staff: [.camille, .noor]))
        try await store.write { tx in
            try await tx.insert(client)
            try await tx.insert(booking)
        }
        return store
    }

    @Test func theSchemaRefusesOverlappingBookingsOfOneStaffMember() async throws {
        let client = Client.sample()
        var first = Booking.sample(id: "bk_first", client: client.id)
        _ = try first.lifecycle.apply(.markedPaidOffline)
        first.holdUntil = nil
        let settled = first
        let store = try await self.storeHolding(settled, of: client)
        // The same time, half an hour later: the check in the workflow is skipped on purpose, and the schema
        // still refuses — as a taken slot, not as an internal error.
        let overlapping = Booking.sample(
            id: "bk_second", client: client.id, start: Instants.tuesdayTen.addingTimeInterval(1800))
        await #expect(throws: BookingError.slotTaken) {
            try await store.write { try await $0.insert(overlapping) }
        }
        // Another staff member at the same time, or the same one once the first is canceled, is fine.
        try await store.write {
            try await $0.insert(Booking.sample(id: "bk_noor", client: client.id, staff: StaffMember.noor.id))
        }
        var canceled = settled
        _ = try canceled.lifecycle.apply(.canceled)
        try await store.write { [canceled] tx in
            try await tx.update(canceled)
            try await tx.insert(overlapping)
        }
    }

    /// The schema's claim on a slot follows its booking: kept through the payment that settles a hold, moved with
    /// the booking to its new time, given up when the booking stops taking time.
    @Test func aBookingsClaimOnItsSlotFollowsItsPaymentAndItsMove() async throws {
        let client = Client.sample()
        let held = Booking.sample(id: "bk_held", client: client.id)
        let store = try await self.storeHolding(held, of: client)
        let overlapping = Booking.sample(
            id: "bk_overlapping", client: client.id, start: Instants.tuesdayTen.addingTimeInterval(1800))
        await #expect(throws: BookingError.slotTaken) {
            try await store.write { try await $0.insert(overlapping) }
        }
        var paid = held
        _ = try paid.lifecycle.apply(.markedPaidOffline)
        paid.holdUntil = nil
        try await store.write { [paid] in try await $0.update(paid) }
        await #expect(throws: BookingError.slotTaken) {
            try await store.write { try await $0.insert(overlapping) }
        }
        // Moved three hours later (clear of the overlapping one's buffer), then to another staff member: each time
        // its old place is free and its new one taken.
        var moved = paid
        moved.start = paid.start.addingTimeInterval(3 * 3600)
        moved.end = paid.end.addingTimeInterval(3 * 3600)
        try await store.write { [moved] in try await $0.update(moved) }
        try await store.write { try await $0.insert(overlapping) }
        let atTheNewTime = Booking.sample(id: "bk_new_time", client: client.id, start: moved.start)
        await #expect(throws: BookingError.slotTaken) {
            try await store.write { try await $0.insert(atTheNewTime) }
        }
        moved.staffID = StaffMember.noor.id
        try await store.write { [moved] in try await $0.update(moved) }
        try await store.write { try await $0.insert(atTheNewTime) }
        // A lapsed hold that no longer holds its slot gives it up.
        var expired = overlapping
        _ = try expired.lifecycle.apply(.paymentWindowLapsed)
        expired.holdUntil = nil
        try await store.write { [expired] in try await $0.update(expired) }
        try await store.write {
            try await $0.insert(Booking.sample(id: "bk_after_expiry", client: client.id, start: overlapping.start))
        }
    }

    /// The same database through the test server's Unix socket (its directory asked of the server itself).
    func overSocket(_ overTCP: PostgresSettings) async throws -> PostgresSettings {
        let logger = Logger(label: "test")
        let client = PostgresClient(
            configuration: .init(
                host: overTCP.host, port: overTCP.port, username: overTCP.username, password: overTCP.password,
                database: overTCP.database, tls: .disable))
        let directories = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            var found: String?
            for try await value in try await client.query("SHOW unix_socket_directories", logger: logger)
                .decode(String.self)
            {
                found = value
            }
            return found
        }
        let directory = try #require(directories?.split(separator: ",").first.map(String.init))
        return try PostgresSettings(
            url: "postgres://\(overTCP.username)@:\(overTCP.port)/\(overTCP.database)?host=\(directory)")
    }

    @Test func theServersUnixSocketReachesTheSameDatabase() async throws {
        let overTCP = try await self.freshDatabase()
        let overSocket = try await self.overSocket(overTCP)
        #expect(overSocket.isUnixSocket)
        // What one writes over TCP, the other reads over the socket.
        let tcpStore = try await PostgresBookingStore(settings: overTCP)
        let socketStore = try await PostgresBookingStore(settings: overSocket)
        defer {
            tcpStore.shutdown()
            socketStore.shutdown()
        }
        try await tcpStore.write { try await $0.insert(Client.sample()) }
        #expect(try await socketStore.read { try await $0.client(Client.sample().id) } == Client.sample())
    }

    @Test func aDatabaseThatCannotBeReachedIsUnavailableNotAHang() async throws {
        // A port nothing listens on: every connection attempt is refused.
        let closed = try StoreKind.postgresServer()
        var settings = try PostgresSettings(url: "postgres://nobody@127.0.0.1:9/nothing?sslmode=disable&timeout=2")
        settings.poolSize = closed.poolSize
        let started = ContinuousClock.now
        await #expect(throws: StoreUnavailable.self) { _ = try await PostgresBookingStore(settings: settings) }
        // Bounded by the timeout (with room for a slow machine), not waiting for ever.
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test(arguments: [false, true])
    func workQueuedByOneInstanceWakesTheOthersWorkers(listeningOverTheSocket: Bool) async throws {
        let overTCP = try await self.freshDatabase()
        let settings = listeningOverTheSocket ? try await self.overSocket(overTCP) : overTCP
        let queuing = try await PostgresBookingStore(settings: overTCP)
        try await BookingWorkflow.testing(store: queuing).practice.installIfEmpty(.sample())
        let bell = WorkBell()
        let listener = Task { try await PostgresWorkListener(settings: settings, bell: bell).run() }
        defer { listener.cancel() }
        // The listener rings every topic once it listens; from then on nothing is missed.
        await bell.wait(for: .email, upTo: .seconds(30))
        let started = ContinuousClock.now
        async let woken: Void = bell.wait(for: .email, upTo: .seconds(60))
        let booking = Booking.sample(client: Client.sample().id)
        try await queuing.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(booking)
            try await tx.enqueue(
                OutboxMessage(
                    id: "msg_1", bookingID: booking.id, effect: .emailClient(.bookingReceived),
                    createdAt: Instants.mondayMorning))
        }
        await woken
        // Woken by the notification, long before the minute of polling.
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
