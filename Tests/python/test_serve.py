"""`rendezvous serve` as a newcomer runs it: one command, no configuration, then SIGTERM stops it cleanly."""

import json
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rendezvous_support import BINARY, clean_environment, free_port, start_serve




def test_serve_starts_with_no_configuration_and_stops_on_sigterm():
    port = free_port()
    binary = BINARY
    with tempfile.TemporaryDirectory() as folder:
        env = clean_environment()
        process = subprocess.Popen(
            [binary, "serve", "--port", str(port), "--database", f"{folder}/demo.sqlite"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=folder)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as answer:
                        assert answer.status == 200
                        break
                except OSError:
                    assert process.poll() is None, process.stdout.read().decode(errors="replace")
                    assert time.time() < deadline, "the service did not become ready"
                    time.sleep(0.1)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/services", timeout=5) as answer:
                services = json.load(answer)["services"]
            assert {s["category"] for s in services} == {"chat", "call"}
            assert {s["kind"] for s in services} == {"initial", "additionalTime"}
            # ...and a booking can be made and paid there, from a folder that holds nothing of the checkout.
            assert _book_and_follow_payment_link(f"http://127.0.0.1:{port}") == 303
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=20)[0].decode(errors="replace")
        assert process.returncode == 0, output
        assert "Created the admin admin@rendezvous.local with the password" in output
        assert Path(folder, "demo.sqlite").exists()


def _post(url):
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _book_and_follow_payment_link(base):
    """Books the first Chat slot and follows its payment link without following the redirect: the status."""
    from datetime import date, timedelta
    first = date.today() + timedelta(days=2)
    with urllib.request.urlopen(f"{base}/api/services/svc_chat_first/slots?from={first}"
                                f"&to={first + timedelta(days=14)}", timeout=5) as answer:
        start = json.load(answer)["slots"][0]["start"]
    body = json.dumps({"serviceId": "svc_chat_first", "start": start,
                       "client": {"name": "Zoë", "email": "zoe@example.com"}}).encode()
    request = urllib.request.Request(f"{base}/api/bookings", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        token = json.load(answer)["token"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(f"{base}/pay/{token}", timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_built_in_fake_takes_no_faults_from_the_network_unless_asked():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        process = start_serve(folder, port, "faults.sqlite")
        try:
            # No fault controls in the default service: the route does not exist, and payment links work.
            assert _post(f"{base}/fake-stripe/_fake/faults?api=1000") == 404
            assert _book_and_follow_payment_link(base) == 303
            assert process.poll() is None
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=20)
        assert process.returncode == 0


def test_with_fault_controls_every_status_is_checked_and_nothing_crashes():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        process = start_serve(folder, port, "faults.sqlite", arguments=["--fake-stripe-faults"])
        try:
            for status in ["1000", "42", "200", "abc"]:
                assert _post(f"{base}/fake-stripe/_fake/faults?api={status}") == 400, status
            # Before the fix, api=1000 was accepted and the next call to the fake stopped the process.
            assert _book_and_follow_payment_link(base) == 303
            assert process.poll() is None
            assert _post(f"{base}/fake-stripe/_fake/faults?api=503&count=10") == 204
            assert _book_and_follow_payment_link(base) == 502  # the provider "fails": a page that says try again
            assert process.poll() is None
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=20)[0].decode(errors="replace")
        assert process.returncode == 0, output
        assert "Fault injection is ON" in output


def test_a_bad_setup_path_stops_startup_naming_the_path_and_the_problem():
    with tempfile.TemporaryDirectory() as folder:
        broken = Path(folder, "broken.json")
        broken.write_text('{"services": 3}')
        for path, problem in [(f"{folder}/nowhere.json", "cannot be read"), (str(broken), "is not a practice document")]:
            run = subprocess.run(
                [BINARY, "serve", "--port", str(free_port()), "--database", f"{folder}/x.sqlite", "--setup", path],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=clean_environment(), cwd=folder, timeout=30)
            said = run.stdout.decode(errors="replace")
            assert run.returncode != 0, said
            assert path in said and problem in said, said
