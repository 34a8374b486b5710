"""theorylab's pytest plugin outside a family's suite: what it does to the session itself."""

from types import SimpleNamespace

from theorylab import pytest_plugin


def _config(regen: bool, numprocesses):
    option = SimpleNamespace(numprocesses=numprocesses, dist="loadgroup", tx=["popen"] * (numprocesses if isinstance(numprocesses, int) else 0))
    return SimpleNamespace(option=option, getoption=lambda name, default=None: regen
                           if name == pytest_plugin.REGEN else default)


def test_regenerating_pins_runs_in_one_process_even_with_xdist_workers_asked_for():
    """Pin files are read, changed and written whole: two xdist workers regenerating one file
    would lose each other's pins, so --theorylab-regen-pins turns workers off."""
    cfg = _config(True, 4)
    assert pytest_plugin.pytest_cmdline_main(cfg) is None  # a firstresult hook: never ends the chain
    assert (cfg.option.numprocesses, cfg.option.dist, cfg.option.tx) == (0, "no", [])
    cfg = _config(True, "auto")  # before xdist resolved "auto"
    pytest_plugin.pytest_cmdline_main(cfg)
    assert (cfg.option.numprocesses, cfg.option.dist, cfg.option.tx) == (0, "no", [])
    # comparing pins (no regen) leaves the workers alone; no xdist at all is fine too
    cfg = _config(False, 4)
    pytest_plugin.pytest_cmdline_main(cfg)
    assert (cfg.option.numprocesses, cfg.option.dist) == (4, "loadgroup")
    cfg = SimpleNamespace(option=SimpleNamespace(), getoption=lambda name, default=None: True)
    pytest_plugin.pytest_cmdline_main(cfg)
    assert not hasattr(cfg.option, "numprocesses")
