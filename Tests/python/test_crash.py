"""Nothing acknowledged is lost when the process is killed: every booking answered 201 is there after a restart."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("RENDEZVOUS_BIN", str(ROOT / ".build" / "debug" / "rendezvous"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port, folder):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENDEZVOUS_", "STRIPE_", "SMTP_"))}
    process = subprocess.Popen(
        [BINARY, "serve", "--port", str(port), "--database", f"{folder}/crash.sqlite",
         "--setup", str(ROOT / "Fixtures" / "demo-practice.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=folder)
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                return process
        except OSError:
            assert process.poll() is None and time.time() < deadline, "the service did not start"
            time.sleep(0.1)


def starts(count):
    """`count` distinct starts on working days (Paris 09:00 and 12:00 are 08:00/11:00 or 07:00/10:00 UTC)."""
    result, day = [], date.today() + timedelta(days=2)
    while len(result) < count:
        if day.weekday() < 5:
            for hour in (9, 12):
                result.append(datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc))
        day += timedelta(days=1)
    return result[:count]


def test_acknowledged_bookings_survive_kill_9():
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = start(port, folder)
        acknowledged, stop = [], threading.Event()

        def client(offset):
            for index, moment in enumerate(starts(60)[offset::4]):
                if stop.is_set():
                    return
                body = json.dumps({"serviceId": "svc_chat_first", "start": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "client": {"name": "Crash", "email": f"crash{offset}-{index}@example.com"}}).encode()
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/bookings", data=body, method="POST",
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:
                        if answer.status == 201:
                            acknowledged.append(json.load(answer)["token"])
                except (urllib.error.HTTPError, OSError):
                    pass

        threads = [threading.Thread(target=client, args=(offset,)) for offset in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        assert acknowledged, "no booking was acknowledged before the kill"

        process = start(port, folder)
        try:
            for token in acknowledged:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/bookings/{token}", timeout=5) as answer:
                    assert json.load(answer)["status"] == "awaitingPayment"
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
