"""Run a command under GNU time and read its wall time and peak memory."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

GNU_TIME = "/usr/bin/time"

_WALL = re.compile(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)")
_PEAK = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


@dataclass(frozen=True)
class Timed:
    stdout: str
    wall_seconds: float
    peak_mib: float  # maximum resident set size


def run_timed(
    command: list[str], ok_codes: tuple[int, ...] = (0,), timeout: float | None = None
) -> Timed:
    """Run `command` under `time -v`; RuntimeError (with its stderr) if it fails."""
    completed = subprocess.run(
        [GNU_TIME, "-v", *command], capture_output=True, text=True, check=False, timeout=timeout
    )
    if completed.returncode not in ok_codes:
        raise RuntimeError(completed.stderr[-3000:])
    wall, peak = _WALL.search(completed.stderr), _PEAK.search(completed.stderr)
    if wall is None or peak is None:
        raise RuntimeError(f"GNU time printed no figures:\n{completed.stderr[-2000:]}")
    hours, minutes, seconds = wall.groups()
    elapsed = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    return Timed(completed.stdout, elapsed, int(peak.group(1)) / 1024)
