"""Wall time of the command line's start: ``reluscope --help`` and bad input, each in a fresh process.

Each case runs the installed ``reluscope`` script (the console entry point next to this interpreter) ``--repeat``
times; the median is printed. A usage error stops in the parser; a validation error is checked against the
command's torch-free configuration (``TrainConfig``, ``model.names``, ``limits``) before the library loads.

    .venv/bin/python benchmarks/cli_start.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("reluscope")
CASES = {
    "reluscope --help": (["--help"], 0),
    "unknown command (reluscope trian)": (["trian"], 2),
    "unknown option (reluscope --depht 3)": (["--depht", "3"], 2),
    "usage error in a command (train --depth x)": (["train", "--depth", "x"], 2),
    "validation error (train --depth 0)": (["train", "--depth", "0"], 2),
    "missing run directory (regions /nonexistent)": (["regions", "/nonexistent"], 2),
    "missing run directory (backproject /nonexistent)": (["backproject", "/nonexistent"], 2),
    "validation error (init-study --depths 0)": (["init-study", "--depths", "0"], 2),
    "validation error (sweep --depths 0)": (["sweep", "--depths", "0"], 2),
    "validation error (study --dataset bogus)": (["study", "--dataset", "bogus"], 2),
    "validation error (serve --port -5)": (["serve", "--port", "-5"], 2),
}


def median_seconds(args: list[str], code: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if proc.returncode != code:
            raise SystemExit(f"{args}: exit {proc.returncode}, expected {code}: {proc.stderr.strip()}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    width = max(map(len, CASES))
    print(f"median wall time of {args.repeat} runs, fresh process each")
    for name, (argv, code) in CASES.items():
        print(f"{name:<{width}}  {median_seconds(argv, code, args.repeat):.2f} s")


if __name__ == "__main__":
    main()
