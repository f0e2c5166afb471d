import Booking
import Foundation
import Mustache
import Workflow

/// Who the emails come from and how they are signed.
public struct EmailBranding: Hashable, Sendable {
    /// The practice's name, in subjects, bodies and calendar events.
    public var businessName: String
    /// Closes every email; may span lines.
    public var signature: String
    /// `MAIL_FROM`.
    public var from: Mailbox
    /// Every link the emails carry, built on `RENDEZVOUS_PUBLIC_URL`.
    public var links: PublicLinks
    /// The practice's language (`RENDEZVOUS_LANGUAGE`): admins' emails, and clients who chose none.
    public var language: Language

    public init(businessName: String, signature: String, from: Mailbox, links: PublicLinks, language: Language = .en) {
        self.language = language
        self.businessName = businessName
        self.signature = signature
        self.from = from
        self.links = links
    }

    /// The domain of Message-IDs: the sender's.
    var messageIDDomain: String { self.from.address.split(separator: "@").last.map(String.init) ?? "rendezvous.local" }

    /// Add-to-calendar links for Google, Outlook and Yahoo, and the `.ics`. The event those sites receive names no
    /// booking URL: the booking page's token lets whoever holds it act on the booking, and the text sent there is
    /// kept by a third party. The site's public URL stands in its place; the `.ics` (fetched by the client's own
    /// calendar) keeps the booking's link.
    public func addToCalendarLinks(for booking: Booking, stamp: Date, language: Language) -> AddToCalendarLinks {
        var event = self.calendarEvent(for: booking, stamp: stamp, language: language)
        event.description = [
            self.about(booking, language), self.joining(booking, language),
            self.words.word("calendar.bookingPageInEmails", language, ["site": self.links.site]),
        ].joined(separator: "\n")
        event.url = self.links.site
        return AddToCalendarLinks(
            event: event, icsURL: self.links.calendarFile(booking.accessToken, language: language))
    }

    /// "Chat with Cabinet Martin."
    private func about(_ booking: Booking, _ language: Language) -> String {
        let names = booking.lines.map(\.name).joined(separator: " + ")
        return self.words.word("calendar.description", language, ["services": names, "business": self.businessName])
    }

    /// How the client joins the session.
    private func joining(_ booking: Booking, _ language: Language) -> String {
        self.words.word(booking.lines.first?.category == .call ? "calendar.joinCall" : "calendar.joinChat", language)
    }

    /// The texts of calendar events.
    private var words: EmailWords { .bundled }

    /// The booking as a calendar event, in the state it is in now, its texts in `language`.
    public func calendarEvent(for booking: Booking, stamp: Date, language: Language) -> CalendarEvent {
        let status: CalendarEvent.Status =
            switch booking.state {
            case .approved, .completed: .confirmed
            case .canceled, .rejected, .expired, .noShow: .cancelled
            case .awaitingPayment, .awaitingClientConfirmation, .awaitingApproval: .tentative
            }
        let category = booking.lines.first?.category ?? .chat
        let names = booking.lines.map(\.name).joined(separator: " + ")
        let page = self.links.bookingPage(booking.accessToken)
        return CalendarEvent(
            uid: "\(booking.id)@rendezvous", sequence: booking.sequence, stamp: stamp, start: booking.start,
            end: booking.end, summary: "\(names) — \(self.businessName)",
            description: [
                self.about(booking, language), self.joining(booking, language),
                self.words.word("calendar.bookingPage", language, ["url": page]),
            ].joined(separator: "\n"),
            location: self.words.word(category == .call ? "calendar.locationCall" : "calendar.locationChat", language),
            url: self.links.bookingPage(booking.accessToken),
            organizerName: self.businessName, organizerEmail: self.from.address, status: status)
    }
}

