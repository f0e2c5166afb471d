import Booking
import Foundation

extension BookingWorkflow {
    static let linkKeySetting = "links.signing_key"

    /// The secret that signs links sent to clients (sign-in links): made once, kept in the database, so links stay
    /// valid across restarts and instances.
    public func linkSigningKey() async throws -> String {
        if let key = try await self.store.read({ try await $0.setting(Self.linkKeySetting) }) { return key }
        let fresh = self.ids.token(length: 52)
        return try await self.store.write { tx in
            // Another instance may have made one meanwhile: the first stored wins.
            if let key = try await tx.setting(Self.linkKeySetting) { return key }
            try await tx.saveSetting(Self.linkKeySetting, value: fresh)
            return fresh
        }
    }

    /// Whether a single-use link was used already (without using it).
    public func linkWasUsed(nonce: String) async throws -> Bool {
        try await self.store.read { try await $0.setting(Self.usedLinkSetting(nonce)) } != nil
    }

    static func usedLinkSetting(_ nonce: String) -> String { "links.used.\(nonce)" }

    /// Marks a single-use link used; false when it was used before. Check and mark are one write transaction.
    public func redeemOnce(linkNonce nonce: String) async throws -> Bool {
        let now = self.clock.now()
        return try await self.store.write { tx in
            let key = Self.usedLinkSetting(nonce)
            if try await tx.setting(key) != nil { return false }
            try await tx.saveSetting(key, value: "\(Int64(now.timeIntervalSince1970))")
            return true
        }
    }

    /// The zones a booking's times are shown in: the practice's (its staff member's schedule, else UTC) and the
    /// client's (their own when they gave one, else the practice's).
    public func timeZones(of booking: Booking) async throws -> (practice: String, client: String) {
        try await self.store.read { reader in
            let practice = try await reader.practiceTimeZone(of: booking)
            let client = try await reader.client(booking.clientID)
            return (practice, client?.displayTimeZone(practice: practice) ?? practice)
        }
    }

    /// A client and their bookings, the latest appointment first (the client area).
    public func clientArea(_ id: ClientID) async throws -> (client: Client, bookings: [Booking]) {
        try await self.store.read { reader in
            guard let client = try await reader.client(id) else { throw BookingError.notFound(what: "client") }
            return (
                client,
                try await reader.bookings(of: id).sorted { ($0.start, $0.id.rawValue) > ($1.start, $1.id.rawValue) }
            )
        }
    }
}

extension BookingStoreReader {
    /// The zone the practice keeps a booking's times in: its staff member's schedule, else UTC.
    public func practiceTimeZone(of booking: Booking) async throws -> String {
        try await self.schedules().first { $0.staffID == booking.staffID }?.timeZone ?? "UTC"
    }
}
