"""`python -m marketplace.run [--host H] [--port P]`: the site and the worker together (`make run`).

Starts `flask run` and `flask worker` as child processes with this environment; Ctrl-C (or SIGTERM)
stops both; if either one ends, the other is stopped too and the exit status is the first one's.
Each child runs in its own process group, so a signal reaches it once, from here."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

STOP_SECONDS = 10  # a child that has not stopped by then is killed


def commands(host: str, port: int, threads: int) -> dict[str, list[str]]:
    flask = [sys.executable, "-m", "flask", "--app", "marketplace"]
    return {"web": [*flask, "run", "--host", host, "--port", str(port), "--no-reload"],
            "worker": [*flask, "worker", "--threads", str(threads)]}


def stop(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGINT)  # graceful for both: flask run and the huey consumer
    deadline = time.monotonic() + STOP_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            print(f"run: {name} did not stop in {STOP_SECONDS} s; killing it", file=sys.stderr)
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--threads", type=int, default=2, help="worker threads")
    args = parser.parse_args(argv)

    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.setdefault("SITE_URL", f"http://{args.host}:{args.port}")
    children = {name: subprocess.Popen(command, env=env, start_new_session=True)
                for name, command in commands(args.host, args.port, args.threads).items()}
    status = 0
    try:
        while not stopping:
            ended = {name: child.returncode for name, child in children.items() if child.poll() is not None}
            if ended:
                name, status = next(iter(ended.items()))
                print(f"run: {name} exited with status {status}; stopping the rest", file=sys.stderr)
                break
            time.sleep(0.2)
    finally:
        stop(children)
    return status


if __name__ == "__main__":
    sys.exit(main())
