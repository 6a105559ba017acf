"""What the harness needs before it runs: the peers and nginx from Debian, Locust's venv, the Cicada
binary (and what its `run` accepts), and the small C helpers it builds: bench/measure and the malloc
counter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from common import BENCH, REPO, VENV, WORK, log

# The Debian package that provides each binary the harness runs.
DEBIAN_PACKAGES = {
    "wrk": "wrk",
    "h2load": "nghttp2-client",
    "hey": "hey",
    "ab": "apache2-utils",
    "nginx": "nginx-light",
    "taskset": "util-linux",
    "cc": "gcc",
    "openssl": "openssl",  # the HTTPS cases generate their CA and server certificate with it
}


def ensure_debian(binaries: list) -> None:
    missing = [b for b in binaries if shutil.which(b) is None]
    if not missing:
        return
    pkgs = sorted({DEBIAN_PACKAGES[b] for b in missing})
    if os.geteuid() != 0:
        sys.exit(f"bench: missing {', '.join(missing)}; install the Debian packages {' '.join(pkgs)}")
    log(f"bench: installing {' '.join(pkgs)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-q", *pkgs], env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", *pkgs], env=env, check=True)
    still = [b for b in missing if shutil.which(b) is None]
    if still:
        sys.exit(f"bench: still missing after install: {', '.join(still)}")


def ensure_locust() -> None:
    if (VENV / "bin" / "locust").exists():
        return
    log(f"bench: creating {VENV} with Locust (bench/locust/requirements.txt)")
    if subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode != 0:
        # Debian splits venv out of python3.
        ensure_apt_package("python3-venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "-r", str(BENCH / "locust" / "requirements.txt")],
                   check=True)


def ensure_apt_package(pkg: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-q", pkg], env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", pkg], env=env, check=True)


def ensure_cicada(opts) -> str:
    path = opts.cicada or os.environ.get("CICADA") or str(REPO / ".build" / "release" / "cicada")
    if Path(path).is_file() and os.access(path, os.X_OK):
        return os.path.abspath(path)  # the tools run in the run directory: a relative path would not resolve
    if opts.cicada or os.environ.get("CICADA"):
        sys.exit(f"bench: no Cicada binary at {path}")
    log("bench: building Cicada: swift build -c release")
    if subprocess.run(["swift", "build", "-c", "release"], cwd=REPO).returncode != 0 or not Path(path).is_file():
        sys.exit("bench: `swift build -c release` failed; pass --cicada PATH, or --gen to run peers only")
    return path


HOOK_BENCH = "cicada-hook-bench"


def hook_bench_path(cicada: str) -> Path:
    """bench/hook's runner, which `swift build -c release` builds beside cicada."""
    return Path(cicada).parent / HOOK_BENCH


def cicada_supports(cicada: str, flag: str, cache: dict = {}) -> bool:
    """Whether this Cicada has a `cicada run` option, or (for HOOK_BENCH) the hook runner beside it."""
    if flag == HOOK_BENCH:
        return os.access(hook_bench_path(cicada), os.X_OK)
    if flag not in cache:
        try:
            r = subprocess.run([cicada, "run", "--help"], capture_output=True, text=True, timeout=20)
            cache[flag] = flag in (r.stdout + r.stderr)
        except (OSError, subprocess.TimeoutExpired):
            cache[flag] = False
    return cache[flag]


def build_measure() -> Path:
    """bench/measure/measure.c: runs a tool and reports its rusage (CPU time, peak RSS)."""
    exe = WORK / "measure"
    src = BENCH / "measure" / "measure.c"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        WORK.mkdir(exist_ok=True)
        subprocess.run(["cc", "-O2", "-o", str(exe), str(src)], check=True)
    return exe


def build_malloc_counter() -> Path:
    out = WORK / "malloc_counter"
    out.mkdir(parents=True, exist_ok=True)
    so = out / "malloc_counter.so"
    src = BENCH / "malloc_counter" / "malloc_counter.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(so), str(src), "-ldl"], check=True)
    return so


def ensure_micro_headers() -> None:
    """The microbenchmarks compile the core, which needs libuv's and OpenSSL's headers."""
    for header, pkg in (("/usr/include/uv.h", "libuv1-dev"), ("/usr/include/openssl/ssl.h", "libssl-dev")):
        if not Path(header).exists():
            if os.geteuid() != 0:
                sys.exit(f"bench: missing {header}; install the Debian package {pkg}")
            ensure_apt_package(pkg)
