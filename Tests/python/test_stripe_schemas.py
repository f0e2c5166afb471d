"""Every object the fake provider returns validates against the schema Stripe publishes for it: checkout.session,
refund, payment_intent, charge, event and each event's `data.object` (checkout.session, charge), and the error
envelope.

The schemas are the subset of Stripe's OpenAPI specification kept in Fixtures/stripe/ (see its README for source
and version). Stripe marks optional-null fields with `nullable: true` beside `anyOf`/`enum`; as Stripe's own SDK
generators read it, each such schema becomes "the schema, or null" before a Draft 2020-12 validator checks it."""

import json
import signal
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import jsonschema
import pytest

from rendezvous_support import ROOT, free_port, start_fake_stripe

KEY = "sk_test_schemas"
SPEC = json.loads((ROOT / "Fixtures" / "stripe" / "openapi-schemas-2023-09-12.json").read_text())


def with_nullable_as_null(schema):
    """Stripe's `nullable: true` read as "or null", everywhere in the tree."""
    if isinstance(schema, list):
        return [with_nullable_as_null(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: with_nullable_as_null(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


COMPONENTS = with_nullable_as_null(SPEC["components"])


def validate(name, instance):
    """Validates `instance` against Stripe's schema `name`; fails naming every error's path."""
    root = {"$ref": f"#/components/schemas/{name}", "components": COMPONENTS}
    validator = jsonschema.Draft202012Validator(root)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, f"{name} does not match Stripe's schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:20])


def call(base, method, path, form=None, key=KEY, follow=True):
    data = None if form is None else urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(base + path, method=method, data=data)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if method == "POST":
        request.add_header("Idempotency-Key", f"schemas-{path}-{urllib.parse.urlencode(form or {})}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def session_form(booking):
    return {
        "mode": "payment", "success_url": f"http://127.0.0.1:9/paid?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": "http://127.0.0.1:9/cancelled", "client_reference_id": booking,
        "metadata[booking_id]": booking, "customer_email": "zoe@example.com",
        "line_items[0][price_data][currency]": "eur", "line_items[0][price_data][unit_amount]": "4500",
        "line_items[0][price_data][product_data][name]": "First chat", "line_items[0][quantity]": "1",
    }


@pytest.fixture(scope="module")
def base():
    port = free_port()
    process = start_fake_stripe(port)
    yield f"http://127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


def test_checkout_sessions_refunds_and_events_have_stripes_shapes(base):
    status, session = call(base, "POST", "/v1/checkout/sessions", session_form("bk_s1"))
    assert status == 200, session
    validate("checkout.session", session)
    status, fetched = call(base, "GET", f"/v1/checkout/sessions/{session['id']}")
    validate("checkout.session", fetched)

    # Paid on the hosted page: the completed session, then a refund.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(
            urllib.request.Request(session["url"] + "/pay", data=b"", method="POST"), timeout=10)
    assert redirect.value.code == 303
    status, paid = call(base, "GET", f"/v1/checkout/sessions/{session['id']}")
    assert paid["payment_status"] == "paid"
    validate("checkout.session", paid)
    status, refund = call(base, "POST", "/v1/refunds", {"payment_intent": paid["payment_intent"], "amount": "1500"})
    assert status == 200, refund
    validate("refund", refund)
    validate("refund", call(base, "GET", f"/v1/refunds/{refund['id']}")[1])
    status, intent = call(base, "GET", f"/v1/payment_intents/{paid['payment_intent']}")
    assert status == 200, intent
    validate("payment_intent", intent)
    status, charge = call(base, "GET", f"/v1/charges/{intent['latest_charge']}")
    assert status == 200, charge
    validate("charge", charge)

    status, other = call(base, "POST", "/v1/checkout/sessions", session_form("bk_s2"))
    status, expired = call(base, "POST", f"/v1/checkout/sessions/{other['id']}/expire")
    assert expired["status"] == "expired"
    validate("checkout.session", expired)

    status, events = call(base, "GET", "/v1/events?limit=100")
    assert status == 200 and events["object"] == "list"
    types = set()
    for event in events["data"]:
        validate("event", event)
        inner = event["data"]["object"]
        validate(inner["object"], inner)
        types.add(event["type"])
        validate("event", call(base, "GET", f"/v1/events/{event['id']}")[1])
    assert {"checkout.session.completed", "checkout.session.expired", "charge.refunded"} <= types, types


def test_errors_have_stripes_envelope(base):
    answers = [
        call(base, "GET", "/v1/checkout/sessions/cs_test_missing"),
        call(base, "POST", "/v1/checkout/sessions", {"mode": "payment"}),
        call(base, "GET", "/v1/events", key=None),
        call(base, "POST", "/v1/refunds", {"payment_intent": "pi_missing"}),
    ]
    assert [status for status, _ in answers] == [404, 400, 401, 404]
    for _, body in answers:
        validate("error", body)
