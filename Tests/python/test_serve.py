"""`rendezvous serve` as a newcomer runs it: one command, no configuration, then SIGTERM stops it cleanly."""

import json
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from rendezvous_support import BINARY, ROOT, clean_environment, free_port




def test_serve_starts_with_no_configuration_and_stops_on_sigterm():
    port = free_port()
    binary = BINARY
    with tempfile.TemporaryDirectory() as folder:
        env = clean_environment()
        process = subprocess.Popen(
            [binary, "serve", "--port", str(port), "--database", f"{folder}/demo.sqlite",
             "--setup", str(ROOT / "Fixtures" / "demo-practice.json")],
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
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=20)[0].decode(errors="replace")
        assert process.returncode == 0, output
        assert "Created the admin admin@rendezvous.local with the password" in output
        assert Path(folder, "demo.sqlite").exists()
