"""What operators watch, against `serve` as a newcomer runs it: every answer names its request (X-Request-Id);
with RENDEZVOUS_METRICS_TOKEN, GET /metrics answers Prometheus' text format to that Bearer token only — requests by
route and status with durations, webhook events by outcome, the outbox's depth and oldest row, the live holds;
without the setting there is no such route."""

import json
import re
import tempfile
import time
import urllib.error
import urllib.request

from rendezvous_support import free_port, start_serve

TOKEN = "metrics-token-for-the-tests-0123456789"


def call(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def a_booking(base):
    status, _, body = call(f"{base}/api/services/svc_chat_first/days?month={time.strftime('%Y-%m')}&timeZone=UTC")
    days = json.loads(body)["days"]
    if len(days) < 2:
        month = time.strftime("%Y-%m", time.gmtime(time.time() + 31 * 86400))
        days += json.loads(call(f"{base}/api/services/svc_chat_first/days?month={month}&timeZone=UTC")[2])["days"]
    slots = json.loads(call(f"{base}/api/services/svc_chat_first/slots?from={days[1]}&timeZone=UTC")[2])["slots"]
    return call(f"{base}/api/bookings", "POST", {
        "serviceId": "svc_chat_first", "start": slots[0]["start"],
        "client": {"name": "Metric Client", "email": "metrics@example.com"}})


def test_metrics_behind_their_token_and_a_request_id_on_every_answer():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        process = start_serve(folder, port, "metrics.sqlite", {"RENDEZVOUS_METRICS_TOKEN": TOKEN})
        try:
            status, headers, _ = a_booking(base)
            assert status == 201
            assert call(f"{base}/api/bookings", "POST", {})[0] == 400
            request_id = headers["X-Request-Id"]
            assert request_id and len(request_id) >= 8
            assert call(f"{base}/health")[1]["X-Request-Id"] != request_id
            assert call(f"{base}/metrics")[0] == 401
            assert call(f"{base}/metrics", headers={"Authorization": "Bearer wrong-token-wrong-token"})[0] == 401
            deadline = time.time() + 25
            while True:
                status, headers, text = call(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
                assert status == 200 and headers["Content-Type"].startswith("text/plain")
                # The gauges are read every 15 seconds: wait for the one that sees the booking's hold.
                if re.search(r"^rendezvous_live_holds 1(\.0)?$", text, re.M) or time.time() > deadline:
                    break
                time.sleep(1)
            # Requests by route and status, with durations.
            assert re.search(r'^hb_requests\{http_route="/api/bookings",http_request_method="POST",'
                             r'http_response_status_code="201"\} 1$', text, re.M), text
            assert re.search(r'^hb_requests\{http_route="/api/bookings",http_request_method="POST",'
                             r'http_response_status_code="400"\} 1$', text, re.M), text
            assert "500" not in re.findall(r'http_response_status_code="(\d+)"', text), text
            assert "http_server_request_duration" in text, text
            # The live hold of the booking, and the outbox (its "booking received" email went out or waits).
            assert re.search(r"^rendezvous_live_holds 1(\.0)?$", text, re.M), text
            assert re.search(r'^rendezvous_outbox_depth\{topic="email"\} \d+', text, re.M), text
            assert re.search(r'^rendezvous_outbox_oldest_age_seconds\{topic="provider"\} ', text, re.M), text
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_without_the_setting_there_is_no_metrics_route():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        process = start_serve(folder, port, "plain.sqlite")
        try:
            assert call(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 404
        finally:
            process.terminate()
            process.wait(timeout=20)
