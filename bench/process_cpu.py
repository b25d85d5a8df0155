"""CPU seconds of a process and all its descendants, from /proc (Linux): what a server's processes (uvicorn's
workers, PostgreSQL's backends) spent while a bench drove them. On a shared machine, CPU per request is a
steadier figure than throughput."""

from __future__ import annotations

import os
from pathlib import Path


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of `root` and every live descendant (children that already exited are not counted)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])  # after the name: state, ppid, ..., utime (12th), stime (13th)
        ticks[pid] = int(fields[11]) + int(fields[12])
    inside = {root}
    grew = True
    while grew:
        before = len(inside)
        inside |= {pid for pid, parent in parents.items() if parent in inside}
        grew = len(inside) > before
    return sum(ticks.get(pid, 0) for pid in inside) / os.sysconf("SC_CLK_TCK")


def postmaster_pid(data_folder: Path) -> int:
    return int((data_folder / "postmaster.pid").read_text().split()[0])