extension EmailBranding {
    /// A booking as its staff member's calendar shows it: the client and the session, linking to the booking's
    /// admin page (never the client's own link, which is theirs alone). Pending bookings are tentative.
    public func staffEvent(for booking: Booking, client: Client?, stamp: Date) -> CalendarEvent {
        var event = self.calendarEvent(for: booking, stamp: stamp, language: self.language)
        let names = booking.lines.map(\.name).joined(separator: " + ")
        let who = client.map { "\($0.name) <\($0.email.value)>" + ($0.phone.map { ", \($0)" } ?? "") } ?? ""
        event.summary = "\(names) — \(client?.name ?? booking.clientID.rawValue)"
        event.description =
            "\(names)\n\(who)" + (booking.clientNote.map { "\n\n\($0)" } ?? "")
            + "\n\n\(self.links.adminBooking(booking.id))"
        event.url = nil
        return event
    }
}

/// What an email is about.
public enum EmailSubjectMatter: Hashable, Sendable {
    case client(ClientNotice)
    case admins(AdminNotice)

    /// The template's name.
    var templateName: String {
        switch self {
        case .client(let notice): "client/\(notice.rawValue)"
        case .admins(let notice): "admin/\(notice.rawValue)"
        }
    }
}

/// Renders emails from the Mustache templates in `Templates/`: one file per email, whose first line is the
/// subject and whose paragraphs (separated by blank lines) make the body; the text and HTML layouts wrap them
/// with the action link, the details, the add-to-calendar links and the signature.
public struct EmailComposer: Sendable {
    public let branding: EmailBranding
    /// Signs the client-area links of account emails; without it those emails cannot be written.
    public let links: SignedLink?
    /// How long a sign-in link works.
    public static let signInLinkLifetime: TimeInterval = 7 * 86_400
    private let library: MustacheLibrary
    /// The words the composer itself puts in emails (buttons, labels, date patterns), one file per language.
    let words: EmailWords

