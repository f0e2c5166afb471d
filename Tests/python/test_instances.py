"""Two `rendezvous serve` instances on one throwaway PostgreSQL database behave as one service.

One standalone fake provider serves both (its webhooks reach a recorder here, which replays them to both instances);
one SMTP sink receives every email. The instances are started as a user would, with only environment variables:
RENDEZVOUS_DATABASE=postgres://..., STRIPE_*, SMTP_URL, the admin's email and password."""

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rendezvous_support import ROOT, free_port, start_fake_stripe, start_serve

sys.path.insert(0, str(ROOT / "Tests" / "tools"))
from pg_cluster import Cluster  # noqa: E402

ADMIN = ("owner@cabinet.test", "correct horse battery")
WEBHOOK_SECRET = "whsec_two_instances_one_database"


def call(url, method="GET", body=None, token=None, headers=None, timeout=20):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    if body is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Recorder(BaseHTTPRequestHandler):
    """Where the fake provider posts its signed events: kept with their signature, to replay to the instances."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Deployment:
    def __init__(self, folder):
        self.folder = folder
        # NB: in a folder of its own under /tmp: the server runs as another user, who cannot enter pytest's folders.
        self.cluster = Cluster()
        self.instances, self.fake, self.smtp, self.recorder = [None, None], None, None, None

    def start_all(self):
        self.cluster.start()
        # A request waits at most two seconds for the database (ten by default) before answering 503.
        self.database = self.cluster.create_database("rendezvous") + "&timeout=2"
        self.mail = self.folder / "mail"
        self.smtp_port = free_port()
        self.smtp = subprocess.Popen(
            [sys.executable, str(ROOT / "Tests" / "tools" / "smtp_sink.py"), "--port", str(self.smtp_port), "--dir",
             str(self.mail)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        said = self.smtp.stdout.readline()
        assert said.strip() == b"ready", said + self.smtp.stdout.read()
        self.recorder = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=self.recorder.serve_forever, daemon=True).start()
        self.fake_port = free_port()
        self.fake = start_fake_stripe(
            self.fake_port, webhook_url=f"http://127.0.0.1:{self.recorder.server_port}/", secret=WEBHOOK_SECRET)
        self.ports = [free_port(), free_port()]
        for index in range(2):
            self.start(index)
        self.token = self.admin_token(0)

    def environment(self):
        return {
            "STRIPE_SECRET_KEY": "sk_test_two_instances", "STRIPE_API_BASE": f"http://127.0.0.1:{self.fake_port}",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "RENDEZVOUS_ADMIN_EMAIL": ADMIN[0], "RENDEZVOUS_ADMIN_PASSWORD": ADMIN[1],
            # A dead instance's claimed emails are taken over after 15 seconds (two minutes by default).
            "RENDEZVOUS_OUTBOX_LEASE_SECONDS": "15",
        }

    def start(self, index):
        folder = self.folder / f"instance-{index}"
        folder.mkdir(exist_ok=True)
        log = open(folder / "serve.log", "ab")
        self.instances[index] = start_serve(folder, self.ports[index], self.database, self.environment(), output=log)

    def base(self, index):
        return f"http://127.0.0.1:{self.ports[index]}"

    def admin_token(self, index):
        status, _, body = call(f"{self.base(index)}/api/admin/login", "POST", {"email": ADMIN[0], "password": ADMIN[1]})
        assert status == 200, body
        return json.loads(body)["token"]

    def slots(self, days=60):
        """Free starts of the first Chat session from the day after tomorrow, over `days` days (60 a query)."""
        first, found = date.today() + timedelta(days=2), set()
        for offset in range(0, days, 60):
            since = first + timedelta(days=offset)
            status, _, body = call(f"{self.base(0)}/api/services/svc_chat_first/slots?from={since}"
                                   f"&to={since + timedelta(days=min(60, days - offset))}&timeZone=Europe/Paris")
            assert status == 200, body
            found |= {slot["start"] for slot in json.loads(body)["slots"]}
        return sorted(found)

    def separate_slots(self, days=60):
        """Free starts at least three hours apart: a booking at one never touches another's time or buffer."""
        chosen = []
        for start in self.slots(days):
            at = datetime.fromisoformat(start.replace("Z", "+00:00"))
            if not chosen or at - chosen[-1][1] >= timedelta(hours=3):
                chosen.append((start, at))
        return [start for start, _ in chosen]

    def book(self, index, start, client_email, timeout=20):
        return call(f"{self.base(index)}/api/bookings", "POST", {
            "serviceId": "svc_chat_first", "start": start,
            "client": {"name": "Zoë Dupré", "email": client_email, "timeZone": "Europe/Paris"}}, timeout=timeout)

    def booking(self, booking_id):
        status, _, body = call(f"{self.base(1)}/api/admin/bookings/{booking_id}", token=self.token)
        return status, (json.loads(body) if status == 200 else body)

    def messages(self):
        found = []
        for path in sorted(self.mail.glob("*.eml")):
            found.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        return found

    def messages_to(self, recipients, timeout=60):
        """Waits until every address in `recipients` received at least one email; returns them by address."""
        deadline = time.time() + timeout
        while True:
            by_address = {}
            for message in self.messages():
                for address in recipients & {message["X-Envelope-To"]}:
                    by_address.setdefault(address, []).append(message)
            if set(by_address) == recipients or time.time() > deadline:
                return by_address
            time.sleep(0.25)

    def close(self):
        for process in self.instances + [self.fake, self.smtp]:
            if process and process.poll() is None:
                process.kill()
                process.wait()
        if self.recorder:
            self.recorder.shutdown()
        self.cluster.remove()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    running = Deployment(tmp_path_factory.mktemp("instances"))
    try:
        running.start_all()
        yield running
    finally:
        running.close()


