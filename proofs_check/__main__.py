"""Run every symbolic check; exit status 1 if any fails."""

import sys
import time

from . import all_checks


def main() -> int:
    from theorylab import x64

    with x64():  # the numeric spot checks call float64 families
        return _run()


def _run() -> int:
    failed = 0
    for name, fn in all_checks():
        t0 = time.perf_counter()
        try:
            fn()
            status = "ok"
        except AssertionError as e:
            failed += 1
            status = f"FAILED: {e}"
        print(f"{name:60s} {status} ({time.perf_counter() - t0:.2f}s)")
    total = len(all_checks())
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
