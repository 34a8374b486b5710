"""theorylab's pytest plugin (entry point ``pytest11``), loaded once theorylab is installed.

Fixtures:

* ``theorylab_verdict(claim_id, size=None, seeds=None, root=0)``: the claim's verdict, run
  once per session (cells cached under ``theorylab_cache_dir``); ``size`` defaults to
  ``--theorylab-size`` (quick).
* ``theorylab_measure(claim_id, control=None, size=None, seeds=None)``: the raw measurement,
  once per session.
* ``theorylab_cache_dir``: the session's cell cache (``--theorylab-cache DIR`` to keep one
  between sessions).
* ``theorylab_pins``: the pin file (ini option ``theorylab_pins``, default
  ``tests/theorylab_pins.json``, relative to the configuration file's folder); ``theorylab_pins.assert_pinned(verdict)``,
  or ``theorylab_pins.file(path)`` for a file of your choice; and
  ``theorylab_pins.assert_measurement_pinned(claim_id, theorylab_measure, path)``: every number
  the claim and its controls measure, pinned with a tolerance from its own interval.

Options: ``--theorylab-regen-pins`` writes the measured slopes into the pin files instead of
comparing (on purpose, as pytest-regressions' ``--force-regen``); a missing pin fails with a
message saying so. A corrupt pin file fails the test with a one-line error. Regenerating runs
the tests in one process even where pytest-xdist would start workers (``-n``): every pin file is
read, changed and written by that process, and the summary lists what it wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REGEN = "--theorylab-regen-pins"


def pytest_addoption(parser):
    g = parser.getgroup("theorylab", "theorylab claims")
    g.addoption(REGEN, action="store_true", default=False,
                help="write measured slopes into the pin files instead of comparing them")
    g.addoption("--theorylab-size", default="quick", choices=("quick", "full"),
                help="size the theorylab_verdict fixture runs claims at (default quick)")
    g.addoption("--theorylab-cache", default=None, metavar="DIR",
                help="cell cache for theorylab fixtures (default: a fresh folder per session)")
    parser.addini("theorylab_pins", "default pin file, relative to the configuration file's folder",
                  default="tests/theorylab_pins.json")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """With --theorylab-regen-pins, no pytest-xdist workers: pin files are read, changed and
    written whole, so two processes writing one file would lose each other's pins. Works before
    or after xdist's own hook (which turns ``-n`` into workers)."""
    if config.getoption(REGEN, False) and getattr(config.option, "numprocesses", None):
        config.option.numprocesses = 0
        config.option.dist = "no"
        config.option.tx = []


class Pins:
    """Pin files of a session: the default one and any other by path."""

    def __init__(self, config):
        self._config = config
        self._files: dict = {}

    def file(self, path=None):
        """The :class:`~theorylab.core.pins.PinFile` at ``path`` (relative to the folder of the
        pytest configuration file, else the rootdir; default: the ini option ``theorylab_pins``)."""
        from theorylab.core.pins import PinFile

        p = Path(path or self._config.getini("theorylab_pins"))
        if not p.is_absolute():
            ini = getattr(self._config, "inipath", None)
            p = (Path(ini).parent if ini else Path(self._config.rootpath)) / p
        if p not in self._files:
            self._files[p] = PinFile(p, regen=self._config.getoption(REGEN),
                                     how_to_regen=f"pytest {REGEN}")
        return self._files[p]

    def _resolve(self, path) -> Path:
        p = Path(path)
        if not p.is_absolute():
            ini = getattr(self._config, "inipath", None)
            p = (Path(ini).parent if ini else Path(self._config.rootpath)) / p
        return p

    def measurements(self, path):
        """The :class:`~theorylab.core.pins.MeasurementPins` at ``path`` (relative as ``file``)."""
        from theorylab.core.pins import MeasurementPins

        p = self._resolve(path)
        key = ("measurements", p)
        if key not in self._files:
            self._files[key] = MeasurementPins(p, regen=self._config.getoption(REGEN),
                                               how_to_regen=f"pytest {REGEN}",
                                               size=self._config.getoption("--theorylab-size"))
        return self._files[key]

    def assert_measurement_pinned(self, claim, measure, path):
        """:func:`theorylab.testing.assert_measurement_pinned` against the measurement pin file
        at ``path``; a corrupt file fails the test with its one-line error."""
        from theorylab.core.pins import PinError
        from theorylab.testing import assert_measurement_pinned

        try:
            assert_measurement_pinned(claim, measure, self.measurements(path))
        except PinError as e:
            pytest.fail(str(e), pytrace=False)

    def assert_pinned(self, verdict, path=None, **kw):
        """:func:`theorylab.testing.assert_pinned` against the pin file at ``path``. A corrupt
        file fails the test with its one-line error."""
        from theorylab.core.pins import PinError
        from theorylab.testing import assert_pinned

        kw.setdefault("size", self._config.getoption("--theorylab-size"))
        try:
            assert_pinned(verdict, self.file(path), **kw)
        except PinError as e:
            pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def theorylab_cache_dir(request, tmp_path_factory):
    opt = request.config.getoption("--theorylab-cache")
    return Path(opt) if opt else tmp_path_factory.mktemp("theorylab-cache")


@pytest.fixture(scope="session")
def theorylab_verdict(request, theorylab_cache_dir):
    """``get(claim_id, size=None, seeds=None, root=0) -> Verdict``, each run once per session."""
    from theorylab.core.verify import run_claim

    done: dict = {}
    default = request.config.getoption("--theorylab-size")

    def get(claim_id: str, size=None, seeds=None, root: int = 0):
        key = (claim_id, size or default, seeds, root)
        if key not in done:
            done[key] = run_claim(claim_id, key[1], seeds=seeds, root=root,
                                  cache_dir=theorylab_cache_dir, progress=False)
        return done[key]

    return get


@pytest.fixture(scope="session")
def theorylab_measure(request, theorylab_cache_dir):
    """``get(claim_id, control=None, size=None, seeds=None, root=0) -> Measurement``."""
    from theorylab.core.verify import measure

    default = request.config.getoption("--theorylab-size")

    done: dict = {}

    def get(claim_id: str, control=None, size=None, seeds=None, root: int = 0):
        key = (claim_id, control, size or default, seeds, root)
        if key not in done:  # once per session: tests that read one measurement share it
            done[key] = measure(claim_id, key[2], control=control, seeds=seeds, root=root,
                                cache_dir=theorylab_cache_dir)
        return done[key]

    return get


_PINS = pytest.StashKey()


@pytest.fixture(scope="session")
def theorylab_pins(request):
    pins = Pins(request.config)
    request.config.stash[_PINS] = pins
    return pins


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """With --theorylab-regen-pins: which pins were written, file by file."""
    pins = config.stash.get(_PINS, None)
    if pins is None or not config.getoption(REGEN):
        return
    for f in pins._files.values():
        if f.written:
            terminalreporter.write_line(f"theorylab: wrote {len(f.written)} pins to {f.path}: "
                                        + ", ".join(f.written[:8]) + (" ..." if len(f.written) > 8 else ""))
