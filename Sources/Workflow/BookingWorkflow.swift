import Booking
import Foundation
import Payments

/// The use cases the three users drive, over one shared context built once by the composition root:
/// `clients` (slots, booking, the client's own decisions), `admin` (bookings by hand and every decision),
/// `payments` (payment links, provider events, reconciliation), `holds` (lapsed holds), `practice` (catalog,
/// schedules, rules), `accounts` (admins, sessions, single-use links) and `outbox` (delivering side effects).
public struct BookingWorkflow: Sendable {
    public let context: WorkflowContext

    public init(
        store: any BookingStore, provider: any PaymentProvider, links: PublicLinks,
        clock: any WallClock = SystemWallClock(), ids: any IdentifierGenerator = RandomIdentifierGenerator(),
        assignment: StaffAssignment = .firstInScheduleOrder, outboxLease: TimeInterval = OutboxDelivery.defaultLease,
        workBell: WorkBell? = nil
    ) {
        self.context = WorkflowContext(
            store: store, clock: clock, ids: ids, provider: provider, links: links, assignment: assignment,
            outboxLease: outboxLease, workBell: workBell)
    }

    public var clock: any WallClock { self.context.clock }
    public var ids: any IdentifierGenerator { self.context.ids }
    public var links: PublicLinks { self.context.links }

    public var clients: ClientBooking { ClientBooking(context: self.context) }
    public var admin: AdminBooking { AdminBooking(context: self.context) }
    public var payments: PaymentIntake { PaymentIntake(context: self.context) }
    public var holds: Holds { Holds(context: self.context) }
    public var practice: PracticeAdministration { PracticeAdministration(context: self.context) }
    public var accounts: Accounts { Accounts(context: self.context) }
    public var clientAccounts: ClientAccounts { ClientAccounts(context: self.context) }
    public var outbox: OutboxDelivery { OutboxDelivery(context: self.context) }
    public var logins: LoginAttempts { LoginAttempts(context: self.context) }

    // MARK: - Reads every side shares

    /// A booking by id.
    public func booking(_ id: BookingID) async throws -> Booking {
        try await self.context.store.read { try ClientBooking.require(await $0.booking(id)) }
    }

    /// A booking by its client's access token.
    public func booking(accessToken: AccessToken) async throws -> Booking {
        try await self.context.store.read { try ClientBooking.require(await $0.booking(accessToken: accessToken)) }
    }

    /// A booking's history, oldest first.
    public func history(of id: BookingID) async throws -> [HistoryEntry] {
        try await self.context.store.read { try await $0.history(of: id) }
    }

    /// The zones a booking's times are shown in: the practice's (its staff member's schedule, else UTC) and the
    /// client's (their own when they gave one, else the practice's).
    public func timeZones(of booking: Booking) async throws -> (practice: String, client: String) {
        try await self.context.store.read { reader in
            let practice = try await reader.practiceTimeZone(of: booking)
            let client = try await reader.client(booking.clientID)
            return (practice, client?.displayTimeZone(practice: practice) ?? practice)
        }
    }
}

extension BookingStoreReader {
    /// The zone the practice keeps a booking's times in: its staff member's schedule, else UTC.
    public func practiceTimeZone(of booking: Booking) async throws -> String {
        try await self.schedules().first { $0.staffID == booking.staffID }?.timeZone ?? "UTC"
    }
}
