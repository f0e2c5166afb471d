"""Nothing acknowledged is lost when the process is killed: every booking answered 201 is there after a restart."""

import json
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone

from rendezvous_support import free_port, start_serve


def start(port, folder):
    return start_serve(folder, port, "crash.sqlite", output=subprocess.DEVNULL)


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
