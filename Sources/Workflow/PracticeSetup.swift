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
