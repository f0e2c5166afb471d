"""The official Stripe Python client against the standalone fake (`rendezvous fake-stripe`).

Run by .ci/run after the Swift tests: `python3 -m pytest Tests/python`. It starts the built binary
(RENDEZVOUS_BIN, default .build/debug/rendezvous) on a free port, with a webhook receiver of its own, and checks
that the SDK's calls succeed with Stripe's shapes and that every webhook verifies with stripe.Webhook.construct_event.
"""

import http.server
import threading
import time
import urllib.error
import urllib.request

import pytest
import stripe

from rendezvous_support import free_port, start_fake_stripe

SECRET = "whsec_sdk_test_0123456789abcdef"




class Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((body, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fake():
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = free_port()
    process = start_fake_stripe(port, f"http://127.0.0.1:{receiver.server_address[1]}/webhooks/stripe", SECRET)
    stripe.api_key = "sk_test_sdk"
    stripe.api_base = f"http://127.0.0.1:{port}"
    stripe.max_network_retries = 0
    yield port
    process.terminate()
    process.wait(timeout=10)
    receiver.shutdown()


def session_params(booking="bk_1"):
    return dict(
        mode="payment",
        success_url=f"http://127.0.0.1:8080/bookings/{booking}/paid?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"http://127.0.0.1:8080/bookings/{booking}/cancelled",
        line_items=[{"price_data": {"currency": "eur", "unit_amount": 4500,
                                    "product_data": {"name": "Room 1, 2 nights"}}, "quantity": 1}],
        metadata={"booking_id": booking},
        client_reference_id=booking,
    )


def pay(session):
    """Submits the hosted page's pay form, without following the redirect."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(session.url + "/pay", data=b"", method="POST"))
    except urllib.error.HTTPError as error:
        assert error.code == 303
        return error.headers["Location"]
    raise AssertionError("paying did not redirect")


def test_create_retrieve_expire(fake):
    session = stripe.checkout.Session.create(**session_params(), idempotency_key="booking-bk_1-checkout")
    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.status == "open" and session.payment_status == "unpaid"
    assert session.amount_total == 4500 and session.currency == "eur"
    assert session.client_reference_id == "bk_1" and session.metadata["booking_id"] == "bk_1"
    assert session.url.endswith(session.id)

    again = stripe.checkout.Session.create(**session_params(), idempotency_key="booking-bk_1-checkout")
    assert again.id == session.id

    with pytest.raises(stripe.IdempotencyError):
        stripe.checkout.Session.create(**session_params("bk_2"), idempotency_key="booking-bk_1-checkout")

    fetched = stripe.checkout.Session.retrieve(session.id)
    assert fetched.id == session.id and fetched.status == "open"

    expired = stripe.checkout.Session.expire(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.checkout.Session.expire(session.id)


def test_missing_objects_and_parameters(fake):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.checkout.Session.retrieve("cs_test_missing")
    assert missing.value.code == "resource_missing"
    assert missing.value.http_status == 404

    params = session_params()
    del params["line_items"]
    with pytest.raises(stripe.InvalidRequestError) as invalid:
        stripe.checkout.Session.create(**params)
    assert invalid.value.param == "line_items"


def test_pay_refund_and_webhooks(fake):
    session = stripe.checkout.Session.create(**session_params("bk_9"), customer_email="zoe@example.com")
    location = pay(session)
    assert location == f"http://127.0.0.1:8080/bookings/bk_9/paid?session_id={session.id}"

    paid = stripe.checkout.Session.retrieve(session.id)
    assert paid.status == "complete" and paid.payment_status == "paid"
    assert paid.payment_intent.startswith("pi_")

    partial = stripe.Refund.create(payment_intent=paid.payment_intent, amount=1500, idempotency_key="refund-bk_9-1")
    assert partial.object == "refund" and partial.amount == 1500 and partial.status == "succeeded"
    rest = stripe.Refund.create(payment_intent=paid.payment_intent, idempotency_key="refund-bk_9-2")
    assert rest.amount == 3000
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.create(payment_intent=paid.payment_intent, amount=1)

    wanted = {"checkout.session.completed", "charge.refunded"}
    deadline = time.time() + 15
    seen = {}
    def fully_refunded():
        return any(e.data.object.amount_refunded == 4500 for e in seen.get("charge.refunded", []))

    # Both refunds' events, not just the first of each type: they are delivered one by one.
    while time.time() < deadline and not (wanted <= set(seen) and fully_refunded()):
        seen = {}
        for body, header in list(Receiver.received):
            event = stripe.Webhook.construct_event(body.decode("utf-8"), header, SECRET)
            seen.setdefault(event.type, []).append(event)
        time.sleep(0.2)
    assert wanted <= set(seen), f"webhooks received: {sorted(seen)}"
    completed = [e for e in seen["checkout.session.completed"] if e.data.object.id == session.id]
    assert completed and completed[0].data.object.amount_total == 4500
    refunded = [e for e in seen["charge.refunded"] if e.data.object.payment_intent == paid.payment_intent]
    assert max(e.data.object.amount_refunded for e in refunded) == 4500

    with pytest.raises(stripe.SignatureVerificationError):
        body, header = Receiver.received[0]
        stripe.Webhook.construct_event(body.decode("utf-8") + " ", header, SECRET)

    events = stripe.Event.list(type="checkout.session.completed", limit=100)
    assert any(e.data.object.id == session.id for e in events.data)
