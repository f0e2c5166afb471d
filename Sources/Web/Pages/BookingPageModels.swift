import Booking
import Foundation

// The view models of the booking pages: what each template shows, already in the visitor's words and zone.

/// Step 1: Chat or Call.
struct HomeModel {
    struct Category {
        var name: String
        var about: String
        var href: String
        var choose: String
    }

    var categories: [Category]
}

/// Step 2: a first session or additional time.
struct ServicesModel {
    struct Choice {
        var kind: String
        var name: String
        var duration: String
        var price: String
        var rule: String?
        var href: String
        /// The link's accessible name: the visible "Choose" and which session.
        var label: String
    }

    var step: String
    var lead: String
    var services: [Choice]
    var back: String
}

/// A time-zone picker (a GET form keeping the page's other parameters).
struct ZonePicker {
    struct Zone {
        var name: String
        var selected: Bool
    }

    struct Hidden {
        var name: String
        var value: String
    }

    var action: String
    var zones: [Zone]
    var hidden: [Hidden]
}

/// Step 3: a month calendar, days with free times enabled.
struct MonthModel {
    struct Day {
        var number: String
        var label: String
        var href: String?
        var blank: Bool
    }

    struct Week {
        var days: [Day]
    }

    var step: String
    var heading: String
    var service: String
    var lead: String
    var weekdays: [String]
    var weeks: [Week]
    var empty: Bool
    var previous: String?
    var next: String?
    var back: String
    var zonePicker: ZonePicker
    /// The script may offer the browser's zone when the page used the practice's.
    var guessZone: Bool
}

/// Step 4: a day's free times.
struct DayModel {
    struct Time {
        var time: String
        var location: String
        var href: String
        var label: String
    }

    var step: String
    var service: String
    var lead: String
    var times: [Time]
    /// Stored, not computed: templates see stored properties only.
    var hasTimes: Bool
    var back: String
    var zonePicker: ZonePicker
}

/// Step 5: the client's details (again, with what was wrong, after a refusal).
struct DetailsModel {
    var step: String
    var lead: String
    var formToken: String
    var serviceID: String
    var start: String
    var name: String
    var email: String
    var phone: String
    var note: String
    var problem: String?
    var nameError: String?
    var emailError: String?
    var phoneError: String?
    var noteError: String?
    var back: String
}

/// Step 6: the summary and the Pay button.
struct SummaryModel {
    struct Line {
        var label: String
        var value: String
    }

    var step: String
    var lines: [Line]
    var price: String
    var pay: String
    var formToken: String
    var idempotencyKey: String
    var serviceID: String
    var start: String
    var name: String
    var email: String
    var phone: String
    var note: String
}
