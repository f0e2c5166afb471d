"""Emails end to end: `rendezvous serve` delivers to a real SMTP server (aiosmtpd), and the messages read back
with Python's own email parser; calendar files parse with the `icalendar` package; without SMTP_URL the emails
wait in the development mailbox at /dev/mailbox."""

import email
import email.policy
import json
import re
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path

import icalendar
from aiosmtpd.controller import Controller
from rendezvous_support import free_port, start_serve

ADMIN = ("owner@cabinet.test", "correct horse battery")




class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 OK"

    def wait(self, predicate, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no such email; got {[m['Subject'] for m in self.messages]}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url, method="GET", body=None, token=None, follow=True, headers=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def sign_in_form(link):
    """Presses the sign-in button of a link's page as a browser would: with the page's form-token cookie and field."""
    status, headers, page = call(link)
    cookie = next((c.split(";")[0] for c in headers.get_all("Set-Cookie") or [] if c.startswith("rendezvous_form=")),
                  None)
    token = re.search(rb'name="form" value="([^"]+)"', page)
    if cookie is None or token is None:
        return status, headers, page
    request = urllib.request.Request(
        link, method="POST", data=b"form=" + token.group(1),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def serve(folder, port, extra):
    return start_serve(
        folder, port, "mail.sqlite",
        {"RENDEZVOUS_ADMIN_EMAIL": ADMIN[0], "RENDEZVOUS_ADMIN_PASSWORD": ADMIN[1], **extra})


def mailbox_key(process):
    """The development mailbox's secret address, as `serve` printed it at start."""
    deadline = time.time() + 10
    while time.time() < deadline:
        line = process.stdout.readline().decode(errors="replace")
        found = re.search(r"/dev/mailbox\?key=(\S+)", line)
        if found:
            return found.group(1)
    raise AssertionError("serve printed no development mailbox address")


def stop(process):
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=20)[0].decode(errors="replace")
    assert process.returncode == 0, output


def book(base, service="svc_chat_first", email_address="zoe@example.com"):
    first = date.today() + timedelta(days=2)
    status, _, body = call(f"{base}/api/services/{service}/slots?from={first}&to={first + timedelta(days=14)}"
                           "&timeZone=Europe/Paris")
    assert status == 200, body
    start = json.loads(body)["slots"][0]["start"]
    status, _, body = call(f"{base}/api/bookings", "POST", {
        "serviceId": service, "start": start,
        "client": {"name": "Zoë Dupré", "email": email_address, "timeZone": "America/New_York"}})
    assert status == 201, body
    return json.loads(body)


def pay(base, payment_url):
    """Follows our payment link to the hosted checkout and presses Pay there, as a browser would."""
    status, headers, _ = call(payment_url, follow=False)
    assert status == 303
    checkout = headers["Location"]
    assert checkout.startswith(f"{base}/fake-stripe/"), checkout
    status, _, page = call(checkout)
    assert status == 200 and b'id="pay"' in page
    status, _, _ = call(checkout + "/pay", "POST", {})
    assert status == 200


def test_emails_arrive_over_smtp_with_parts_links_and_calendar():
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        process = serve(folder, port, {
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "MAIL_FROM": "Cabinet Test <hello@cabinet.test>",
            "RENDEZVOUS_BUSINESS_NAME": "Cabinet Test"})
        try:
            booking = book(base)
            token = booking["token"]
            received = inbox.wait(lambda m: m["Subject"].startswith("Booking received"))[0]
            assert received["From"].addresses[0].addr_spec == "hello@cabinet.test"
            assert received["From"].addresses[0].display_name == "Cabinet Test"
            assert received["To"].addresses[0].addr_spec == "zoe@example.com"
            assert received["To"].addresses[0].display_name == "Zoë Dupré"
            assert re.fullmatch(r"<msg_[0-9a-z]+@cabinet\.test>", received["Message-ID"])
            assert received["Date"].datetime is not None
            text = received.get_body(("plain",)).get_content()
            html = received.get_body(("html",)).get_content()
            assert "Zoë Dupré" in text and "Cabinet Test" in text
            assert "(America/New_York)" in text
            payment_url = f"{base}/pay/{token}"
            assert payment_url in text and f'href="{payment_url}"' in html

            # The link leads to checkout; paying there brings the next emails, to the client and the admins.
            pay(base, payment_url)
            inbox.wait(lambda m: m["Subject"].startswith("Payment received"))
            to_admin = inbox.wait(lambda m: m["Subject"].startswith("To approve"))[0]
            assert to_admin["To"].addresses[0].addr_spec == ADMIN[0]

            status, _, body = call(f"{base}/api/admin/login", "POST", {"email": ADMIN[0], "password": ADMIN[1]})
            assert status == 200, body
            admin = json.loads(body)["token"]
            status, _, body = call(f"{base}/api/admin/bookings/{booking['id']}/approve", "POST", {}, token=admin)
            assert status == 200, body

            approved = inbox.wait(lambda m: m["Subject"].startswith("Confirmed"))[0]
            assert "join the chat" in approved.get_body(("plain",)).get_content()
            attachment = next(part for part in approved.iter_attachments())
            assert attachment.get_content_type() == "text/calendar"
            assert attachment.get_filename() == "booking.ics"
            calendar = icalendar.Calendar.from_ical(attachment.get_content())
            event = next(iter(calendar.walk("VEVENT")))
            assert str(event["UID"]) == f"{booking['id']}@rendezvous"
            assert str(event["STATUS"]) == "CONFIRMED"
            assert event.decoded("DTSTART") == datetime.fromisoformat(booking["start"].replace("Z", "+00:00"))
            assert str(calendar["PRODID"]) and str(calendar["VERSION"]) == "2.0"
            assert str(event["ORGANIZER"]) == "mailto:hello@cabinet.test"

            # The booking's .ics by its link parses too, and agrees.
            status, headers, body = call(f"{base}/api/bookings/{token}.ics")
            assert status == 200 and headers["Content-Type"].startswith("text/calendar")
            served = next(iter(icalendar.Calendar.from_ical(body).walk("VEVENT")))
            assert str(served["UID"]) == str(event["UID"]) and str(served["STATUS"]) == "CONFIRMED"

            # Each email arrived once.
            ids = [m["Message-ID"] for m in inbox.messages]
            assert len(ids) == len(set(ids))
        finally:
            stop(process)
            controller.stop()


def test_without_smtp_the_emails_wait_in_the_development_mailbox():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        process = serve(folder, port, {})
        try:
            # The mailbox holds booking links: closed to anyone without its secret address or an admin's token.
            key = mailbox_key(process)
            for path in ["/dev/mailbox.json", "/dev/mailbox", "/dev/mailbox?key=guess"]:
                assert call(base + path)[0] == 401, path
            status, headers, _ = call(f"{base}/dev/mailbox?key={key}", follow=False)
            assert status == 303 and headers["Location"] == "/dev/mailbox"
            cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}

            def mailbox_messages():
                return json.loads(call(f"{base}/dev/mailbox.json", headers=cookie)[2])["messages"]

            booking = book(base, email_address="ana@example.com")
            deadline, messages = time.time() + 15, []
            while time.time() < deadline and not messages:
                messages = mailbox_messages()
                time.sleep(0.1)
            assert len(messages) == 1
            message = messages[0]
            assert message["to"] == ["ana@example.com"]
            assert f"{base}/pay/{booking['token']}" in message["text"]
            status, _, page = call(f"{base}/dev/mailbox", headers=cookie)
            assert status == 200 and message["subject"].encode() in page
            status, _, page = call(base + message["url"], headers=cookie)
            assert status == 200 and b"<iframe" in page
            assert call(base + message["url"])[0] == 401
            status, _, html = call(base + message["url"] + "/html", headers=cookie)
            assert status == 200 and f'href="{base}/pay/{booking["token"]}"'.encode() in html
            status, _, raw = call(base + message["url"] + ".eml", headers=cookie)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert parsed["Subject"] == message["subject"]
            status, _, page = call(f"{base}/bookings/{booking['token']}")
            assert status == 200 and b"Waiting for payment" in page and b"(America/New_York)" in page

            # An admin books for a new client: the client gets the booking and a signed, single-use sign-in link.
            status, _, body = call(f"{base}/api/admin/login", "POST", {"email": ADMIN[0], "password": ADMIN[1]})
            admin = json.loads(body)["token"]
            first = date.today() + timedelta(days=3)
            slots = json.loads(call(f"{base}/api/services/svc_call_first/slots?from={first}"
                                    f"&to={first + timedelta(days=14)}&timeZone=Europe/Paris")[2])["slots"]
            status, _, body = call(f"{base}/api/admin/bookings", "POST", {
                "serviceId": "svc_call_first", "start": slots[-1]["start"],
                "client": {"name": "Léa Moreau", "email": "lea@example.com"}}, token=admin)
            assert status == 201, body
            deadline, invitation = time.time() + 15, None
            while time.time() < deadline and invitation is None:
                messages = json.loads(call(f"{base}/dev/mailbox.json", token=admin)[2])["messages"]
                invitation = next((m for m in messages if m["subject"].startswith("Your client area")), None)
                time.sleep(0.1)
            assert invitation and invitation["to"] == ["lea@example.com"]
            assert any(m["subject"].startswith("Pending: your Call session") for m in messages)
            link = re.search(r"(http://\S+/account/sign-in\?token=\S+)", invitation["text"]).group(1)
            # Opening the link (as a mail scanner would, twice) only shows the button; pressing it signs in, once.
            for _ in range(2):
                status, _, page = call(link)
                assert status == 200 and b'method="post"' in page and b"First call" not in page
            status, headers, page = sign_in_form(link)
            assert status == 303 and headers["Location"] == "/account"
            session = next(c.split(";")[0] for c in headers.get_all("Set-Cookie") if c.startswith("rendezvous_client="))
            status, _, page = call(f"{base}/account", headers={"Cookie": session})
            assert status == 200 and b"L\xc3\xa9a Moreau" in page and b"Call \xe2\x80\x94 First session" in page
            status, _, page = sign_in_form(link)
            assert status == 410 and b"used already" in page
            status, _, page = call(link)
            assert status == 410
            status, _, page = call(link[:-3] + "AAA")
            assert status == 400

            # Every calendar file of the admin-made booking parses with icalendar: pending (TENTATIVE), moved
            # (same UID, higher SEQUENCE, new start), cancelled (CANCELLED, METHOD:CANCEL).
            made = json.loads(body)

            def latest_calendar(subject_start):
                deadline = time.time() + 15
                while time.time() < deadline:
                    found = [m for m in mailbox_messages() if m["subject"].startswith(subject_start)]
                    if found:
                        status, _, ics = call(base + found[0]["url"] + "/attachments/0", headers=cookie)
                        assert status == 200
                        calendar = icalendar.Calendar.from_ical(ics)
                        return calendar, next(iter(calendar.walk("VEVENT")))
                    time.sleep(0.1)
                raise AssertionError(f"no email starting {subject_start!r}")

            _, pending = latest_calendar("Pending")
            assert str(pending["STATUS"]) == "TENTATIVE" and str(pending["UID"]) == f"{made['id']}@rendezvous"
            new_start = slots[-2]["start"]
            status, _, _ = call(f"{base}/api/admin/bookings/{made['id']}/reschedule", "POST", {"start": new_start},
                                token=admin)
            assert status == 200
            _, moved = latest_calendar("New time")
            assert str(moved["UID"]) == str(pending["UID"]) and int(moved["SEQUENCE"]) > int(pending["SEQUENCE"])
            assert moved.decoded("DTSTART") == datetime.fromisoformat(new_start.replace("Z", "+00:00"))
            status, _, _ = call(f"{base}/api/admin/bookings/{made['id']}/cancel", "POST", {}, token=admin)
            assert status == 200
            calendar, cancelled = latest_calendar("Canceled")
            assert str(cancelled["STATUS"]) == "CANCELLED" and str(calendar["METHOD"]) == "CANCEL"
            assert str(cancelled["UID"]) == str(pending["UID"])
        finally:
            stop(process)
        assert list(Path(folder, "rendezvous-mailbox").glob("*.eml"))
