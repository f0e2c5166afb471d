"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, a server on a free loopback port, trust
authentication for the `postgres` user, removed when stopped.

As a library: `cluster = Cluster(); cluster.start(); cluster.url("postgres")`; `cluster.restart()` for tests of a
database that goes away. As a command (Scripts/test): `pg_cluster.py start FOLDER` prints the server's URL and
leaves it running; `pg_cluster.py stop FOLDER` stops it and removes the folder.

Run as root, the server runs as the `postgres` user (PostgreSQL refuses to run as root)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(os.environ.get("RENDEZVOUS_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_server_user(arguments, **kwargs):
    if os.geteuid() == 0:
        arguments = ["runuser", "-u", "postgres", "--", *arguments]
    return subprocess.run(arguments, check=True, **kwargs)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, folder=None, port=None):
        if not (BIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL is not installed at {BIN}: apt-get install -y postgresql-15 postgresql-contrib "
                "(or set RENDEZVOUS_PG_BIN to its bin folder)")
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="rendezvous-pg-"))
        self.data = self.folder / "data"
        self.port_file = self.folder / "port"
        self.port = port or (int(self.port_file.read_text()) if self.port_file.exists() else _free_port())

    def start(self):
        """Creates the cluster if needed and starts its server; waits until it accepts connections."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        if not self.data.exists():
            _as_server_user([str(BIN / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres",
                             "--encoding=UTF8", "--locale=C.UTF-8"], stdout=subprocess.DEVNULL)
        self.port_file.write_text(str(self.port))
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=600 "
                   "-c shared_buffers=128MB")
        _as_server_user([str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                         str(self.folder / "server.log"), "-w", "-t", "60", "start"], stdout=subprocess.DEVNULL)
        return self

    def stop(self, mode="fast"):
        _as_server_user([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
                        stdout=subprocess.DEVNULL)

    def restart(self, down_for=0.0):
        """Stops the server (every connection is cut), waits `down_for` seconds, and starts it again."""
        self.stop(mode="immediate")
        time.sleep(down_for)
        self.start()

    def remove(self):
        try:
            self.stop(mode="immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def sql(self, statement, database="postgres"):
        """Runs one statement with psql; returns its output (unaligned, tuples only)."""
        return _as_server_user([str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                                "-d", database, "-At", "-c", statement], capture_output=True, text=True).stdout

    def create_database(self, name):
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)


if __name__ == "__main__":
    command, folder = sys.argv[1], sys.argv[2]
    cluster = Cluster(folder)
    if command == "start":
        cluster.start()
        print(cluster.url("postgres"))
    elif command == "stop":
        cluster.remove()
    else:
        sys.exit(f"usage: {sys.argv[0]} start|stop FOLDER")