    public init(branding: EmailBranding, links: SignedLink? = nil) throws {
        self.branding = branding
        self.links = links
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw ComposerError.templatesMissing
        }
        self.library = try Self.loadLibrary(folder)
        self.words = try EmailWords.load(folder)
    }

    /// A word of `language`, with its `{name}` values filled in.
    func word(_ key: String, _ language: Language, _ values: [String: String] = [:]) -> String {
        self.words.word(key, language, values)
    }

    enum ComposerError: Error, CustomStringConvertible {
        case templatesMissing
        case templateMissing(String)
        case emptyTemplate(String)
        case noLinkSigner

        var description: String {
            switch self {
            case .noLinkSigner: "no key to sign client links with"
            case .templatesMissing: "the email templates are not in the bundle"
            case .templateMissing(let name): "no email template named \(name)"
            case .emptyTemplate(let name): "the template \(name) rendered no subject"
            }
        }
    }

    static func loadLibrary(_ folder: URL) throws -> MustacheLibrary {
        var library = MustacheLibrary()
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "mustache" else { continue }
            let relative = file.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1)
            try library.register(
                String(contentsOf: file, encoding: .utf8), named: String(relative.dropLast(".mustache".count)))
        }
        return library
    }

    /// The email for a booking's client or its admins. `recipients` are the admins' addresses for an admin email;
    /// the client's otherwise.
    /// Written in the client's language (theirs, else the practice's) or, to admins, in the practice's.
    public func compose(
        _ matter: EmailSubjectMatter, id: String, booking: Booking, client: Client, timeZone: String,
        recipients: [Mailbox]? = nil, noteForClient: String? = nil, now: Date
    ) throws -> EmailMessage {
        let language: Language =
            if case .admins = matter { self.branding.language } else { client.language ?? self.branding.language }
        let event = self.branding.calendarEvent(for: booking, stamp: now, language: language)
        var model = self.model(booking: booking, client: client, timeZone: timeZone, language: language)
        let pay = [
            "label": self.word("action.pay", language, ["amount": booking.price.formatted(in: language)]),
            "url": self.branding.links.payment(booking.accessToken),
        ]
        let see = [
            "label": self.word("action.seeBooking", language),
            "url": self.branding.links.bookingPage(booking.accessToken),
        ]
        var attachments: [EmailAttachment] = []
        var action: [String: String]?
        switch matter {
        case .client(let notice):
            switch notice {
            case .bookingReceived, .paymentRequested, .paymentFailed, .paymentReminder:
                action = pay
            case .bookingCreatedByAdmin:
                action = model["needsPayment"] as? Bool == true ? pay : see
            case .confirmationRequested:
                action = [
                    "label": self.word("action.confirm", language),
                    "url": self.branding.links.bookingPage(booking.accessToken),
                ]
            case .paymentReceived, .approved, .rejected, .canceled, .rescheduled, .paymentLapsed,
                .latePaymentRefunded, .pendingAgain:
                action = see
            case .accountInvitation:
                guard let links = self.links else { throw ComposerError.noLinkSigner }
                let expiry = now.addingTimeInterval(Self.signInLinkLifetime)
                let token = links.token(
                    for: .init(purpose: .signIn, subject: client.id.rawValue, expiresAt: expiry, nonce: id))
                let url = self.branding.links.clientSignIn(token: token)
                model["accountURL"] = url
                model["linkExpiry"] = Self.format(
                    expiry, self.word("date.dayAndTime", language), TimeZone(identifier: timeZone) ?? .gmt, language)
                action = ["label": self.word("action.clientArea", language), "url": url]
            }
            if [.bookingCreatedByAdmin, .approved, .rescheduled, .canceled, .rejected].contains(notice) {
                attachments.append(self.calendarAttachment(event))
            }
            if [.bookingCreatedByAdmin, .approved, .rescheduled, .paymentReceived].contains(notice) {
                let links = self.branding.addToCalendarLinks(for: booking, stamp: now, language: language)
                model["calendar"] = [
                    "google": links.google, "outlook": links.outlook, "yahoo": links.yahoo, "ics": links.ics,
                ]
            }
        case .admins:
            action = [
                "label": self.word("action.openBooking", language), "url": self.branding.links.adminBooking(booking.id),
            ]
        }
        model["action"] = action

        let name = "\(language.rawValue)/\(matter.templateName)"
        guard let rendered = self.library.render(model, withTemplate: name) else {
            throw ComposerError.templateMissing(name)
        }
        var (rawSubject, paragraphs) = try Self.split(rendered, template: name)
        if let noteForClient {
            paragraphs.append(
                self.word("noteFromPractice", language, ["business": self.branding.businessName]) + " " + noteForClient)
        }
        // NB: names reach subjects; stored text is already checked, and this keeps older rows from bending a subject.
        let subject = TypedText.singleLine(rawSubject)
        model["subject"] = subject
        model["paragraphs"] = paragraphs
        model["details"] = self.details(booking: booking, model: model, language: language)
        model["signatureLines"] = self.branding.signature.split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        let text = self.library.render(model, withTemplate: "\(language.rawValue)/layout.text") ?? ""
        let html = self.library.render(model, withTemplate: "\(language.rawValue)/layout.html") ?? ""
        return EmailMessage(
            id: id, messageID: "<\(id)@\(self.branding.messageIDDomain)>", from: self.branding.from,
            to: recipients ?? [Mailbox(name: client.name, address: client.email.value)], subject: subject, date: now,
            text: Self.normalizedText(text), html: html, attachments: attachments)
    }

    /// How long a sign-in link a client asked for works.
    public static let requestedSignInLinkLifetime: TimeInterval = 30 * 60

    /// The email a client asks for on the sign-in page: a signed, single-use link to their client area, valid for
    /// `requestedSignInLinkLifetime`. `id` is the message's id and the link's nonce.
    public func signInLink(for client: Client, id: String, timeZone: String, now: Date) throws -> EmailMessage {
        guard let links = self.links else { throw ComposerError.noLinkSigner }
        let expiry = now.addingTimeInterval(Self.requestedSignInLinkLifetime)
        let token = links.token(
            for: .init(purpose: .signIn, subject: client.id.rawValue, expiresAt: expiry, nonce: id))
        let url = self.branding.links.clientSignIn(token: token)
        let language = client.language ?? self.branding.language
        let model: [String: Any] = [
            "business": self.branding.businessName, "clientName": client.name,
            "linkExpiry": Self.format(
                expiry, self.word("date.dayAndTime", language) + " (zzz)", TimeZone(identifier: timeZone) ?? .gmt,
                language),
            "action": ["label": self.word("action.signIn", language), "url": url],
        ]
        return try self.standalone(
            "\(language.rawValue)/client/signInLink", model: model, language: language,
            to: Mailbox(name: client.name, address: client.email.value), id: id, now: now)
    }

    /// The `.ics` of a booking as it stands, its texts in `language`.
    public func calendarFile(for booking: Booking, now: Date, language: Language) -> String {
        ICalendar.document(for: self.branding.calendarEvent(for: booking, stamp: now, language: language))
    }

    private func calendarAttachment(_ event: CalendarEvent) -> EmailAttachment {
        let method = event.status == .cancelled ? "CANCEL" : "PUBLISH"
        return EmailAttachment(
            filename: "booking.ics", contentType: "text/calendar; charset=UTF-8; method=\(method)",
            content: Data(ICalendar.document(for: event).utf8))
    }

    /// The values every template may use.
    func model(booking: Booking, client: Client, timeZone: String, language: Language = .en) -> [String: Any] {
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        let category = booking.lines.first?.category ?? .chat
        let minutes = booking.lines.reduce(0) { $0 + $1.durationMinutes }
        var model: [String: Any] = [
            "business": self.branding.businessName,
            "clientName": client.name,
            "clientEmail": client.email.value,
            "services": booking.lines.map(\.name).joined(separator: " + "),
            "category": self.word("category.\(category.rawValue)", language),
            "isCall": category == .call,
            "isChat": category == .chat,
            "kind": self.word(
                booking.lines.contains { $0.kind == .initial } ? "kind.session" : "kind.additionalTime", language),
            "date": Self.format(booking.start, self.word("date.day", language), zone, language),
            "time": "\(Self.format(booking.start, "HH:mm", zone))–\(Self.format(booking.end, "HH:mm", zone))",
            "timeZone": zone.identifier,
            "duration": self.word("duration", language, ["minutes": "\(minutes)"]),
            "amount": booking.price.formatted(in: language),
            "paymentURL": self.branding.links.payment(booking.accessToken),
            "bookingURL": self.branding.links.bookingPage(booking.accessToken),
            "reference": booking.id.rawValue,
            "state": booking.state.rawValue,
            // Money is still due (the same test decides between the Pay and the See-your-booking button).
            "needsPayment": !booking.payment.isSettled,
        ]
        if let hold = booking.holdUntil {
            model["holdUntil"] = Self.format(hold, self.word("date.dayAndTime", language), zone, language)
        }
        if let phone = client.phone { model["phone"] = phone }
        let payment = booking.payment
        let refund = max(payment.refundRequestedMinorUnits, payment.refundedMinorUnits)
        if refund > 0 {
            model["refundAmount"] = Money(minorUnits: refund, currency: payment.expected.currency).formatted(
                in: language)
        }
        if payment.receivedMinorUnits > 0 {
            model["paidAmount"] =
                Money(minorUnits: payment.receivedMinorUnits, currency: payment.expected.currency)
                .formatted(in: language)
        }
        return model
    }

    private func details(booking: Booking, model: [String: Any], language: Language) -> [[String: String]] {
        [
            ["label": self.word("detail.service", language), "value": model["services"] as? String ?? ""],
            ["label": self.word("detail.date", language), "value": model["date"] as? String ?? ""],
            [
                "label": self.word("detail.time", language),
                "value": "\(model["time"] as? String ?? "") (\(model["timeZone"] as? String ?? ""))",
            ],
            ["label": self.word("detail.price", language), "value": booking.price.formatted(in: language)],
            ["label": self.word("detail.reference", language), "value": booking.id.rawValue],
        ] + (booking.clientNote.map { [["label": self.word("detail.request", language), "value": $0]] } ?? [])
    }

    /// First non-empty line: the subject; then paragraphs separated by blank lines, each on one line.
    static func split(_ rendered: String, template: String) throws -> (String, [String]) {
        var lines = rendered.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false
        ).map { $0.trimmingCharacters(in: .whitespaces) }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let subject = lines.first, !subject.isEmpty else { throw ComposerError.emptyTemplate(template) }
        var paragraphs: [String] = []
        var current: [String] = []
        for line in lines.dropFirst() {
            if line.isEmpty {
                if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
        return (subject, paragraphs)
    }

    /// At most one blank line in a row, no trailing spaces, one final newline.
    static func normalizedText(_ text: String) -> String {
        var result: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.reversed().drop(while: { $0 == " " }).reversed()
            if trimmed.isEmpty, result.last?.isEmpty ?? true { continue }
            result.append(Substring(String(trimmed)))
        }
        while result.last?.isEmpty == true { result.removeLast() }
        return result.joined(separator: "\n") + "\n"
    }

    /// A date in `zone` by a fixed pattern, with the names of `language` (whatever the machine's locale).
    public static func format(_ date: Date, _ pattern: String, _ zone: TimeZone, _ language: Language = .en) -> String {
        let formatter = DateFormatter()
        formatter.locale = language == .en ? Locale(identifier: "en_US_POSIX") : language.locale
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}

