import Booking
import Foundation
import Notifications
import Workflow

/// One booking as the client area and the booking page show it: in plain words, in the viewer's zone and
/// language, with the actions the rules allow now.
struct BookingCard {
    var title: String
    var when: String
    var staff: String?
    var status: String
    var payment: String
    var price: String
    var refunded: String?
    var request: String?
    var token: String
    var payHref: String?
    var payLabel: String
    var canConfirm: Bool
    var cancelHref: String?
    var rescheduleHref: String?
    var icsHref: String
    var pageHref: String
    var google: String
    var outlook: String
    var yahoo: String
    var formToken: String
    /// Whether the card shows its action buttons (not on the pages of one of those actions).
    var showActions = true

    init(
        _ booking: Booking, staffName: String?, now: Date, visit: PageVisit, words: WordCatalog, links: PublicLinks,
        calendar: AddToCalendarLinks
    ) {
        let format = visit.format
        let text = { (key: String, values: [String: String]) in words.text(key, visit.language, values) }
        let line = booking.lines.first
        self.title =
            line.map {
                "\(text("category.\($0.category.rawValue)", [:])) — \(text("service.\($0.kind.rawValue)", [:]))"
            } ?? ""
        self.when =
            "\(format.day(booking.start)), \(format.timeRange(booking.start, booking.end)) (\(visit.zoneName))"
        self.staff = staffName
        self.status = text("status.\(booking.state.rawValue)", [:])
        self.payment = text("paymentStatus.\(booking.payment.status.rawValue)", [:])
        self.price = format.money(booking.price)
        let refunded = booking.payment.refundedMinorUnits
        self.refunded =
            refunded > 0 ? format.money(Money(minorUnits: refunded, currency: booking.price.currency)) : nil
        self.request = booking.clientNote
        self.token = booking.accessToken.rawValue
        let payable =
            booking.state == .awaitingPayment && !booking.payment.isSettled && !booking.holdLapsed(at: now)
        self.payHref = payable ? links.payment(booking.accessToken) : nil
        self.payLabel = text("booking.pay", ["price": format.money(booking.price)])
        self.canConfirm = booking.state == .awaitingClientConfirmation && !booking.holdLapsed(at: now)
        let notice = TimeInterval(booking.rules.clientCancellationNoticeHours * 3600)
        let beforeNotice = booking.start.timeIntervalSince(now) >= notice
        let open = !booking.state.isClosed && booking.start > now
        self.cancelHref =
            open && (beforeNotice || !booking.state.occupiesSlot) ? "/bookings/\(booking.accessToken)/cancel" : nil
        self.rescheduleHref = open && beforeNotice ? "/bookings/\(booking.accessToken)/reschedule" : nil
        self.icsHref = calendar.ics
        self.pageHref = "/bookings/\(booking.accessToken)"
        self.google = calendar.google
        self.outlook = calendar.outlook
        self.yahoo = calendar.yahoo
        self.formToken = visit.formToken
    }
}
