"""Kanalkollen's `serve` under cProfile, switched on and off by `bench.turns --profile`.

SIGUSR1 starts profiling the event-loop thread, SIGUSR2 stops it and writes the stats to
the file given as the only argument; SIGTERM stops the server as usual.

    PYTHONPATH=. .venv/bin/python bench/profiled_serve.py /tmp/kanalkollen.prof
"""

from __future__ import annotations

import cProfile
import signal
import sys
from pathlib import Path
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    """Installs the signal handlers, then runs `kanalkollen serve` in this process."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: profiled_serve.py STATS_FILE", file=sys.stderr)
        return 2
    stats_file = Path(args[0])
    profile = cProfile.Profile()

    def start(_signal: int, _frame: FrameType | None) -> None:
        profile.enable()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        profile.disable()
        profile.dump_stats(stats_file)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    from bot.cli.main import main as kanalkollen

    return kanalkollen(["serve"])


if __name__ == "__main__":
    sys.exit(main())
