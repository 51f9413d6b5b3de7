"""Shared by the live benchmarks: a gunicorn server started on a port and stopped at the end, and a
small signed-in HTTP client (cookies, the CSRF token, no redirects followed) safe to use from many
threads at once (every request opens its own connection)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="[\w-]*csrf_token"')


class LiveServer:
    """`gunicorn 'marketplace:create_app()'` with the given environment; its log in `log_path`."""

    def __init__(self, port: int, env: dict, log_path: Path, *, workers: int = 2, threads: int = 1):
        self.port, self.env, self.log_path = port, env, log_path
        self.workers, self.threads = workers, threads
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LiveServer:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                   "--threads", str(self.threads), "--timeout", "120", "--graceful-timeout", "5",
                   "--access-logfile", "-", "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms', "--error-logfile", "-", "--capture-output", "--chdir", str(ROOT),
                   "marketplace:create_app()"]
        self.log = self.log_path.open("w")
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                if request(self.port, "GET", "/healthz")[0] in (200, 503):
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return response.status, {"set-cookie": response.headers.get_all("Set-Cookie") or []}, text
    finally:
        connection.close()


class Browser:
    """One signed-in person: a session cookie and its CSRF token, shared by any number of threads."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.lock = threading.Lock()

    def _headers(self, extra: dict | None = None) -> dict:
        with self.lock:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, **(extra or {})}

    def _keep(self, headers: dict) -> None:
        with self.lock:
            for line in headers["set-cookie"]:
                name, _sep, rest = line.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]

    def get(self, path: str) -> tuple[int, str]:
        status, headers, text = request(self.port, "GET", path, headers=self._headers())
        self._keep(headers)
        found = CSRF.search(text)
        if found:
            self.token = found.group(1) or found.group(2)
        return status, text

    def post(self, path: str, data: dict | None = None, *, keep: bool = False) -> tuple[int, str]:
        """POST a form with the CSRF token (under every field name a prefixed form may expect)."""
        fields = {"csrf_token": self.token, **(data or {})}
        for name in list(fields):
            if "-" in name:
                fields[name.split("-", 1)[0] + "-csrf_token"] = self.token
        status, headers, text = request(
            self.port, "POST", path, body=urlencode(fields).encode(),
            headers=self._headers({"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.token}))
        if keep:
            self._keep(headers)
        return status, text

    def sign_in(self, email: str, password: str) -> None:
        self.get("/login")
        status, text = self.post("/login", {"email": email, "password": password}, keep=True)
        if status != 302:
            raise RuntimeError(f"sign-in as {email} answered {status}")
        self.get("/")  # a page with a form: the session's CSRF token


def all_at_once(calls: list[Callable[[], tuple[int, str]]]) -> list[tuple[int, str]]:
    """Run every call in its own thread, released together; the answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[tuple[int, str] | None] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait(timeout=60)
        try:
            answers[n] = calls[n]()
        except OSError as error:  # a dropped connection counts as a server failure
            answers[n] = (599, repr(error))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return [answer or (599, "no answer") for answer in answers]
