"""``theorylab selftest``: the package measures its own statistics on data with a known truth.

Every interval a verdict rests on is run, through the package's own functions, on synthetic
data whose true value is known, many times, and the fraction of intervals that contain the
truth (the coverage) is reported with its Monte Carlo standard error
``sqrt(c (1 - c) / reps)``. So are the false-pass and false-fail rates of a slope check against a
band. The intervals:

* the slope interval of :func:`~theorylab.core.fit.fit_rate` (t over the seeds' own slopes;
  pairwise-complete when seeds are ragged; Welch when each point has its own seeds), on power
  laws whose slope varies from seed to seed, with Gaussian and heavy-tailed (t, 3 degrees of
  freedom) noise, on 4 and 7 grid points, and on a curved window (whose truth is the slope of
  the least-squares line through the expected log values);
* the tilt interval (99%) on a curved window, and how often a straight window is called curved;
* the Clopper-Pearson interval of a violating fraction over instances (pointwise and limit
  checks), the distribution-free interval of a quantile (the instances' worst ratios, a limit
  check's median), and the t-interval of a mean over replicas whose upper end a pointwise check
  compares with a bound (``bpmd.uniform_linear``), on skewed (log-normal) replicas;
* the Wilson interval of a calibration's pass rate over 20 roots.

Seed counts: every count the loaded claims use (4 ... 2048). The target is a coverage of at
least 0.93 for every interval reported as 95%; a row is flagged when its coverage plus two
Monte Carlo standard errors is below its target.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .checks import SlopeCheck, decide_interval, fraction_interval, quantile_interval
from .fit import TILT_LEVEL, fit_rate, log_spread, mean_interval

FORMAT = "theorylab-selftest/1"
TARGET = 0.93  # the least coverage accepted for an interval reported as 95%
DEFAULT_SEEDS = (4, 8, 16, 32, 64, 128, 256, 512)


@dataclasses.dataclass(frozen=True)
class Row:
    interval: str
    scenario: str
    seeds: int
    points: Optional[int]
    nominal: float
    target: float
    hits: int
    reps: int
    kind: str = "coverage"  # or "false-pass", "false-fail", "false-curved", "power"

    def __post_init__(self):  # counts arrive as numpy integers from array comparisons
        object.__setattr__(self, "hits", int(self.hits))
        object.__setattr__(self, "reps", int(self.reps))
        object.__setattr__(self, "seeds", int(self.seeds))

    @property
    def rate(self) -> float:
        return self.hits / self.reps

    @property
    def mc_se(self) -> float:
        c = self.rate
        return float(np.sqrt(max(c * (1 - c), 0.25 / self.reps) / self.reps))

    @property
    def ok(self) -> bool:
        """Coverage rows: not below the target by more than two Monte Carlo errors; error-rate
        rows (false pass, false fail, false curvature): not above theirs by more than two."""
        if self.kind in ("coverage", "power"):
            return self.rate + 2 * self.mc_se >= self.target
        return self.rate - 2 * self.mc_se <= self.target

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.update(rate=round(self.rate, 4), mc_se=round(self.mc_se, 4), ok=self.ok)
        return d


# ----------------------------------------------------------------------------------------
# Synthetic slope data
# ----------------------------------------------------------------------------------------
def _grid(points: int) -> np.ndarray:
    return np.geomspace(64, 65536, points)


def _noise(rng, shape, heavy: bool) -> np.ndarray:
    if heavy:  # t with 3 degrees of freedom, scaled to unit variance
        return rng.standard_t(3, size=shape) / np.sqrt(3.0)
    return rng.standard_normal(shape)


def power_law(rng, seeds: int, points: int, *, slope: float = -0.5, slope_sd: float = 0.05,
              noise: float = 0.1, heavy: bool = False, curvature: float = 0.0) -> tuple:
    """``log y_sm = 1 + b_s u_m + curvature * (u_m - mean u)^2 + noise e_sm`` with a seed-level
    slope ``b_s = slope + slope_sd z_s``; returns ``(x, y, true slope)``. The true slope is that
    of the least-squares line through the expected ``log y`` (``slope`` when not curved)."""
    x = _grid(points)
    u = np.log(x)
    uc = u - u.mean()
    b = slope + slope_sd * _noise(rng, (seeds, 1), heavy)
    logy = 1.0 + b * u + curvature * uc**2 + noise * _noise(rng, (seeds, points), heavy)
    expected = slope * u + curvature * uc**2
    truth = float(uc @ (expected - expected.mean()) / (uc @ uc))
    return x, np.exp(logy), truth


SLOPE_DESIGNS = {
    "gaussian": ("gaussian, seed slope sd 0.05", dict()),
    "heavy": ("heavy-tailed (t3) noise and slope spread", dict(heavy=True)),
    "spread": ("slope spread only (sd 0.05, noise 0.01)", dict(noise=0.01)),
    "curved": ("curved window (local slope moves by 0.3)", dict(curvature="auto")),
}


def _coverage_rows(seed_counts, reps, rng, interval: str, design: str, draw, fit,
                   min_seeds: int = 1) -> list[Row]:
    """Coverage of a slope interval at 4 and 7 grid points and every seed count: ``draw(n,
    points)`` returns ``(x, y, truth)``, ``fit(x, y)`` the interval."""
    rows = []
    for points in (4, 7):
        for n in seed_counts:
            if n < min_seeds:
                continue
            hits = 0
            for _ in range(reps):
                x, y, truth = draw(n, points)
                lo, hi = fit(x, y)
                hits += lo <= truth <= hi
            rows.append(Row(interval, design, n, points, 0.95, TARGET, hits, reps))
    return rows


def _slope_rows(seed_counts, reps, rng, design: str) -> list[Row]:
    """Coverage of the slope interval on one design."""
    name, kw = SLOPE_DESIGNS[design]

    def draw(n, points):
        k = dict(kw)
        if k.get("curvature") == "auto":
            u = np.log(_grid(points))
            k["curvature"] = 0.3 / (2 * (u.max() - u.min()))
        return power_law(rng, n, points, **k)

    return _coverage_rows(seed_counts, reps, rng, "slope, t over seeds' slopes", name, draw,
                          lambda x, y: fit_rate(x, y).ci)


def _ragged_rows(seed_counts, reps, rng) -> list[Row]:
    """Ragged seeds: 15% of the entries missing at random, paired design (from 8 seeds: with 4,
    a point may keep fewer than 2 of them)."""
    def draw(n, points):
        x, y, truth = power_law(rng, n, points)
        y[rng.random(y.shape) < 0.15] = np.nan
        return x, y, truth

    return _coverage_rows(seed_counts, reps, rng, "slope, pairwise-complete t (ragged seeds)",
                          "15% of entries missing", draw,
                          lambda x, y: fit_rate(x, y, min_points=2).ci,  # straight: any points do
                          min_seeds=8)


def _unpaired_rows(seed_counts, reps, rng) -> list[Row]:
    """Unpaired grid points: each point has its own independent seeds (no seed-level slope)."""
    return _coverage_rows(seed_counts, reps, rng, "slope, Welch (unpaired points)",
                          "independent seeds per point",
                          lambda n, points: power_law(rng, n, points, slope_sd=0.0, noise=0.2),
                          lambda x, y: fit_rate(x, y, paired=False).ci)


def _tilt_rows(seed_counts, reps, rng) -> list[Row]:
    rows = []
    for points in (4, 7):
        u = np.log(_grid(points))
        span = u.max() - u.min()
        for n in seed_counts:
            cover = straight_called = 0
            for _ in range(reps):
                x, y, _ = power_law(rng, n, points, curvature=0.3 / (2 * span))
                lo, hi = fit_rate(x, y).tilt_ci
                cover += lo <= 0.3 <= hi
                x, y, _ = power_law(rng, n, points)
                lo, hi = fit_rate(x, y).tilt_ci
                straight_called += not (lo <= 0.0 <= hi)
            rows.append(Row("tilt across the window (99%)", "curved window, true tilt 0.3", n, points,
                            TILT_LEVEL, TARGET + (TILT_LEVEL - 0.95), cover, reps))
            rows.append(Row("tilt across the window (99%)", "straight window called curved", n, points,
                            TILT_LEVEL, 1 - TILT_LEVEL + 0.01, straight_called, reps, "false-curved"))
    return rows


def _decision_rows(seed_counts, reps, rng) -> list[Row]:
    """False-pass and false-fail rates of a two-sided slope check, band -0.5 +- 0.1."""
    rows = []
    chk = SlopeCheck(predicted=-0.5, side="two-sided", tol=0.1)
    band = chk.band()
    for points in (4, 7):
        for n in seed_counts:
            ff = fp = 0
            for _ in range(reps):
                # at the band's centre: a failure is a false fail
                x, y, _ = power_law(rng, n, points, slope=-0.5, slope_sd=0.1, noise=0.1)
                ff += decide_interval(fit_rate(x, y).ci, band) == "failed"
                # on the band's edge (just outside): a pass is a false pass
                x, y, _ = power_law(rng, n, points, slope=-0.6 - 1e-9, slope_sd=0.1, noise=0.1)
                fp += decide_interval(fit_rate(x, y).ci, band) == "passed"
            rows.append(Row("slope check, two-sided band", "true slope at the centre: failed", n, points,
                            0.95, 0.025, ff, reps, "false-fail"))
            rows.append(Row("slope check, two-sided band", "true slope on the edge: passed", n, points,
                            0.95, 0.025, fp, reps, "false-pass"))
    return rows


def _proportion_rows(seed_counts, reps, rng) -> list[Row]:
    from .calibrate import wilson

    rows = []
    for p in (0.01, 0.1, 0.5):
        for n in seed_counts:
            ks = rng.binomial(n, p, size=reps)
            covers = {int(k): fraction_interval(int(k), n) for k in np.unique(ks)}
            hits = sum(covers[int(k)][0] <= p <= covers[int(k)][1] for k in ks)
            rows.append(Row("Clopper-Pearson, violating fraction over instances", f"p = {p:g}", n,
                            None, 0.95, TARGET, hits, reps))
    for p in (0.5, 0.8, 0.9, 0.95):
        ks = rng.binomial(20, p, size=reps)
        covers = {int(k): wilson(int(k), 20) for k in np.unique(ks)}
        hits = sum(covers[int(k)][0] <= p <= covers[int(k)][1] for k in ks)
        rows.append(Row("Wilson, pass rate over roots", f"p = {p:g}", 20, None, 0.95, TARGET, hits, reps))
    return rows


def _constancy_rows(seed_counts, reps, rng) -> list[Row]:
    """The constancy check's simultaneous interval of the spread of mean log values over 4 and
    7 grid points (log-normal seeds, sd 0.2 and heavy-tailed t3 x 0.2), and its false-fail and
    false-pass rates against a factor 1.37 (a true spread of 0, and one just over log 1.37), and
    how often a constant quantity passes (its power: the price of a simultaneous interval)."""
    from .checks import ConstancyCheck, Measurement

    rows = []
    chk = ConstancyCheck(factor=1.37)
    edge = float(np.log(1.37)) + 1e-9
    for points in (4, 7):
        means = 0.25 * np.sin(np.arange(points))  # a bend, not a trend
        truth = float(means.max() - means.min())
        x = _grid(points)
        for n in seed_counts:
            hits = heavy = ff = fp = power = 0
            for _ in range(reps):
                y = np.exp(means + 0.2 * rng.standard_normal((n, points)))
                sp = log_spread(y)
                hits += sp.lo <= truth <= sp.hi
                y = np.exp(means + 0.2 * rng.standard_t(3, (n, points)))
                sp = log_spread(y)
                heavy += sp.lo <= truth <= sp.hi
                flat = np.exp(0.2 * rng.standard_normal((n, points)))
                out = chk.evaluate(Measurement(x=x, y=flat)).outcome
                ff += out == "failed"
                power += out == "passed"
                step = np.where(np.arange(points) == points - 1, edge, 0.0)
                y = np.exp(step + 0.2 * rng.standard_normal((n, points)))
                fp += chk.evaluate(Measurement(x=x, y=y)).outcome == "passed"
            rows.append(Row("constancy, spread of mean logs (simultaneous)", "log-normal seeds, a bend",
                            n, points, 0.95, TARGET, hits, reps))
            rows.append(Row("constancy, spread of mean logs (simultaneous)", "t3 seeds, a bend",
                            n, points, 0.95, TARGET, heavy, reps))
            rows.append(Row("constancy check, factor 1.37", "constant: failed", n, points, 0.95,
                            0.025, ff, reps, "false-fail"))
            rows.append(Row("constancy check, factor 1.37", "a step just over the factor: passed", n,
                            points, 0.95, 0.025, fp, reps, "false-pass"))
            # the price of a simultaneous interval: how often a truly constant quantity passes
            # (reported; no target)
            rows.append(Row("constancy check, factor 1.37", "constant (sd 0.2): passed", n, points,
                            0.95, 0.0, power, reps, "power"))
    return rows


#: replica counts of the mean intervals: bpmd.uniform_linear's 64 (quick) and 512 (full), and 16
REPLICAS = (16, 64, 512)


def _replica_rows(seed_counts, reps, rng) -> list[Row]:
    """Intervals of pointwise and limit checks: the t-interval of a mean over replicas (its
    upper end is compared with a bound, so its one-sided coverage is 97.5% nominal) and the
    order-statistic interval of a quantile (the instances' worst ratios; a limit's median)."""
    rows = []
    sigma = 0.5  # log-normal replicas: mean exp(sigma^2 / 2)
    true_mean = float(np.exp(sigma**2 / 2))
    for n in REPLICAS:
        two = upper = 0
        for _ in range(reps):
            v = np.exp(sigma * rng.standard_normal(n))
            lo, hi = mean_interval(v[None, :], axis=-1)
            two += lo[0] <= true_mean <= hi[0]
            upper += true_mean <= hi[0]
        rows.append(Row("t-interval of a mean over replicas", "log-normal replicas (sd 0.5)", n, None,
                        0.95, TARGET, two, reps))
        rows.append(Row("t-interval upper end (pointwise bound)", "log-normal replicas (sd 0.5)", n,
                        None, 0.975, TARGET + 0.025, upper, reps))
    from scipy import stats

    for p in (0.5, 0.9):
        truth = float(stats.norm.ppf(p))
        for n in seed_counts:
            if n < 8 and p == 0.9:
                continue  # with fewer than 8 values the upper end of a 90% quantile is unbounded
            hits = 0
            for _ in range(reps):
                lo, hi = quantile_interval(rng.standard_normal(n), p)
                hits += lo <= truth <= hi
            rows.append(Row("order-statistic interval of a quantile", f"the {p:g}-quantile", n, None,
                            0.95, TARGET, hits, reps))
    return rows


#: the tasks of each section: (task name, function of (seed_counts, reps, rng)); tasks run in
#: parallel processes, each with its own generator, so the numbers do not depend on the workers
SECTIONS: dict[str, tuple] = {
    "slope": tuple((f"slope:{d}", functools.partial(_slope_rows, design=d)) for d in SLOPE_DESIGNS)
    + (("slope:ragged", _ragged_rows), ("slope:unpaired", _unpaired_rows)),
    "tilt": (("tilt", _tilt_rows),),
    "decisions": (("decisions", _decision_rows),),
    "proportions": (("proportions", _proportion_rows),),
    "replicas": (("replicas", _replica_rows),),
    "constancy": (("constancy", _constancy_rows),),
}


def _task(args) -> tuple[str, list, float]:
    name, fn, counts, reps, seed, index = args
    t = time.perf_counter()
    rows = fn(counts, reps, np.random.default_rng([seed, index]))
    return name, rows, time.perf_counter() - t


def claim_seed_counts() -> tuple[int, ...]:
    """Every seed count the loaded claims use, at any size."""
    from .registry import all_claims

    return tuple(sorted({int(v) for c in all_claims() for v in c.seeds.values()}))


def run(seed_counts: Optional[Sequence[int]] = None, reps: int = 1000, seed: int = 0,
        sections: Sequence[str] = tuple(SECTIONS), echo=None, workers: Optional[int] = None) -> dict:
    """Run the selected sections and return the selftest document (``rows``: every measured
    rate with its Monte Carlo error, and ``below_target``: the rows that miss)."""
    from .results import provenance

    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 10:
        raise ValueError(f"--reps: must be an integer of at least 10, got {reps!r}")
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        raise ValueError(f"section: unknown section {bad[0]!r} (sections: {', '.join(SECTIONS)})")
    counts = tuple(sorted(set(seed_counts or claim_seed_counts() or DEFAULT_SEEDS)))
    if any(n < 2 for n in counts):
        raise ValueError(f"--seeds: every seed count must be at least 2, got {counts}")
    rows: list[Row] = []
    t0 = time.perf_counter()
    every = [t for sec in SECTIONS.values() for t in sec]
    tasks = [(name, fn, counts, reps, seed, i) for i, (name, fn) in enumerate(every)
             if name.split(":")[0] in sections]
    workers = max(1, min(len(tasks), os.cpu_count() or 1)) if workers is None else workers
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_task, tasks))
    else:
        results = [_task(t) for t in tasks]
    for name, new, wall in results:
        rows.extend(new)
        if echo:
            echo(f"selftest {name}: {len(new)} rows in {wall:.1f} s")
    doc = {"format": FORMAT, "target": TARGET, "reps": reps, "seed": seed, "seed_counts": list(counts),
           "provenance": provenance(wall_s=round(time.perf_counter() - t0, 1)),
           "rows": [r.to_dict() for r in rows],
           "below_target": [r.to_dict() for r in rows if not r.ok]}
    return doc


def table(doc: dict, markdown: bool = False) -> str:
    """One line per (interval, scenario, points): the rate at each seed count with its Monte
    Carlo error."""
    groups: dict = {}
    for r in doc["rows"]:
        key = (r["interval"], r["scenario"], r["points"], r["kind"], r["nominal"], r["target"])
        groups.setdefault(key, []).append(r)
    counts = sorted({r["seeds"] for r in doc["rows"]})
    head = ["interval", "scenario", "points", "measures", "target"] + [f"n={n}" for n in counts]
    lines = []
    for (interval, scen, pts, kind, nominal, target), rs in groups.items():
        by = {r["seeds"]: r for r in rs}
        cells = []
        for n in counts:
            r = by.get(n)
            cells.append("" if r is None else
                         f"{r['rate']:.3f}±{r['mc_se']:.3f}" + ("" if r["ok"] else " ✗"))
        what = ("coverage" if kind == "coverage" else kind) + (f" ({nominal:g})" if kind == "coverage" else "")
        bound = (">= " if kind in ("coverage", "power") else "<= ") + f"{target:.3g}"
        lines.append([interval, scen, "" if pts is None else str(pts), what, bound] + cells)
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    rows = [head] + lines
    w = [max(len(r[i]) for r in rows) for i in range(len(head))]
    text = ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows]
    text.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(text)


def report(doc: dict) -> str:
    miss = doc["below_target"]
    prov = doc["provenance"]
    return "\n".join([
        "# theorylab selftest",
        "",
        f"Coverage of every interval theorylab reports, measured on synthetic data with a known "
        f"truth: {doc['reps']} repetitions per cell, seed counts {', '.join(map(str, doc['seed_counts']))}. "
        f"Each rate is given ± its Monte Carlo standard error; ✗ marks a cell more than two "
        f"errors on the wrong side of its target (coverage at least {doc['target']} for a 95% "
        f"interval). Made by `theorylab selftest` at commit {prov.get('git_commit')} in "
        f"{prov.get('wall_s')} s ({prov.get('cpu_count')} cores, {prov.get('cpu_model')}).",
        "",
        table(doc, markdown=True),
        "",
        ("Every cell meets its target." if not miss else
         f"{len(miss)} cells miss their target: " + "; ".join(
             f"{r['interval']} ({r['scenario']}, {r['seeds']} seeds"
             + (f", {r['points']} points" if r['points'] else "") + f"): {r['rate']:.3f}" for r in miss)),
        "",
    ])


def write(doc: dict, out_dir) -> Path:
    from .results import atomic_write_json, atomic_write_text

    out = Path(out_dir)
    atomic_write_json(out / "selftest.json", doc)
    atomic_write_text(out / "report.md", report(doc))
    return out / "selftest.json"
