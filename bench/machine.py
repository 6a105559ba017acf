"""What the run was on, for the report: the machine, its limits, and each tool's version."""

from __future__ import annotations

import os
import platform
import re
import resource
import shutil
import subprocess
from pathlib import Path

from common import VENV


def tool_version(tool: str, cicada: str) -> str:
    def run(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (r.stdout + r.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    if tool in ("wrk", "hey", "ab", "h2load", "nginx"):
        pkg = {"h2load": "nghttp2-client", "ab": "apache2-utils", "nginx": "nginx-light"}.get(tool, tool)
        v = run(["dpkg-query", "-W", "-f", "${Version}", pkg])
        if v:
            return f"{tool} (Debian {pkg} {v})"
        return shutil.which(tool) or f"{tool}: not found"
    if tool == "locust":
        v = run([str(VENV / "bin" / "locust"), "--version"]).split(" from ")[0]
        return v or "locust: not installed"
    if tool == "cicada":
        v = run([cicada, "--version"]).splitlines()
        return f"cicada {v[0]}" if v and v[0] else f"cicada ({cicada})"
    return tool


def machine_description(opts, cicada: str, tools: list) -> list:
    def sh(argv) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    model = ""
    for line in sh(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    distro = ""
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    somax = Path("/proc/sys/net/core/somaxconn").read_text().strip()
    lines = [
        f"- CPUs: {os.cpu_count()} (`nproc`: {sh(['nproc'])}), {model}",
        f"- memory: {mem_kib / 1024 / 1024:.1f} GiB; kernel {platform.release()}; {distro}",
        f"- open-files limit {soft} (hard {hard}); net.core.somaxconn {somax}",
        f"- nginx pinned to CPU {opts.server_cpu}, generators to CPU {opts.client_cpu} (`taskset`)",
        "- tools: " + "; ".join(tool_version(t, cicada) for t in ["nginx"] + tools),
    ]
    return lines


def machine_slug(opts) -> str:
    if opts.machine:
        return opts.machine
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1]
    except OSError:
        pass
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") or platform.machine()
    return f"{os.cpu_count()}core-{slug}"