def test_fifty_clients_racing_for_one_slot_across_two_instances_make_one_booking(deployment):
    start = deployment.slots()[0]
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda i: deployment.book(i % 2, start, f"racer{i}@example.com"), range(50)))
    statuses = [status for status, _, _ in answers]
    assert statuses.count(201) == 1, statuses
    refused = [json.loads(body)["error"]["code"] for status, _, body in answers if status != 201]
    assert refused == ["slot_taken"] * 49, refused


def test_one_payment_event_delivered_ten_times_to_each_instance_is_applied_once(deployment):
    start = deployment.slots()[1]
    status, _, body = deployment.book(0, start, "payer@example.com")
    assert status == 201, body
    booking = json.loads(body)
    # Pay at the provider's hosted page, as a browser would (the payment link redirects there).
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(booking["paymentUrl"], timeout=10)
        raise AssertionError("the payment link did not redirect")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 303
        checkout = redirect.headers["Location"]
    assert checkout.startswith(f"http://127.0.0.1:{deployment.fake_port}/"), checkout
    status, _, _ = call(checkout + "/pay", "POST", {})
    assert status == 200
    deadline = time.time() + 20
    event = None
    while event is None and time.time() < deadline:
        for body, signature in list(Recorder.received):
            parsed = json.loads(body)
            if parsed["type"] == "checkout.session.completed" and \
                    parsed["data"]["object"].get("client_reference_id") == booking["id"]:
                event = (body, signature)
        time.sleep(0.1)
    assert event, "the fake provider sent no checkout.session.completed for the booking"
    body, signature = event

    def deliver(index):
        return call(f"{deployment.base(index % 2)}/webhooks/stripe", "POST", body,
                    headers={"Content-Type": "application/json", "Stripe-Signature": signature})[0]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(deliver, range(20)))
    assert statuses == [200] * 20, statuses
    status, stored = deployment.booking(booking["id"])
    assert status == 200, stored
    assert stored["status"] == "awaitingApproval" and stored["paymentStatus"] == "paid", stored
    paid = [entry for entry in stored["history"] if entry.get("to") == "awaitingApproval"]
    assert len(paid) == 1, stored["history"]
    assert stored["paidAmount"]["amount"] == 4500


