#!/usr/bin/env python3
"""Runs `cicada run ...` with its web UI on a free port while a page's worth of watching goes on: a
detached process follows /api/events (the page's live updates) for the whole run, as an open browser tab
does. This process then becomes cicada (exec), so bench/measure's rusage is cicada's alone; the watcher,
detached from it, is not counted.

    web_watch.py CICADA run SCENARIO ... (without --web-port; it is added)
"""
import os
import socket
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watch(port: int, deadline: float) -> None:
    """Follows the event stream until cicada closes it (its --autoquit) or the deadline."""
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/events", timeout=30) as stream:
                while stream.readline():
                    pass
            return
        except OSError:
            time.sleep(0.05)


def main() -> None:
    port = free_port()
    if os.fork() == 0:
        # Detached twice, so that cicada never waits for (and never counts) the watcher.
        if os.fork() == 0:
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            watch(port, time.time() + 600)
        os._exit(0)
    os.execv(sys.argv[1], sys.argv[1:] + ["--web-port", str(port)])


if __name__ == "__main__":
    main()
