#!/usr/bin/env bash
# valgrind memcheck over bench/memcheck_stress.py (100,000 timers per layer; ~2 min).
# CPython and numpy report a few errors and "lost" blocks of their own at start-up
# (imports, hash seeding), whatever the workload. So: a baseline run with 0 timers
# records those as suppressions, then the 100,000-timer run must show zero errors and
# zero definitely-lost bytes beyond them. Exit status 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
N=${1:-100000}
OUT=${MEMCHECK_DIR:-build/memcheck}
mkdir -p "$OUT"
VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --num-callers=40)
export PYTHONMALLOC=malloc OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0
"${VG[@]}" --gen-suppressions=all --log-file="$OUT/baseline.log" "$PY" bench/memcheck_stress.py 0
awk '/^\{/{p=1} p{print} /^\}/{p=0}' "$OUT/baseline.log" > "$OUT/baseline.supp"
"${VG[@]}" --suppressions="$OUT/baseline.supp" --error-exitcode=1 --log-file="$OUT/stress.log" \
    "$PY" bench/memcheck_stress.py "$N"
grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$OUT/stress.log"
