"""What the benchmark scripts share."""

import time

import numpy as np


def timed(fn, *args, repeat=1):
    """Best wall time of ``repeat`` calls of ``fn(*args)`` (waiting for JAX results), and the
    last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        best = min(best, time.perf_counter() - t)
    return best, out


class Record:
    """What one benchmark run measured: the lines it prints, its timings (seconds) and its
    ratios (baseline time over theorylab's), written with provenance by :meth:`write`."""

    def __init__(self, name: str):
        import os

        self.name, self.lines, self.timings, self.ratios = name, [], {}, {}
        self.values: dict = {}  # what a diagnostic measures that is neither a time nor a ratio
        #: the machine's 1-minute load average when the benchmark started: ratios measured side by
        #: side survive a busy machine better than timings, but a load near the core count says
        #: the timings are not the machine's own
        self.load_at_start = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)

    def time(self, key: str, seconds: float) -> float:
        self.timings[key] = round(float(seconds), 6)
        return seconds

    def ratio(self, key: str, value: float) -> float:
        self.ratios[key] = round(float(value), 3)
        return value

    def compare(self, baselines: dict, versions: dict, prefix: str = "") -> None:
        """Record every time, and the ratio of each baseline's time to each other version's
        (``prefix + "baseline/version"``)."""
        for key, seconds in {**baselines, **versions}.items():
            self.time(prefix + key, seconds)
        for b, tb in baselines.items():
            for v, tv in versions.items():
                if v != b:
                    self.ratio(f"{prefix}{b}/{v}", tb / tv)

    def write(self, out, argv, config: dict) -> None:
        """``out/NAME.json`` (provenance, configuration, timings, ratios) and ``out/NAME.txt``
        (the printed lines), atomically; nothing when ``out`` is None."""
        if out is None:
            return
        import sys
        from pathlib import Path

        from theorylab.core.results import atomic_write_json, atomic_write_text, provenance

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        args = list(sys.argv[1:] if argv is None else argv)
        atomic_write_json(folder / f"{self.name}.json",
                          {"provenance": provenance(command=f"python benchmarks/{self.name}.py " + " ".join(args)),
                           "config": {k: v for k, v in config.items() if k != "out"},
                           "load_at_start": self.load_at_start,
                           "timings_s": self.timings, "ratios": self.ratios,
                           **({"values": self.values} if self.values else {})})
        atomic_write_text(folder / f"{self.name}.txt", "\n".join(self.lines) + "\n")


def positive_int(text: str) -> int:
    """An argparse ``type``: a positive integer (argparse names the option and exits 2 otherwise)."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def add_out(parser) -> None:
    parser.add_argument("--out", default=None,
                        help="folder for NAME.json (timings and ratios, with provenance) and NAME.txt "
                             "(by convention results/benchmarks/)")