def test_every_email_of_a_burst_of_a_hundred_bookings_arrives_exactly_once(deployment):
    starts = deployment.separate_slots(days=90)[:100]
    assert len(starts) == 100, "the demo practice has fewer than 100 separate free slots in 90 days"
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda i: deployment.book(i % 2, starts[i], f"burst{i}@example.com"), range(100)))
    assert [status for status, _, _ in answers] == [201] * 100, [body for s, _, body in answers if s != 201][:3]
    recipients = {f"burst{i}@example.com" for i in range(100)}
    received = deployment.messages_to(recipients)
    assert set(received) == recipients, f"{len(recipients - set(received))} clients got no email"
    # Both instances deliver, and no email is sent twice: one message per booking, each Message-ID once.
    time.sleep(2)
    received = deployment.messages_to(recipients)
    assert all(len(messages) == 1 for messages in received.values()), \
        {address: len(messages) for address, messages in received.items() if len(messages) != 1}


def test_postgresql_restarted_under_load_answers_503_then_keeps_every_acknowledged_booking(deployment):
    starts = deployment.slots()[102:]
    outcomes, lock, stop = [], threading.Lock(), threading.Event()

    def load(worker):
        attempt = 0
        while not stop.is_set():
            attempt += 1
            started = time.time()
            try:
                status, _, body = deployment.book(
                    attempt % 2, starts[(worker * 7 + attempt) % len(starts)], f"load{worker}.{attempt}@example.com",
                    timeout=30)
                code = json.loads(body)["error"]["code"] if status != 201 else json.loads(body)["id"]
            except Exception as error:  # a hang or a dropped connection is a failure of the service
                status, code = "error", repr(error)
            with lock:
                outcomes.append((status, code, time.time() - started))
            time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    # Down for longer than the instances wait for it: requests meanwhile are answered 503.
    deployment.cluster.restart(down_for=5)
    # The instances reconnect by themselves: a booking goes through again within a few seconds.
    deadline = time.time() + 30
    while time.time() < deadline:
        with lock:
            recovered = any(status == 201 for status, _, _ in outcomes[-20:])
        if recovered:
            break
        time.sleep(0.5)
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join()
    statuses = {status for status, _, _ in outcomes}
    assert 503 in statuses, f"no request met the outage: {sorted(map(str, statuses))}"
    assert statuses <= {201, 409, 503}, [o for o in outcomes if o[0] not in (201, 409, 503)][:5]
    assert all(code in ("slot_taken", "database_unavailable") for status, code, _ in outcomes if status in (409, 503))
    assert max(seconds for _, _, seconds in outcomes) < 25, "a request hung"
    acknowledged = [code for status, code, _ in outcomes if status == 201]
    assert acknowledged, "no booking was acknowledged"
    for booking_id in acknowledged:
        status, stored = deployment.booking(booking_id)
        assert status == 200, (booking_id, stored)


def test_a_killed_instance_leaves_its_outbox_work_to_the_other(deployment):
    starts = deployment.separate_slots(days=180)[:60]
    assert len(starts) == 60
    recipients = {f"kill{i}@example.com" for i in range(60)}
    acknowledged = set()
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(lambda i: (i, deployment.book(i % 2, starts[i], f"kill{i}@example.com")), range(30)))
        # In the middle of the burst, instance 1 dies without a chance to finish anything.
        deployment.instances[1].send_signal(signal.SIGKILL)
        deployment.instances[1].wait()
        rest = list(pool.map(lambda i: (i, deployment.book(0, starts[i], f"kill{i}@example.com")), range(30, 60)))
    for i, (status, _, body) in first + rest:
        if status == 201:
            acknowledged.add(f"kill{i}@example.com")
    assert len(acknowledged) >= 55, f"only {len(acknowledged)} of 60 bookings were acknowledged"
    received = deployment.messages_to(acknowledged, timeout=90)
    assert set(received) == acknowledged, f"{len(acknowledged - set(received))} clients got no email"
    # An email cut off by the kill may go out a second time, then with the same Message-ID (one message to mail
    # clients); never two different messages for one booking.
    for address, messages in received.items():
        assert len({message["Message-ID"] for message in messages}) == 1, address
    deployment.start(1)