extension EmailComposer {
    /// How long an admin invitation works.
    public static let adminInvitationLifetime: TimeInterval = 3 * 86_400

    /// The email inviting an admin: a signed, single-use link to set their password, in the practice's language.
    public func adminInvitation(for admin: AdminAccount, invitedBy: String, id: String, now: Date) throws
        -> EmailMessage
    {
        guard let links = self.links else { throw ComposerError.noLinkSigner }
        let language = self.branding.language
        let expiry = now.addingTimeInterval(Self.adminInvitationLifetime)
        let token = links.token(
            for: .init(purpose: .adminInvitation, subject: admin.id.rawValue, expiresAt: expiry, nonce: id))
        let url = self.branding.links.adminInvitation(token: token)
        let model: [String: Any] = [
            "business": self.branding.businessName, "inviter": invitedBy,
            "linkExpiry": Self.format(expiry, self.word("date.dayAndTime", language) + " (zzz)", .gmt, language),
            "action": ["label": self.word("action.setPassword", language), "url": url],
        ]
        return try self.standalone(
            "\(language.rawValue)/admin/invitation", model: model, language: language,
            to: Mailbox(address: admin.email.value), id: id, now: now)
    }

    /// An email about no booking (a sign-in link, an invitation): `template` renders the subject and paragraphs,
    /// the layouts of `language` wrap them with the action and the signature.
    func standalone(
        _ template: String, model: [String: Any], language: Language, to recipient: Mailbox, id: String, now: Date
    ) throws -> EmailMessage {
        var model = model
        guard let rendered = self.library.render(model, withTemplate: template) else {
            throw ComposerError.templateMissing(template)
        }
        let (subject, paragraphs) = try Self.split(rendered, template: template)
        model["subject"] = TypedText.singleLine(subject)
        model["paragraphs"] = paragraphs
        model["signatureLines"] = self.branding.signature.split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        return EmailMessage(
            id: id, messageID: "<\(id)@\(self.branding.messageIDDomain)>", from: self.branding.from, to: [recipient],
            subject: TypedText.singleLine(subject), date: now,
            text: Self.normalizedText(
                self.library.render(model, withTemplate: "\(language.rawValue)/layout.text") ?? ""),
            html: self.library.render(model, withTemplate: "\(language.rawValue)/layout.html") ?? "")
    }
}
