import Foundation

/// One appointment as a calendar event (RFC 5545 VEVENT).
public struct CalendarEvent: Hashable, Sendable {
    /// STATUS: tentative while pending, confirmed once approved, cancelled when it will not happen.
    public enum Status: String, Hashable, Sendable {
        case tentative = "TENTATIVE"
        case confirmed = "CONFIRMED"
        case cancelled = "CANCELLED"
    }

    /// Stable per booking, so a rescheduled or cancelled event replaces the one already in the calendar.
    public var uid: String
    /// Grows with every change the client is told about (the booking's sequence).
    public var sequence: Int
    /// When this version of the event was written.
    public var stamp: Date
    public var start: Date
    public var end: Date
    public var summary: String
    public var description: String
    public var location: String?
    public var url: String?
    public var organizerName: String
    public var organizerEmail: String
    public var status: Status

    public init(
        uid: String, sequence: Int, stamp: Date, start: Date, end: Date, summary: String, description: String,
        location: String? = nil, url: String? = nil, organizerName: String, organizerEmail: String, status: Status
    ) {
        self.uid = uid
        self.sequence = sequence
        self.stamp = stamp
        self.start = start
        self.end = end
        self.summary = summary
        self.description = description
        self.location = location
        self.url = url
        self.organizerName = organizerName
        self.organizerEmail = organizerEmail
        self.status = status
    }
}

/// Writes iCalendar (RFC 5545) documents: CRLF line ends, lines folded at 75 octets, TEXT values escaped.
public enum ICalendar {
    public static let productID = "-//Rendezvous//Rendezvous Booking//EN"

    /// A VCALENDAR holding one event. `METHOD:CANCEL` for a cancelled event (calendars then remove it),
    /// `METHOD:PUBLISH` otherwise.
    public static func document(for event: CalendarEvent) -> String {
        let lines =
            [
                "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:\(productID)", "CALSCALE:GREGORIAN",
                "METHOD:\(event.status == .cancelled ? "CANCEL" : "PUBLISH")",
            ] + self.eventLines(event) + ["END:VCALENDAR"]
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// A subscribed calendar (a feed): a name and every event, which calendar apps refresh on their own schedule.
    public static func feed(name: String, events: [CalendarEvent]) -> String {
        let lines =
            [
                "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:\(productID)", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
                "X-WR-CALNAME:\(escape(name))", "REFRESH-INTERVAL;VALUE=DURATION:PT15M",
                "X-PUBLISHED-TTL:PT15M",
            ] + events.flatMap(self.eventLines) + ["END:VCALENDAR"]
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// The VEVENT of an event.
    static func eventLines(_ event: CalendarEvent) -> [String] {
        var lines = [
            "BEGIN:VEVENT",
            "UID:\(escape(event.uid))",
            "SEQUENCE:\(event.sequence)",
            "DTSTAMP:\(utc(event.stamp))",
            "DTSTART:\(utc(event.start))",
            "DTEND:\(utc(event.end))",
            "SUMMARY:\(escape(event.summary))",
            "DESCRIPTION:\(escape(event.description))",
        ]
        if let location = event.location { lines.append("LOCATION:\(escape(location))") }
        if let url = event.url { lines.append("URL;VALUE=URI:\(url)") }
        lines.append("ORGANIZER;CN=\(parameterValue(event.organizerName)):mailto:\(event.organizerEmail)")
        lines.append("STATUS:\(event.status.rawValue)")
        lines.append("TRANSP:OPAQUE")
        lines.append("END:VEVENT")
        return lines
    }

    /// A date-time in UTC form: `20261201T130000Z`.
    public static func utc(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0)
    }

    /// Escapes a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545 §3.3.11).
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case ";": escaped += "\\;"
            case ",": escaped += "\\,"
            case "\r": escaped += "\\n"
            case "\n": if !previousWasCR { escaped += "\\n" }
            default: escaped.unicodeScalars.append(scalar)
            }
            previousWasCR = scalar == "\r"
        }
        return escaped
    }

    /// A parameter value: quoted, without the characters a quoted parameter cannot hold.
    static func parameterValue(_ text: String) -> String {
        "\"" + String(text.unicodeScalars.filter { $0 != "\"" && $0.value >= 0x20 && $0 != "\u{7f}" }) + "\""
    }

    /// Folds a content line into lines of at most 75 octets; continuation lines start with one space. Never
    /// splits a UTF-8 sequence.
    public static func fold(_ line: String) -> String {
        let bytes = Array(line.utf8)
        guard bytes.count > 75 else { return line }
        var pieces: [String] = []
        var index = 0
        var limit = 75
        while index < bytes.count {
            var end = min(index + limit, bytes.count)
            // Step back off continuation bytes (10xxxxxx) so a character stays whole.
            while end < bytes.count, end > index, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            pieces.append(String(decoding: bytes[index..<end], as: UTF8.self))
            index = end
            limit = 74  // The leading space counts.
        }
        return pieces.joined(separator: "\r\n ")
    }
}

/// Links that add the event to the usual calendars, and the .ics for Apple Calendar and the rest.
public struct AddToCalendarLinks: Hashable, Sendable, Codable {
    public var google: String
    public var outlook: String
    public var yahoo: String
    /// The booking's .ics (Apple Calendar and any client that opens iCalendar files).
    public var ics: String

    public init(event: CalendarEvent, icsURL: String) {
        let title = event.summary
        let details = event.description
        let location = event.location ?? event.url ?? ""
        self.google = Self.url(
            "https://calendar.google.com/calendar/render",
            [
                ("action", "TEMPLATE"), ("text", title),
                ("dates", "\(ICalendar.utc(event.start))/\(ICalendar.utc(event.end))"), ("details", details),
                ("location", location),
            ])
        self.outlook = Self.url(
            "https://outlook.live.com/calendar/0/deeplink/compose",
            [
                ("path", "/calendar/action/compose"), ("rru", "addevent"), ("subject", title),
                ("startdt", Self.iso(event.start)), ("enddt", Self.iso(event.end)), ("body", details),
                ("location", location),
            ])
        self.yahoo = Self.url(
            "https://calendar.yahoo.com/",
            [
                ("v", "60"), ("title", title), ("st", ICalendar.utc(event.start)), ("et", ICalendar.utc(event.end)),
                ("desc", details), ("in_loc", location),
            ])
        self.ics = icsURL
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func url(_ base: String, _ query: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = query.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }
        return base + "?" + encoded.joined(separator: "&")
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
