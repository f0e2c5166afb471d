import Booking
import Foundation
import TestSupport
import Testing
import Workflow

/// What every `BookingStore` must do, run against each implementation.
@Suite struct BookingStoreContractTests {
    let now = Instants.mondayMorning

    func practice(_ kind: StoreKind) async throws -> TestPractice { try await TestPractice(kind: kind) }

    @Test(arguments: StoreKind.allCases)
    func aBookingRoundTripsWhole(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        var booking = Booking.sample(client: Client.sample().id)
        booking.clientNote = "Première séance — merci !"
        _ = try booking.lifecycle.apply(
            .paymentSucceeded(
                PaymentReceipt(amount: booking.price, checkoutSessionID: "cs_1", paymentIntentID: "pi_1"),
                slotStillFree: true))
        booking.holdUntil = nil
        let stored = booking
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(stored)
        }
        let read = try await store.read { try await $0.booking(stored.id) }
        #expect(read == stored)
        #expect(try await store.read { try await $0.booking(accessToken: stored.accessToken) } == stored)
        #expect(try await store.read { try await $0.bookings(of: Client.sample().id) } == [stored])
    }

    @Test(arguments: StoreKind.allCases)
    func clientsAreReadManyAtOnce(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let zoe = Client.sample()
        let max = Client.sample(id: "cl_max", email: "max@example.com")
        try await store.write { tx in
            try await tx.insert(zoe)
            try await tx.insert(max)
        }
        let read = try await store.read { try await $0.clients([zoe.id, max.id, ClientID(rawValue: "cl_gone")]) }
        #expect(read == [zoe.id: zoe, max.id: max])
        #expect(try await store.read { try await $0.clients([]) }.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func aCalendarFeedSecretIsReplacedAndRevoked(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let camille = StaffMember.camille.id
        try await store.write {
            try await $0.setCalendarFeedSecret(
                staffID: camille, secret: String(repeating: "a", count: 52), at: self.now)
        }
        #expect(
            try await store.read { try await $0.staffID(calendarFeedSecret: String(repeating: "a", count: 52)) }
                == camille)
        try await store.write {
            try await $0.setCalendarFeedSecret(
                staffID: camille, secret: String(repeating: "b", count: 52), at: self.now)
        }
        #expect(
            try await store.read { try await $0.staffID(calendarFeedSecret: String(repeating: "a", count: 52)) } == nil)
        #expect(
            try await store.read { try await $0.calendarFeedSecret(staffID: camille) }
                == String(repeating: "b", count: 52))
        try await store.write { try await $0.setCalendarFeedSecret(staffID: camille, secret: nil, at: self.now) }
        #expect(try await store.read { try await $0.calendarFeedSecret(staffID: camille) } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func clientsAreSearchedByNameOrEmail(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(Client.sample(id: "cl_max", email: "max_100%@example.com"))
        }
        func found(_ query: String) async throws -> [String] {
            try await store.read { try await $0.clients(matching: query, limit: 10) }.map(\.id.rawValue)
        }
        #expect(try await found("zoe@") == ["cl_zoe"])
        #expect(try await found("MAX") == ["cl_max"])
        // % and _ are taken literally, not as LIKE's wildcards.
        #expect(try await found("x_1") == ["cl_max"])
        #expect(try await found("x%1").isEmpty)
        #expect(try await found("_100%") == ["cl_max"])
        #expect(try await store.read { try await $0.clients(matching: nil, limit: 10) }.count == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func clientSessionsAndPasswords(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let zoe = Client.sample()
        let session = ClientSession(
            tokenHash: "t1", clientID: zoe.id, createdAt: self.now, expiresAt: self.now.addingTimeInterval(60))
        try await store.write { tx in
            try await tx.insert(zoe)
            try await tx.insert(session)
            try await tx.setClientPassword(zoe.id, hash: "$2b$first", at: self.now)
            try await tx.setClientPassword(zoe.id, hash: "$2b$second", at: self.now)
        }
        #expect(try await store.read { try await $0.clientSession(tokenHash: "t1", at: self.now) } == session)
        #expect(try await store.read { try await $0.clientPasswordHash(zoe.id) } == "$2b$second")
        // Extended, it outlives its first expiry; deleted expired ones go, live ones stay.
        let later = self.now.addingTimeInterval(120)
        try await store.write { try await $0.extendClientSession(tokenHash: "t1", until: later.addingTimeInterval(60)) }
        #expect(try await store.write { try await $0.deleteClientSessions(expiredAt: later) } == 0)
        #expect(try await store.read { try await $0.clientSession(tokenHash: "t1", at: later) }?.clientID == zoe.id)
        try await store.write { try await $0.deleteClientSession(tokenHash: "t1") }
        #expect(try await store.read { try await $0.clientSession(tokenHash: "t1", at: self.now) } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func adminSessionsEndOnSignOutAndExpiredOnesAreDeleted(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let admin = AdminAccount(
            id: AdminID(rawValue: "adm_1"), email: try EmailAddress("a@example.com"), passwordHash: "x",
            createdAt: self.now)
        let live = AdminSession(tokenHash: "live", adminID: admin.id, expiresAt: self.now.addingTimeInterval(3600))
        let other = AdminSession(tokenHash: "other", adminID: admin.id, expiresAt: self.now.addingTimeInterval(3600))
        let old = AdminSession(tokenHash: "old", adminID: admin.id, expiresAt: self.now.addingTimeInterval(-1))
        try await store.write { tx in
            try await tx.insert(admin)
            for session in [live, other, old] { try await tx.insert(session) }
        }
        // When expired sessions are deleted, Then only the expired one goes.
        #expect(try await store.write { try await $0.deleteAdminSessions(expiredAt: self.now) } == 1)
        #expect(
            try await store.read { try await $0.adminSession(tokenHash: "old", at: self.now.addingTimeInterval(-60)) }
                == nil)
        // When one session signs out, Then the other stays.
        try await store.write { try await $0.deleteAdminSession(tokenHash: "live") }
        #expect(try await store.read { try await $0.adminSession(tokenHash: "live", at: self.now) } == nil)
        #expect(try await store.read { try await $0.adminSession(tokenHash: "other", at: self.now) } == other)
    }

    @Test(arguments: StoreKind.allCases)
    func aThrowingTransactionLeavesNothingBehind(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await store.write { tx in
                try await tx.insert(Client.sample())
                throw Boom()
            }
        }
        #expect(try await store.read { try await $0.client(Client.sample().id) } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentTransactionsCommitOrFailEachOnItsOwn(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        struct Refused: Error {}
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        try await store.write { tx in
                            try await tx.insert(Client.sample(id: "cl_\(index)", email: "c\(index)@example.com"))
                            if index % 2 == 1 { throw Refused() }
                        }
                        return (index, true)
                    } catch {
                        return (index, false)
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for index in 0..<40 {
            #expect(outcomes[index] == (index % 2 == 0))
            let stored = try await store.read { try await $0.client(ClientID(rawValue: "cl_\(index)")) }
            #expect((stored != nil) == (index % 2 == 0), "client \(index)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func clientsAreUniqueByNormalizedEmail(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        try await store.write { try await $0.insert(Client.sample()) }
        await #expect(throws: (any Error).self) {
            try await store.write { try await $0.insert(Client.sample(id: "cl_other", email: "ZOE@example.com")) }
        }
        let found = try await store.read { try await $0.client(email: try EmailAddress("Zoe@EXAMPLE.com")) }
        #expect(found?.id == Client.sample().id)
    }

    @Test(arguments: StoreKind.allCases)
    func busyTimesAreSettledBookingsAndLiveHolds(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let client = Client.sample()
        let day = Instants.tuesdayTen
        let live = Booking.sample(
            id: "bk_live", client: client.id, start: day, holdUntil: self.now.addingTimeInterval(600))
        let lapsed = Booking.sample(
            id: "bk_lapsed", client: client.id, start: day.addingTimeInterval(7200),
            holdUntil: self.now.addingTimeInterval(-1))
        var settled = Booking.sample(id: "bk_paid", client: client.id, start: day.addingTimeInterval(14_400))
        _ = try settled.lifecycle.apply(.markedPaidOffline)
        settled.holdUntil = nil
        var canceled = Booking.sample(id: "bk_canceled", client: client.id, start: day.addingTimeInterval(21_600))
        _ = try canceled.lifecycle.apply(.canceled)
        canceled.holdUntil = nil
        let all = [live, lapsed, settled, canceled]
        try await store.write { [all] tx in
            try await tx.insert(client)
            for booking in all { try await tx.insert(booking) }
        }
        let window = DateInterval(start: day.addingTimeInterval(-86_400), end: day.addingTimeInterval(86_400))
        let busy = try await store.read {
            try await $0.busyTimes(
                staffIDs: [StaffMember.camille.id], overlapping: window, at: self.now, excluding: nil)
        }
        #expect(Set(busy.map(\.start)) == [live.start, settled.start])
        let excluding = try await store.read {
            try await $0.busyTimes(
                staffIDs: [StaffMember.camille.id], overlapping: window, at: self.now, excluding: live.id)
        }
        #expect(excluding.map(\.start) == [settled.start])
        let otherStaff = try await store.read {
            try await $0.busyTimes(staffIDs: [StaffMember.noor.id], overlapping: window, at: self.now, excluding: nil)
        }
        #expect(otherStaff.isEmpty)
        // Touching is not overlapping.
        let after = DateInterval(start: settled.end, end: settled.end.addingTimeInterval(3600))
        #expect(
            try await store.read {
                try await $0.busyTimes(
                    staffIDs: [StaffMember.camille.id], overlapping: after, at: self.now, excluding: nil)
            }.isEmpty)
        let lapsedHolds = try await store.read { try await $0.lapsedHolds(at: self.now, limit: 10) }
        #expect(lapsedHolds.map(\.id) == [lapsed.id])
    }

    @Test(arguments: StoreKind.allCases)
    func providerEventsAreRecordedOnce(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        #expect(
            try await store.write {
                try await $0.recordProviderEvent(id: "evt_1", type: "checkout.session.completed", receivedAt: self.now)
            })
        #expect(
            try await !store.write {
                try await $0.recordProviderEvent(id: "evt_1", type: "checkout.session.completed", receivedAt: self.now)
            })
        #expect(
            try await store.write {
                try await $0.recordProviderEvent(id: "evt_2", type: "charge.refunded", receivedAt: self.now)
            })
    }

    @Test(arguments: StoreKind.allCases)
    func recordingAnEventReadsTheBookingItNamesOnlyWhenTheEventIsNew(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let booking = Booking.sample(client: Client.sample().id)
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(booking)
        }
        func record(_ id: String, naming bookingID: BookingID?) async throws -> RecordedProviderEvent {
            try await store.write {
                try await $0.recordProviderEvent(
                    id: id, type: "checkout.session.completed", receivedAt: self.now, naming: bookingID)
            }
        }
        #expect(try await record("evt_1", naming: booking.id) == .recorded(booking: booking))
        #expect(try await record("evt_1", naming: booking.id) == .duplicate)
        #expect(try await record("evt_2", naming: BookingID(rawValue: "bkg_unknown")) == .recorded(booking: nil))
        #expect(try await record("evt_3", naming: nil) == .recorded(booking: nil))
        #expect(try await record("evt_3", naming: nil) == .duplicate)
        // The one-step form and the two-step form share one record of ids.
        #expect(
            try await !store.write {
                try await $0.recordProviderEvent(id: "evt_2", type: "checkout.session.completed", receivedAt: self.now)
            })
        #expect(try await record("evt_4", naming: booking.id) == .recorded(booking: booking))
        await #expect(throws: CancellationError.self) {
            try await store.write { tx -> Void in
                _ = try await tx.recordProviderEvent(
                    id: "evt_5", type: "checkout.session.completed", receivedAt: self.now, naming: booking.id)
                throw CancellationError()
            }
        }
        // An event recorded in a transaction that rolled back was never recorded.
        #expect(try await record("evt_5", naming: booking.id) == .recorded(booking: booking))
    }

    @Test(arguments: StoreKind.allCases)
    func historyAndOutboxKeepTheirOrder(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let booking = Booking.sample(client: Client.sample().id)
        let entries = [
            HistoryEntry(
                bookingID: booking.id, at: self.now, actor: .client(booking.clientID), from: nil, to: .awaitingPayment,
                event: "created"),
            HistoryEntry(
                bookingID: booking.id, at: self.now.addingTimeInterval(60), actor: .provider, from: .awaitingPayment,
                to: .awaitingApproval,
                event: "paymentSucceeded", providerEventID: "evt_1"),
            HistoryEntry(
                bookingID: booking.id, at: self.now.addingTimeInterval(120), actor: .admin(AdminID(rawValue: "adm_1")),
                from: .awaitingApproval,
                to: .approved, event: "approved", reason: "welcome back"),
        ]
        let first = OutboxMessage(
            id: "msg_1", bookingID: booking.id, effect: .emailClient(.bookingReceived), createdAt: self.now)
        let second = OutboxMessage(
            id: "msg_2", bookingID: booking.id,
            effect: .refund(
                RefundOrder(minorUnits: 4500, currency: .eur, paymentIntentID: "pi_1"), idempotencyKey: "k"),
            createdAt: self.now.addingTimeInterval(1))
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(booking)
            for entry in entries { try await tx.append(entry) }
            try await tx.enqueue(first)
            try await tx.enqueue(second)
        }
        #expect(try await store.read { try await $0.history(of: booking.id) } == entries)
        #expect(
            try await store.read {
                try await $0.pendingOutbox(topic: nil, at: self.now.addingTimeInterval(5), limit: 10)
            } == [
                first, second,
            ])
        var delivered = first
        delivered.deliveredAt = self.now.addingTimeInterval(2)
        delivered.attempts = 1
        var retry = second
        retry.attempts = 1
        retry.lastError = "provider unreachable"
        retry.availableAt = self.now.addingTimeInterval(60)
        try await store.write { [delivered, retry] tx in
            try await tx.updateOutbox(delivered)
            try await tx.updateOutbox(retry)
        }
        #expect(
            try await store.read {
                try await $0.pendingOutbox(topic: nil, at: self.now.addingTimeInterval(5), limit: 10)
            }.isEmpty)
        #expect(
            try await store.read {
                try await $0.pendingOutbox(topic: nil, at: self.now.addingTimeInterval(61), limit: 10)
            } == [
                retry
            ])
        #expect(try await store.read { try await $0.outbox(of: booking.id) } == [delivered, retry])
        let providerOnly = try await store.read {
            try await $0.pendingOutbox(topic: .provider, at: self.now.addingTimeInterval(61), limit: 10)
        }
        #expect(providerOnly == [retry])
        #expect(
            try await store.read {
                try await $0.pendingOutbox(topic: .email, at: self.now.addingTimeInterval(61), limit: 10)
            }.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func eachDueOutboxRowIsClaimedByOneWorkerUntilItsLeaseEnds(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let booking = Booking.sample(client: Client.sample().id)
        let messages = (0..<12).map { index in
            OutboxMessage(
                id: "msg_\(index)", bookingID: booking.id, effect: .emailClient(.bookingReceived),
                createdAt: self.now.addingTimeInterval(TimeInterval(index)))
        }
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(booking)
            for message in messages { try await tx.enqueue(message) }
        }
        let at = self.now.addingTimeInterval(60)
        let lease = at.addingTimeInterval(120)
        // Three workers claim at once: every row goes to exactly one of them.
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await store.write {
                        try await $0.claimOutbox(topic: .email, at: at, leaseUntil: lease, limit: 5)
                    }.map(\.id)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let claimed = claims.flatMap { $0 }
        #expect(claimed.count == 12)
        #expect(Set(claimed) == Set(messages.map(\.id)))
        // Oldest first within a claim.
        for claim in claims { #expect(claim == claim.sorted { Int($0.dropFirst(4))! < Int($1.dropFirst(4))! }) }
        // Claimed rows are hidden until the lease ends, then due again (their worker died).
        #expect(
            try await store.write { try await $0.claimOutbox(topic: nil, at: at, leaseUntil: lease, limit: 50) }.isEmpty
        )
        let retaken = try await store.write {
            try await $0.claimOutbox(topic: nil, at: lease, leaseUntil: lease.addingTimeInterval(120), limit: 50)
        }
        #expect(retaken.map(\.id) == messages.map(\.id))
        // A delivered row is never claimed again.
        var delivered = retaken[0]
        delivered.deliveredAt = lease
        try await store.write { [delivered] in try await $0.updateOutbox(delivered) }
        let later = lease.addingTimeInterval(600)
        let rest = try await store.write {
            try await $0.claimOutbox(topic: .email, at: later, leaseUntil: later.addingTimeInterval(120), limit: 50)
        }
        #expect(rest.map(\.id) == Array(messages.map(\.id).dropFirst()))
        #expect(
            try await store.write {
                try await $0.claimOutbox(
                    topic: .provider, at: later.addingTimeInterval(600), leaseUntil: later, limit: 50)
            }.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func loginFailuresAreCountedTakenBackAndForgotten(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let times = (0..<4).map { self.now.addingTimeInterval(TimeInterval($0 * 60)) }
        try await store.write { tx in
            for at in times {
                try await tx.recordLoginFailure(scope: .address, key: "203.0.113.9", at: at)
                try await tx.recordLoginFailure(scope: .account, key: "zoe@example.com", at: at)
            }
            try await tx.recordLoginFailure(scope: .account, key: "max@example.com", at: times[0])
        }
        func failures(_ scope: LoginScope, _ key: String, since: Date) async throws -> [Date] {
            try await store.read { try await $0.loginFailures(scope: scope, key: key, since: since) }
        }
        #expect(try await failures(.address, "203.0.113.9", since: self.now.addingTimeInterval(-1)) == times)
        #expect(try await failures(.address, "203.0.113.9", since: times[1]) == Array(times[2...]))
        #expect(try await failures(.account, "203.0.113.9", since: .distantPast).isEmpty)
        try await store.write { tx in
            try await tx.removeLoginFailure(scope: .address, key: "203.0.113.9", at: times[3])
            try await tx.clearLoginFailures(scope: .account, key: "zoe@example.com")
        }
        #expect(try await failures(.address, "203.0.113.9", since: .distantPast) == Array(times[..<3]))
        #expect(try await failures(.account, "zoe@example.com", since: .distantPast).isEmpty)
        #expect(try await store.write { try await $0.deleteLoginFailures(before: times[1]) } == 2)
        #expect(try await failures(.account, "max@example.com", since: .distantPast).isEmpty)
        #expect(try await failures(.address, "203.0.113.9", since: .distantPast) == Array(times[1..<3]))
    }

    @Test(arguments: StoreKind.allCases)
    func rulesDefaultUntilSavedAndCatalogKeepsItsOrder(kind: StoreKind) async throws {
        let store = try await kind.makeStore()
        #expect(try await store.read { try await $0.rules() } == .standard)
        var rules = BookingRules.standard
        rules.approvalMode = .automatic
        rules.allowedEmailPattern = "*@example.com"
        try await store.write { [rules] in try await $0.save(rules) }
        #expect(try await store.read { try await $0.rules() } == rules)
        try await store.write { tx in for service in Service.samples { try await tx.save(service) } }
        var renamed = Service.chatFirst
        renamed.name = "Première discussion"
        try await store.write { [renamed] in try await $0.save(renamed) }
        let services = try await store.read { try await $0.services() }
        #expect(services.map(\.id) == Service.samples.map(\.id))
        #expect(services.first?.name == "Première discussion")
    }

    @Test(arguments: StoreKind.allCases)
    func schedulesRoundTrip(kind: StoreKind) async throws {
        let store = try await kind.makeStore()
        var schedule = StaffSchedule.paris()
        schedule.daysOff = [try DateRange(first: LocalDate(iso: "2026-12-24")!, last: LocalDate(iso: "2027-01-02")!)]
        schedule.specialDays = [
            SpecialDay(
                date: LocalDate(iso: "2026-12-19")!,
                intervals: [
                    try WorkingInterval(start: LocalTime(hour: 10)!, end: LocalTime(hour: 13)!, location: .home)
                ])
        ]
        try await store.write { [schedule] in try await $0.save(StaffMember.camille, schedule: schedule) }
        #expect(try await store.read { try await $0.schedules() } == [schedule])
        #expect(try await store.read { try await $0.staff() } == [StaffMember.camille])
    }

    @Test(arguments: StoreKind.allCases)
    func idempotencyKeysRememberTheirBooking(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let booking = Booking.sample(client: Client.sample().id)
        let record = IdempotencyRecord(key: "key-1", fingerprint: "f", bookingID: booking.id, createdAt: self.now)
        try await store.write { tx in
            try await tx.insert(Client.sample())
            try await tx.insert(booking)
            try await tx.remember(record)
        }
        #expect(try await store.read { try await $0.idempotencyRecord(key: "key-1") } == record)
        #expect(try await store.read { try await $0.idempotencyRecord(key: "key-2") } == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func listsFilterByViewStateAndTime(kind: StoreKind) async throws {
        let store = try await self.practice(kind).store
        let zoe = Client.sample()
        let banned = Client(
            id: ClientID(rawValue: "cl_ban"), name: "Max", email: try EmailAddress("max@example.com"), isBanned: true,
            createdAt: self.now)
        let open = Booking.sample(id: "bk_open", client: zoe.id)
        var archived = Booking.sample(
            id: "bk_archived", client: zoe.id, start: Instants.tuesdayTen.addingTimeInterval(86_400))
        _ = try archived.lifecycle.apply(.canceled)
        archived.holdUntil = nil
        archived.archivedAt = self.now
        let bannedBooking = Booking.sample(
            id: "bk_banned", client: banned.id, start: Instants.tuesdayTen.addingTimeInterval(2 * 86_400))
        try await store.write { [archived] tx in
            try await tx.insert(zoe)
            try await tx.insert(banned)
            for booking in [open, archived, bannedBooking] { try await tx.insert(booking) }
        }
        func ids(_ filter: BookingFilter) async throws -> [String] {
            try await store.read { try await $0.bookings(matching: filter) }.map(\.id.rawValue)
        }
        #expect(try await ids(BookingFilter()) == ["bk_open"])
        #expect(try await ids(BookingFilter(view: .archived)) == ["bk_archived"])
        #expect(try await ids(BookingFilter(view: .banned)) == ["bk_banned"])
        #expect(try await ids(BookingFilter(states: [.approved])) == [])
        #expect(try await ids(BookingFilter(states: [.awaitingPayment], from: Instants.tuesdayTen)) == ["bk_open"])
        #expect(try await ids(BookingFilter(from: Instants.tuesdayTen.addingTimeInterval(1))) == [])
    }
}
