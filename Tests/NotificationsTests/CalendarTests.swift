import Foundation
import Notifications
import Testing

/// Reads an iCalendar text back: unfolds continuation lines and splits `NAME;PARAMS:VALUE`.
func unfoldedLines(_ ics: String) -> [String] {
    ics.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
}

func property(_ name: String, in ics: String) -> String? {
    for line in unfoldedLines(ics) {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let key = line[..<colon].split(separator: ";").first.map(String.init)
        if key == name { return String(line[line.index(after: colon)...]) }
    }
    return nil
}

/// Undoes TEXT escaping.
func unescapeText(_ value: String) -> String {
    var result = ""
    var escaping = false
    for character in value {
        if escaping {
            result.append(character == "n" || character == "N" ? "\n" : character)
            escaping = false
        } else if character == "\\" {
            escaping = true
        } else {
            result.append(character)
        }
    }
    return result
}

@Suite("iCalendar files")
struct CalendarTests {
    let event = CalendarEvent(
        uid: "bk_123@rendezvous", sequence: 2, stamp: Date(timeIntervalSince1970: 1_795_000_000),
        start: try! Date("2026-12-01T09:00:00Z", strategy: .iso8601),
        end: try! Date("2026-12-01T09:45:00Z", strategy: .iso8601),
        summary: "Chat, first session; with \\ Zoë", description: "Line one\nLine two, with a comma; and more",
        location: "Online chat", url: "https://example.com/bookings/tok", organizerName: "Cabinet \"Ré\"",
        organizerEmail: "hello@example.com", status: .confirmed)

    @Test func aDocumentHasTheRequiredPropertiesWithCRLFLineEnds() {
        let ics = ICalendar.document(for: self.event)
        #expect(ics.hasPrefix("BEGIN:VCALENDAR\r\n"))
        #expect(ics.hasSuffix("END:VCALENDAR\r\n"))
        #expect(!ics.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(property("VERSION", in: ics) == "2.0")
        #expect(property("PRODID", in: ics) == ICalendar.productID)
        #expect(property("UID", in: ics) == "bk_123@rendezvous")
        #expect(property("SEQUENCE", in: ics) == "2")
        #expect(property("DTSTART", in: ics) == "20261201T090000Z")
        #expect(property("DTEND", in: ics) == "20261201T094500Z")
        #expect(property("STATUS", in: ics) == "CONFIRMED")
        #expect(property("METHOD", in: ics) == "PUBLISH")
        #expect(property("ORGANIZER", in: ics) == "mailto:hello@example.com")
        #expect(property("URL", in: ics) == "https://example.com/bookings/tok")
        #expect(property("DTSTAMP", in: ics)?.hasSuffix("Z") == true)
    }

    @Test func textValuesAreEscapedAndReadBackExactly() throws {
        let ics = ICalendar.document(for: self.event)
        let summary = try #require(property("SUMMARY", in: ics))
        #expect(summary == "Chat\\, first session\\; with \\\\ Zoë")
        #expect(unescapeText(summary) == self.event.summary)
        #expect(unescapeText(try #require(property("DESCRIPTION", in: ics))) == self.event.description)
    }

    @Test func longLinesFoldAt75OctetsWithoutSplittingCharacters() {
        let line = "DESCRIPTION:" + String(repeating: "é", count: 100) + String(repeating: "x", count: 50)
        let folded = ICalendar.fold(line)
        let physical = folded.components(separatedBy: "\r\n")
        #expect(physical.count > 1)
        for piece in physical { #expect(piece.utf8.count <= 75) }
        for piece in physical.dropFirst() { #expect(piece.hasPrefix(" ")) }
        // No character was cut in two (that would decode as U+FFFD), and unfolding gives the line back.
        for piece in physical { #expect(!piece.contains("\u{FFFD}")) }
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == line)
        #expect(ICalendar.fold("SHORT:line") == "SHORT:line")
    }

    @Test func aCancelledEventSaysCancel() {
        var cancelled = self.event
        cancelled.status = .cancelled
        let ics = ICalendar.document(for: cancelled)
        #expect(property("STATUS", in: ics) == "CANCELLED")
        #expect(property("METHOD", in: ics) == "CANCEL")
    }

    @Test func addToCalendarLinksCarryTheTimesAndTitle() throws {
        let links = AddToCalendarLinks(event: self.event, icsURL: "https://example.com/api/bookings/tok.ics")
        let google = try #require(URLComponents(string: links.google))
        #expect(google.host == "calendar.google.com")
        #expect(google.queryItems?.first { $0.name == "dates" }?.value == "20261201T090000Z/20261201T094500Z")
        #expect(google.queryItems?.first { $0.name == "text" }?.value == self.event.summary)
        let outlook = try #require(URLComponents(string: links.outlook))
        #expect(outlook.queryItems?.first { $0.name == "startdt" }?.value == "2026-12-01T09:00:00Z")
        let yahoo = try #require(URLComponents(string: links.yahoo))
        #expect(yahoo.queryItems?.first { $0.name == "st" }?.value == "20261201T090000Z")
        #expect(links.ics == "https://example.com/api/bookings/tok.ics")
    }
}
