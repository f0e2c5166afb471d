import Booking
import Foundation

/// A practice's catalog, staff with their schedules, and rules, as one document (the demo in `Fixtures/`).
public struct PracticeSetup: Hashable, Sendable, Codable {
    /// A staff member with their schedule.
    public struct StaffEntry: Hashable, Sendable, Codable {
        public var member: StaffMember
        public var schedule: StaffSchedule

        public init(member: StaffMember, schedule: StaffSchedule) {
            self.member = member
            self.schedule = schedule
        }
    }

    public var services: [Service]
    public var staff: [StaffEntry]
    public var rules: BookingRules

    public init(services: [Service], staff: [StaffEntry], rules: BookingRules = .standard) {
        self.services = services
        self.staff = staff
        self.rules = rules
    }

    /// Reads a setup document (JSON); the error names the file and says what is wrong with it.
    public static func load(from url: URL) throws(SetupFileError) -> PracticeSetup {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SetupFileError(path: url.path, problem: "cannot be read (\(Self.reason(error)))")
        }
        do {
            return try JSONDecoder().decode(PracticeSetup.self, from: data)
        } catch let error as DecodingError {
            throw SetupFileError(path: url.path, problem: "is not a practice document: \(Self.describe(error))")
        } catch {
            throw SetupFileError(path: url.path, problem: "is not a practice document: \(error)")
        }
    }

    /// The demo practice, shipped inside the build (so `serve` gives the same demo from any folder): Chat and
    /// Call, each as a first session and as additional time, one staff member in Paris, default rules.
    public static func demo() throws(SetupFileError) -> PracticeSetup {
        guard let url = Bundle.module.url(forResource: "demo-practice", withExtension: "json") else {
            throw SetupFileError(path: "demo-practice.json", problem: "is missing from this build's resources")
        }
        return try Self.load(from: url)
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError { return "no such file" }
        return nsError.localizedDescription
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context)
            return "\(at.isEmpty ? "" : at + ".")\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A practice document that cannot be used: which file, and what is wrong with it.
public struct SetupFileError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public var description: String { "the practice setup \(self.path) \(self.problem)" }
}

extension BookingWorkflow {
    /// Installs a setup into an empty store; returns false (and changes nothing) when a catalog already exists.
    @discardableResult
    public func installIfEmpty(_ setup: PracticeSetup) async throws -> Bool {
        for service in setup.services { _ = try service.validated() }
        for entry in setup.staff {
            guard entry.member.id == entry.schedule.staffID else {
                throw BookingError.invalidField(
                    field: "staff", reason: "schedule of \(entry.schedule.staffID) filed under \(entry.member.id)")
            }
            _ = try entry.schedule.validated()
        }
        let rules = try setup.rules.validated()
        return try await self.store.write { tx in
            guard try await tx.services().isEmpty else { return false }
            for service in setup.services { try await tx.save(service) }
            for entry in setup.staff { try await tx.save(entry.member, schedule: entry.schedule) }
            try await tx.save(rules)
            return true
        }
    }

    /// Saves a staff member's schedule (working hours, buffer, days off, special days, services).
    public func saveSchedule(_ schedule: StaffSchedule, name: String) async throws {
        let schedule = try schedule.validated()
        let name = try Client.validatedName(name)
        try await self.store.write { tx in
            let known = Set(try await tx.services().map(\.id))
            if let unknown = schedule.serviceIDs.first(where: { !known.contains($0) }) {
                throw BookingError.invalidField(field: "serviceIds", reason: "unknown service \(unknown)")
            }
            try await tx.save(StaffMember(id: schedule.staffID, name: name), schedule: schedule)
        }
    }

    /// Saves the booking rules. Existing bookings keep the copy they were made with.
    public func saveRules(_ rules: BookingRules) async throws {
        let rules = try rules.validated()
        try await self.store.write { tx in try await tx.save(rules) }
    }

    /// Adds or edits a service of the catalog.
    public func saveService(_ service: Service) async throws {
        let service = try service.validated()
        try await self.store.write { tx in try await tx.save(service) }
    }

    /// The current rules.
    public func rules() async throws -> BookingRules { try await self.store.read { try await $0.rules() } }

    /// The catalog, in display order.
    public func services() async throws -> [Service] { try await self.store.read { try await $0.services() } }

    /// Staff schedules, in order of preference.
    public func schedules() async throws -> [StaffSchedule] { try await self.store.read { try await $0.schedules() } }
}
