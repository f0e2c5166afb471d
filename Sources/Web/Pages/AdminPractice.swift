import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Workflow

// The practice's catalog (sessions: name, Chat or Call, first session or additional time, duration, price, offered)
// and its booking rules, each with its current value and what it means.
extension AdminPages {
    struct ServiceForm {
        var id: String
        var name: String
        var categories: [Option]
        var kinds: [Option]
        var duration: String
        var price: String
        var active: Bool
        var isNew: Bool
    }

    struct RuleField {
        var key: String
        var label: String
        var help: String
        var value: String
        var isNumber: Bool
        var isText: Bool
        var isCheck: Bool
        var checked: Bool
        var choices: [Option]
        var isChoice: Bool
    }

    struct PracticeModel {
        var formToken: String
        var currency: String
        var priceLabel: String
        var services: [ServiceForm]
        var rules: [RuleField]
        var notice: String?
        var problem: String?
    }

    func addPracticeRoutes(to router: Router<AppContext>) {
        router.get("admin/practice") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            return try await self.practicePage(visit, notice: visit.query["done"] != nil ? "admin.done" : nil)
        }
        router.post("admin/practice/services") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
            return try await self.saving(visit) { try await self.saveService(form, visit) }
        }
        router.post("admin/practice/rules") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
            return try await self.saving(visit) { try await self.saveRules(form) }
        }
    }

    /// Runs a save: back to the page when done, the page with what is wrong otherwise.
    private func saving(_ visit: PageVisit, _ save: () async throws -> Void) async throws -> Response {
        do {
            try await save()
            return ClientArea.redirect("/admin/practice?done=1")
        } catch let error as BookingError {
            return try await self.practicePage(
                visit, problem: self.ruleProblem(error, visit) ?? self.pages.adminProblem(error, visit),
                status: .unprocessableContent)
        }
    }

    /// A rule's number out of its range, or not a number, told with the rule's label and its range.
    private func ruleProblem(_ error: BookingError, _ visit: PageVisit) -> String? {
        guard case .invalidField(let field, _) = error, let range = BookingRules.ranges[field] else { return nil }
        let words = self.renderer.words
        return words.text(
            "admin.invalid.range", visit.language,
            [
                "field": words.text("rules.\(field)", visit.language), "low": "\(range.lowerBound)",
                "high": "\(range.upperBound)",
            ])
    }

    private func saveService(_ form: [String: String], _ visit: PageVisit) async throws {
        let services = try await self.workflow.practice.services()
        let currency = services.first?.price.currency ?? Currency("EUR")!
        let existing = form["id"].flatMap { id in services.first { $0.id.rawValue == id } }
        guard let category = form["category"].flatMap(ServiceCategory.init(rawValue:)),
            let kind = form["kind"].flatMap(ServiceKind.init(rawValue:))
        else { throw BookingError.invalidField(field: "category", reason: "pick one") }
        guard let duration = Int(form["duration"] ?? "") else {
            throw BookingError.invalidField(field: "durationMinutes", reason: "must be a whole number of minutes")
        }
        guard let minor = Self.minorUnits(form["price"] ?? "") else {
            throw BookingError.invalidField(
                field: "price", reason: self.renderer.words.text("catalog.badPrice", visit.language))
        }
        let name = try Client.validatedName(form["name"] ?? "")
        var service =
            existing
            ?? Service(
                id: self.workflow.ids.make(ServiceID.self), name: name, category: category, kind: kind,
                durationMinutes: duration, price: Money(minorUnits: minor, currency: currency))
        service.name = name
        service.category = category
        service.kind = kind
        service.durationMinutes = duration
        service.price = Money(minorUnits: minor, currency: existing?.price.currency ?? currency)
        service.isActive = form["active"] == "on"
        try await self.workflow.practice.saveService(service)
    }

    /// `45`, `45.5`, `45.00` or `45,00` as minor units; nil for anything else.
    static func minorUnits(_ text: String) -> Int64? {
        let parts = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
            .split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0, whole < 1_000_000 else {
            return nil
        }
        guard parts.count == 2 else { return whole * 100 }
        let cents = String(parts[1])
        guard (1...2).contains(cents.count), let fraction = Int64(cents) else { return nil }
        return whole * 100 + (cents.count == 1 ? fraction * 10 : fraction)
    }

    private func saveRules(_ form: [String: String]) async throws {
        var rules = try await self.workflow.practice.rules()
        func number(_ key: String) throws -> Int {
            guard let value = Int(form[key] ?? "") else {
                throw BookingError.invalidField(field: key, reason: "must be a whole number")
            }
            return value
        }
        func optionalNumber(_ key: String) throws -> Int? {
            guard let text = form[key], !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            return try number(key)
        }
        rules.approvalMode = form["approvalMode"].flatMap(ApprovalMode.init(rawValue:)) ?? rules.approvalMode
        rules.clientPaymentWindowMinutes = try number("clientPaymentWindowMinutes")
        rules.adminPaymentWindowMinutes = try number("adminPaymentWindowMinutes")
        rules.minimumLeadTimeMinutes = try number("minimumLeadTimeMinutes")
        rules.maximumAdvanceDays = try number("maximumAdvanceDays")
        rules.maxBookingsPerClientPerDay = try optionalNumber("maxBookingsPerClientPerDay")
        rules.maxBookingsPerClientPerWeek = try optionalNumber("maxBookingsPerClientPerWeek")
        rules.onlyExistingClients = form["onlyExistingClients"] == "on"
        let pattern = (form["allowedEmailPattern"] ?? "").trimmingCharacters(in: .whitespaces)
        rules.allowedEmailPattern = pattern.isEmpty ? nil : pattern
        rules.clientCancellationNoticeHours = try number("clientCancellationNoticeHours")
        rules.slotStepMinutes = try number("slotStepMinutes")
        try await self.workflow.practice.saveRules(rules)
    }

    private func practicePage(
        _ visit: PageVisit, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let words = self.renderer.words
        let text = { (key: String) in words.text(key, visit.language) }
        let services = try await self.workflow.practice.services()
        let currency = services.first?.price.currency.code ?? "EUR"
        func form(_ service: Service?) -> ServiceForm {
            ServiceForm(
                id: service?.id.rawValue ?? "new", name: service?.name ?? "",
                categories: ServiceCategory.allCases.map {
                    Option(
                        value: $0.rawValue, label: text("category.\($0.rawValue)"), selected: $0 == service?.category)
                },
                kinds: ServiceKind.allCases.map {
                    Option(value: $0.rawValue, label: text("service.\($0.rawValue)"), selected: $0 == service?.kind)
                }, duration: service.map { "\($0.durationMinutes)" } ?? "45",
                price: service.map { Self.decimal($0.price.minorUnits, in: visit.language) } ?? "",
                active: service?.isActive ?? true,
                isNew: service == nil)
        }
        let rules = try await self.workflow.practice.rules()
        func field(_ key: String, _ value: String, number: Bool = true) -> RuleField {
            RuleField(
                key: key, label: text("rules.\(key)"), help: text("rules.\(key).help"), value: value, isNumber: number,
                isText: !number, isCheck: false, checked: false, choices: [], isChoice: false)
        }
        var onlyExisting = field("onlyExistingClients", "", number: false)
        onlyExisting.isText = false
        onlyExisting.isCheck = true
        onlyExisting.checked = rules.onlyExistingClients
        var approval = field("approvalMode", "", number: false)
        approval.isText = false
        approval.isChoice = true
        approval.choices = [ApprovalMode.manual, .automatic].map {
            Option(
                value: $0.rawValue, label: text("rules.approvalMode.\($0.rawValue)"), selected: $0 == rules.approvalMode
            )
        }
        let ruleFields = [
            approval, field("clientPaymentWindowMinutes", "\(rules.clientPaymentWindowMinutes)"),
            field("adminPaymentWindowMinutes", "\(rules.adminPaymentWindowMinutes)"),
            field("minimumLeadTimeMinutes", "\(rules.minimumLeadTimeMinutes)"),
            field("maximumAdvanceDays", "\(rules.maximumAdvanceDays)"),
            field("maxBookingsPerClientPerDay", rules.maxBookingsPerClientPerDay.map { "\($0)" } ?? ""),
            field("maxBookingsPerClientPerWeek", rules.maxBookingsPerClientPerWeek.map { "\($0)" } ?? ""),
            onlyExisting, field("allowedEmailPattern", rules.allowedEmailPattern ?? "", number: false),
            field("clientCancellationNoticeHours", "\(rules.clientCancellationNoticeHours)"),
            field("slotStepMinutes", "\(rules.slotStepMinutes)"),
        ]
        let model = PracticeModel(
            formToken: visit.formToken, currency: currency,
            priceLabel: words.text("catalog.price", visit.language, ["currency": currency]),
            services: services.map(form) + [form(nil)], rules: ruleFields, notice: notice.map(text), problem: problem)
        return self.renderer.page("admin-practice", model, title: "catalog.title", for: visit, status: status)
    }

    /// `4500` as `45.00`, or `45,00` in French, as an admin of that language writes it (both are read back).
    static func decimal(_ minor: Int64, in language: Language) -> String {
        let separator = language == .fr ? "," : "."
        return "\(minor / 100)\(separator)\(minor % 100 < 10 ? "0" : "")\(minor % 100)"
    }
}
