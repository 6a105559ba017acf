"""The records the parts of the harness pass one another: what one run needs (Job), what a tool's
summary says (Parsed), a case and its rows (Case, Generator), and what one run measured (Measurement)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional


@dataclass
class Job:
    """Everything a command builder may use for one run."""

    base: str  # http://127.0.0.1:PORT
    path: str  # "/" or "/close"
    duration: int  # seconds
    users: int  # connections / users
    rate: int  # spawn rate for user-based tools
    depth: int  # pipelining depth
    out: Path  # a file the tool may write a machine-readable summary to
    cicada: str
    ca_file: Optional[str] = None  # https: the CA that signed nginx's certificate

    @property
    def url(self) -> str:
        return self.base + self.path


@dataclass
class Parsed:
    """What a parser extracts from a tool's own output."""

    requests: int
    failures: int = 0
    seconds: Optional[float] = None  # the tool's own measured duration, if it reports one
    extra: dict = field(default_factory=dict)


@dataclass
class Generator:
    """One row of a case: a tool in one configuration."""

    tool: str  # wrk, h2load, hey, ab, locust, cicada: selects with --gen, decides what to install
    label: str
    argv: Callable[[Job], list]
    parse: Callable[[str, Job], Parsed]
    users: int = 50
    depth: int = 1
    path: str = "/"
    rate: Optional[int] = None  # default: users (all at once)
    needs: Optional[str] = None  # a Cicada capability, e.g. "--pipeline"; the row is skipped without it
    note: str = ""
    tls: bool = False  # against nginx's HTTPS server (https://127.0.0.1:TLS_PORT)


@dataclass
class Case:
    key: str
    title: str
    about: str
    duration: int
    kind: str  # "throughput": CPU per request; "capacity": users held, CPU %, RSS per user
    generators: list
    reference: Optional[str] = None  # the label that ratios are computed against
    baseline: bool = False  # capacity cases: also run each generator with 1 user for the marginal RSS
    targets: Optional[Callable] = None  # (case, summaries) -> list of (what, measured, met)
    name: Optional[str] = None  # another name --case accepts ("https-keepalive")
    handshakes: bool = False  # a TLS handshake per request: report handshakes/s and the share resumed


@dataclass
class Measurement:
    case: str
    label: str
    tool: str
    rep: int
    users: int
    wall_s: float = 0.0
    user_s: float = 0.0
    sys_s: float = 0.0
    maxrss_kib: int = 0
    nginx_cpu_s: float = 0.0
    other_cpu_s: float = 0.0
    exit_code: Optional[int] = None
    requests: Optional[int] = None
    failures: Optional[int] = None
    tool_seconds: Optional[float] = None
    extra: dict = field(default_factory=dict)
    steady_cpu_pct: Optional[float] = None  # capacity cases: CPU % without start-up and shutdown
    time_wait: int = 0  # sockets in TIME-WAIT when the run started
    irq_cpu_s: float = 0.0  # interrupt and softirq time of the whole machine during the run
    server_requests: Optional[int] = None  # HTTPS /close: requests in nginx's log during the run
    server_resumed: Optional[int] = None  # of which on a resumed TLS session ($ssl_session_reused)
    server_negotiated: dict = field(default_factory=dict)  # "TLSv1.3 <cipher> <group>" -> requests
    error: Optional[str] = None  # the run produced no usable figure
    skipped: Optional[str] = None  # the run was not attempted, and why

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None and bool(self.requests)

    @property
    def rps(self) -> Optional[float]:
        if not self.requests:
            return None
        secs = self.tool_seconds or self.wall_s
        return self.requests / secs if secs > 0 else None

    @property
    def cpu_us_per_req(self) -> Optional[float]:
        return self.cpu_s * 1e6 / self.requests if self.requests else None

    @property
    def handshakes(self) -> Optional[int]:
        """TLS handshakes the tool made: its own count when it reports one (Cicada), else its requests,
        which is right only where every request opens a connection (the handshake cases)."""
        if not self.requests:
            return None
        return self.extra.get("tls_handshakes", self.requests)

    @property
    def handshakes_per_s(self) -> Optional[float]:
        secs = self.tool_seconds or self.wall_s
        return self.handshakes / secs if self.handshakes and secs > 0 else None

    @property
    def resumed_pct(self) -> Optional[float]:
        """The share of handshakes the tool itself counts as resumed (Cicada only)."""
        n, r = self.extra.get("tls_handshakes"), self.extra.get("tls_resumed")
        return 100.0 * r / n if n and r is not None else None

    @property
    def server_resumed_pct(self) -> Optional[float]:
        """The share of requests nginx logged on a resumed session."""
        if not self.server_requests or self.server_resumed is None:
            return None
        return 100.0 * self.server_resumed / self.server_requests

    @property
    def gen_cpu_pct(self) -> float:
        return 100.0 * self.cpu_s / self.wall_s if self.wall_s else 0.0

    @property
    def nginx_cpu_pct(self) -> float:
        return 100.0 * self.nginx_cpu_s / self.wall_s if self.wall_s else 0.0

    @property
    def other_cpu_pct(self) -> float:
        return 100.0 * self.other_cpu_s / self.wall_s if self.wall_s else 0.0
