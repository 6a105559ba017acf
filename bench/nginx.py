"""The target: the bench's own nginx on loopback, over HTTP and, for the HTTPS cases, TLS."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

from certificates import make_certificates
from common import BENCH
from procfs import proc_cpu_ticks

# nginx answers every request with this body: 99 characters and a newline, 100 bytes.
BODY_TEXT = "x" * 99


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    def __init__(self, cpu: Optional[int], tls: bool = False):
        self.cpu = cpu
        self.tls = tls
        self.dir = Path(tempfile.mkdtemp(prefix="cicada-bench-nginx-"))
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.proc: Optional[subprocess.Popen] = None
        self.worker_pid: Optional[int] = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_base(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> str:
        return str(self.dir / "ca.pem")

    @property
    def tls_log(self) -> Path:
        """nginx's log of /close over TLS: one line per request, "r" when its session was resumed."""
        return self.dir / "tls-close.log"

    def start(self) -> None:
        def fill(text: str) -> str:
            return (text.replace("@DIR@", str(self.dir)).replace("@PORT@", str(self.port))
                    .replace("@TLS_PORT@", str(self.tls_port)).replace("@BODY@", BODY_TEXT))

        # The HTTPS server lives in its own file, included by nginx.conf; empty when no case needs it.
        tls_conf = ""
        if self.tls:
            make_certificates(self.dir)
            tls_conf = fill((BENCH / "nginx-tls.conf.template").read_text())
        (self.dir / "tls.conf").write_text(tls_conf)
        (self.dir / "nginx.conf").write_text(fill((BENCH / "nginx.conf.template").read_text()))
        argv = ["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")]
        if self.cpu is not None:
            argv = ["taskset", "-c", str(self.cpu)] + argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr", "w"),
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited at start:\n" + (self.dir / "stderr").read_text()
                                   + self._error_log())
            self.worker_pid = self._find_worker()
            if self.worker_pid and self._answers() and (not self.tls or self._answers_tls()):
                return
            time.sleep(0.05)
        raise RuntimeError("nginx did not answer on " + self.base + self._error_log())

    def _error_log(self) -> str:
        p = self.dir / "error.log"
        return p.read_text() if p.exists() else ""

    def _find_worker(self) -> Optional[int]:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2:].split()[1]) == self.proc.pid:
                return int(entry)
        return None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
            return data.startswith(b"HTTP/1.1 200") and data.endswith(BODY_TEXT.encode() + b"\n")
        except OSError:
            return False

    def _answers_tls(self) -> bool:
        """GET / over TLS, verifying the certificate against the bench's CA as Cicada will."""
        try:
            ctx = ssl.create_default_context(cafile=self.ca_file)
            with socket.create_connection(("127.0.0.1", self.tls_port), timeout=1) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := s.recv(4096):
                        data += chunk
            return data.startswith(b"HTTP/1.1 200") and data.endswith(BODY_TEXT.encode() + b"\n")
        except (OSError, ssl.SSLError):
            return False

    def tls_log_offset(self) -> int:
        try:
            return self.tls_log.stat().st_size
        except OSError:
            return 0

    def tls_log_since(self, offset: int) -> tuple:
        """(requests, resumed, {"TLSv1.3 TLS_AES_128_GCM_SHA256 X25519": requests, ...}) that nginx
        logged for /close over TLS since `offset`. The log is written without a buffer, so it is
        complete as soon as the run's last response has been sent."""
        try:
            with open(self.tls_log, "rb") as f:
                f.seek(offset)
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return 0, 0, {}
        resumed, params = 0, {}
        for line in lines:
            reused, _, negotiated = line.partition(" ")
            resumed += reused == "r"
            params[negotiated] = params.get(negotiated, 0) + 1
        return len(lines), resumed, params

    def cpu_ticks(self) -> int:
        return proc_cpu_ticks(self.worker_pid)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: the master waits for the worker
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
