"""What the kernel says, read from /proc: the CPU time of a process and of the machine, and the
sockets in TIME-WAIT (with the wait for them to expire before a run of many users)."""

from __future__ import annotations

import os
import time

from common import log

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (proc(5): fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    rest = stat[stat.rfind(")") + 2:].split()
    return int(rest[11]) + int(rest[12])


def system_ticks() -> tuple:
    """(task time, interrupt time) of all CPUs together, from /proc/stat.

    Interrupt time is kept apart: with IRQ time accounting (CONFIG_IRQ_TIME_ACCOUNTING) the softirq
    work of loopback TCP is charged to no process, so it belongs to neither "other processes" nor the
    generator's rusage; the raw table shows it per run."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + steal, irq + softirq


def tcp_time_wait() -> int:
    """Sockets in TIME-WAIT in this network namespace (/proc/net/sockstat)."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                parts = line.split()
                return int(parts[parts.index("tw") + 1])
    return 0


# Each TIME-WAIT socket from an earlier run holds a local port for 60 s (net.ipv4.tcp_fin_timeout does
# not shorten it), and the loopback ephemeral range holds about 28000 ports: after a run of 18000 users,
# a second one finds few free ports and the kernel's search for one makes every connect() slow (wrk
# -c18000 completed no request at all with 23000 sockets in TIME-WAIT). Runs of many users therefore
# wait, a bounded time, for the count to fall.
TIME_WAIT_USERS = 1000  # runs with at least this many users wait
TIME_WAIT_QUIET = 2000  # until fewer sockets than this are in TIME-WAIT
TIME_WAIT_MAX_WAIT = 65  # seconds


def wait_for_time_wait(users: int) -> int:
    tw = tcp_time_wait()
    if users < TIME_WAIT_USERS or tw < TIME_WAIT_QUIET:
        return tw
    log(f"    waiting for {tw} TIME-WAIT sockets to expire (at most {TIME_WAIT_MAX_WAIT} s)")
    deadline = time.monotonic() + TIME_WAIT_MAX_WAIT
    while tw >= TIME_WAIT_QUIET and time.monotonic() < deadline:
        time.sleep(1)
        tw = tcp_time_wait()
    return tw
