"""What the Python end-to-end tests share: where the built binary is, a free port, and `rendezvous serve` started
on a fresh database with no outside configuration (only what a test passes), returned once /ready answers."""

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("RENDEZVOUS_BIN", str(ROOT / ".build" / "debug" / "rendezvous"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_environment(extra=None):
    """This process's environment without any Rendezvous, Stripe or mail settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENDEZVOUS_", "STRIPE_", "SMTP_", "MAIL_"))}
    env.update(extra or {})
    return env


def start_serve(folder, port, database, extra_env=None, output=subprocess.PIPE, arguments=()):
    """`rendezvous serve` on `port` with `folder/database` (or `database` itself when it is a postgres:// URL),
    started in `folder` (the demo practice is built in); waits (30 s at most) for /ready."""
    process = subprocess.Popen(
        [BINARY, "serve", "--port", str(port), "--database",
         database if "://" in database else f"{folder}/{database}",
         *arguments],
        stdout=output, stderr=subprocess.STDOUT if output == subprocess.PIPE else output,
        env=clean_environment(extra_env), cwd=folder)
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                said = process.stdout.read().decode(errors="replace") if output == subprocess.PIPE else ""
                raise AssertionError(f"the service exited before it was ready: {said}")
            assert time.time() < deadline, "the service did not become ready"
            time.sleep(0.1)


def start_fake_stripe(port, webhook_url=None, secret="whsec_fake_stripe_tests"):
    """The standalone fake provider (`rendezvous fake-stripe`) on `port`; returns the process once it accepts."""
    import socket as _socket
    arguments = [BINARY, "fake-stripe", "--port", str(port), "--webhook-secret", secret]
    if webhook_url:
        arguments += ["--webhook-url", webhook_url]
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while True:
        try:
            _socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the fake did not start: " + process.stdout.read().decode(errors="replace"))
            time.sleep(0.1)
