"""Schemathesis over the whole OpenAPI document, public and admin operations, every check, against `rendezvous
serve` as a user starts it: no server error, no schema violation, no undocumented status or content type,
schema-valid requests accepted and schema-invalid ones refused (what no schema can express is listed, with its
reason, in schemathesis.toml beside this file), 405 with Allow for other methods, authentication not ignored."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from rendezvous_support import free_port, start_serve

HERE = Path(__file__).resolve().parent
ADMIN = ("owner@cabinet.test", "correct horse battery")


def test_the_api_holds_to_its_openapi_document_under_fuzzing():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    seed = os.environ.get("SCHEMATHESIS_SEED", "1")
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "60")
    with tempfile.TemporaryDirectory() as folder:
        process = start_serve(folder, port, "fuzz.sqlite",
                              {"RENDEZVOUS_ADMIN_EMAIL": ADMIN[0], "RENDEZVOUS_ADMIN_PASSWORD": ADMIN[1]})
        try:
            login = urllib.request.Request(
                f"{base}/api/admin/login", method="POST", headers={"Content-Type": "application/json"},
                data=json.dumps({"email": ADMIN[0], "password": ADMIN[1]}).encode())
            with urllib.request.urlopen(login, timeout=10) as answer:
                token = json.load(answer)["token"]
            cli = Path(sys.executable).parent / "schemathesis"
            # NB: one worker: hypothesis parses filter lambdas with `ast`, which is not thread-safe on Python 3.11.
            run = subprocess.run(
                [str(cli), "--config-file", str(HERE / "schemathesis.toml"), "run", f"{base}/openapi.json",
                 "--checks", "all", "--header", f"Authorization: Bearer {token}",
                 "--max-examples", examples, "--seed", seed, "--no-shrink", "--workers", "1",
                 "--report-dir", str(Path(folder) / "report")],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, cwd=folder)
            report = run.stdout.decode(errors="replace")
            assert run.returncode == 0, f"schemathesis (seed {seed}) found problems:\n{report[-20000:]}"
            # It really ran: the summary counts the generated cases that passed, and there are some.
            counted = re.search(r"(\d+) generated, (\d+) passed", report)
            assert counted and int(counted.group(2)) > 0, report[-3000:]
        finally:
            process.send_signal(signal.SIGTERM)
            output = process.communicate(timeout=30)[0].decode(errors="replace")
        # No request made the service log an unexpected error (a 500 would have been one).
        assert "unexpected error" not in output, output[-5000:]
        assert process.returncode == 0, output[-5000:]
