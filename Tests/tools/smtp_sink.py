"""A real SMTP server for the tests (aiosmtpd): stores every message it accepts as an .eml file in a folder.

    python3 Tests/tools/smtp_sink.py --port 2525 --dir /tmp/mail [--tls CERT KEY] [--auth USER:PASS]

With --tls it offers STARTTLS (and requires it before AUTH), or with --implicit-tls speaks TLS from the first byte;
with --auth it requires AUTH PLAIN or LOGIN (--login-only: LOGIN alone) with that user and password. Prints "ready" once listening; stops on SIGTERM.
"""

import argparse
import asyncio
import signal
import ssl
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = self.folder / f"{uuid.uuid4().hex}.eml"
        header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        name.with_suffix(".tmp").write_bytes(header.encode() + envelope.original_content)
        name.with_suffix(".tmp").rename(name)
        return "250 OK stored"


def main():
    # A parent may have blocked these (threads of a Swift test process do); blocked signals are inherited.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps) with --tls")
    parser.add_argument("--login-only", action="store_true", help="offer AUTH LOGIN and not PLAIN")
    args = parser.parse_args()

    options = {}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.tls)
        if args.implicit_tls:
            options["ssl_context"] = context
        else:
            options["tls_context"] = context
            options["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        options["authenticator"] = authenticate
        options["auth_required"] = True
        # aiosmtpd counts only STARTTLS as TLS for this check; a --implicit-tls session is encrypted anyway.
        options["auth_require_tls"] = bool(args.tls) and not args.implicit_tls
        if args.login_only:
            options["auth_exclude_mechanism"] = ["PLAIN"]

    controller = Controller(Store(args.dir), hostname="127.0.0.1", port=args.port, **options)
    controller.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
