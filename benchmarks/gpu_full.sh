#!/usr/bin/env bash
# One command for a GPU machine: every claim at full size and every benchmark, into one folder.
#
#   benchmarks/gpu_full.sh                        # full size on the GPU JAX sees -> results/full-gpu/
#   benchmarks/gpu_full.sh --out DIR CLAIM...     # a subset, elsewhere
#   benchmarks/gpu_full.sh --size quick --out DIR large_lr.imbalance_identity
#                                                 # the same path at quick size (CI runs this on the CPU)
#   benchmarks/gpu_full.sh --calibrate 10 --first-root 1 --no-bench CLAIM...
#                                                 # then calibrate CLAIM over roots 1..10 at the size
#                                                 # -> DIR/calibration/ (calibration.json, report.md)
#
# Set-up on the GPU machine: none when JAX (with CUDA), optax, sympy, scipy and matplotlib are
# installed; the script runs the working tree (PYTHONPATH and python -m theorylab), never pip, so an
# offline node works. Otherwise, once: python -m pip install ".[cuda]"   (JAX's CUDA 12 build)
#
# What it writes under DIR: results.json, report.md and figures/ (theorylab verify and report),
# verify.txt (the verdicts) and verify.log (progress with ETAs), benchmarks/<family>.json and
# .txt (each benchmark's timings and ratios with provenance, and its report, at the size that
# matches; its whole output in benchmarks/<family>.log), machine.txt (GPU, driver, JAX backend) and
# timings.txt (wall seconds per stage); with --calibrate, calibration/ (theorylab calibrate over
# fresh roots, resumed like any calibration). Claims and cells are cached as usual, so a run cut
# off by an allocation's time limit resumes where it stopped when started again.
#
# Budget: the target is under 8 minutes on one H100 for the whole full-size suite; the estimates
# per claim, from FLOPs and sequential steps, are in the README ("GPU and full size").
set -uo pipefail

size=full
out=results/full-gpu
claims=()
bench=1
roots=0
first_root=1
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="${2:?--size needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --no-bench) bench=0; shift ;;
    --calibrate) roots="${2:?--calibrate needs a number of roots}"; shift 2 ;;
    --first-root) first_root="${2:?--first-root needs a root}"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "gpu_full.sh: error: unknown option $1" >&2; exit 2 ;;
    *) claims+=("$1"); shift ;;
  esac
done
case "$size" in quick|full) ;; *) echo "gpu_full.sh: error: --size: must be quick or full, got $size" >&2; exit 2 ;; esac
case "$roots" in ''|*[!0-9]*) echo "gpu_full.sh: error: --calibrate: must be a number of roots, got $roots" >&2; exit 2 ;; esac
case "$first_root" in ''|*[!0-9]*) echo "gpu_full.sh: error: --first-root: must be a root number, got $first_root" >&2; exit 2 ;; esac
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$out/benchmarks" || exit 2
# the working tree's theorylab, installed or not
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
theorylab() { python -m theorylab "$@"; }
export THEORYLAB_PROGRESS_INTERVAL="${THEORYLAB_PROGRESS_INTERVAL:-15}"
# IEEE float32 matmuls: JAX's default on recent NVIDIA GPUs is TF32 (10-bit mantissas), which the
# precision arguments do not cover; under it the nearest-point distances of
# diffusion.distribution_recovery (|z|^2 - 2 z.x + |x|^2) came out as zero (results/full-gpu/README.md)
export JAX_DEFAULT_MATMUL_PRECISION="${JAX_DEFAULT_MATMUL_PRECISION:-highest}"

t_start=$(date +%s)
stamp() { echo "$1 $(( $(date +%s) - t_start ))" >> "$out/timings.txt"; }
: > "$out/timings.txt"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python -c "import jax; print('jax', jax.__version__, jax.default_backend(), [d.device_kind for d in jax.devices()], 'matmul precision', jax.config.jax_default_matmul_precision)"
} > "$out/machine.txt" 2>&1

theorylab verify "${claims[@]}" --size "$size" --out "$out" > "$out/verify.txt" 2> "$out/verify.log"
verify_rc=$?
stamp "verify(rc=$verify_rc)"
theorylab report "$out" > /dev/null
tail -n 3 "$out/verify.txt"

if [ "$roots" -gt 0 ]; then
  # fresh roots at the same size; --run-full-only so that a quick-size calibration of a
  # full-only claim measures it too (at full size it changes nothing)
  theorylab calibrate "${claims[@]}" --size "$size" --roots "$roots" --first-root "$first_root" \
    --run-full-only --out "$out/calibration" > "$out/calibration.txt" 2> "$out/calibration.log"
  rc=$?
  stamp "calibrate(rc=$rc)"
  tail -n 3 "$out/calibration.txt"
  [ $rc = 2 ] && verify_rc=2
  [ $rc = 1 ] && verify_rc=1
fi

if [ "$bench" = 1 ]; then
  if [ "$size" = full ]; then
    declare -A args=(
      [pmd]="--mdps 1024 --loop-mdps 32"
      [rank_one]="--seeds 64"
      [large_lr]=""
      [manifold]="--seeds 32"
      [diffusion]="--seeds 32"
    )
  else  # the same scripts on toy sizes: they must run and agree with numpy, not be fast
    declare -A args=(
      [pmd]="--mdps 4 --S 8 --A 3 --branching 2 --steps 5 --loop-mdps 2"
      [rank_one]="--d 8 --seeds 2 --steps 20 --loop-seeds 1"
      [large_lr]="--runs 8 --steps 50 --loop-runs 2"
      [manifold]="--n 64 --D 8 --seeds 2 --steps 10 --knn-n 64 --knn-seeds 2"
      [diffusion]="--n 64 --D 8 --seeds 2 --steps 10 --loop-steps 5"
    )
  fi
  bench_one() {  # one benchmark; its exit status in $out/benchmarks/NAME.rc, its stage stamped
    # shellcheck disable=SC2086  # the arguments are words on purpose
    python "benchmarks/$1.py" ${args[$1]} --out "$out/benchmarks" > "$out/benchmarks/$1.log" 2>&1
    local rc=$?
    echo "$rc" > "$out/benchmarks/$1.rc"
    stamp "benchmark_$1(rc=$rc)"
  }
  # At full size one at a time, so that each timing has the machine to itself. At quick size the
  # toy runs only have to run and agree with numpy, and their time is mostly single-threaded
  # compilation, so two run at once.
  par=1; [ "$size" = quick ] && par=2
  for b in pmd rank_one large_lr manifold diffusion; do
    if [ "$par" = 1 ]; then bench_one "$b"; else
      while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do sleep 0.2; done
      bench_one "$b" &
    fi
  done
  wait
  for b in pmd rank_one large_lr manifold diffusion; do
    rc=$(cat "$out/benchmarks/$b.rc" 2>/dev/null || echo missing); rm -f "$out/benchmarks/$b.rc"
    [ "$rc" = 0 ] || { echo "gpu_full.sh: benchmark $b failed (rc $rc), see $out/benchmarks/$b.log" >&2; verify_rc=1; }
  done
fi
stamp total
echo "gpu_full.sh: wrote $out in $(( $(date +%s) - t_start )) s"
# 0: every claim passed or was skipped, 1: a claim or a benchmark failed, 3: inconclusive only
exit $verify_rc
