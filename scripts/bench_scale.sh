#!/usr/bin/env bash
# Scale benchmark (issue 10): every figure of the issue's Targets table in one run, each beside its baseline from
# the same run, with the ratio.
#   1. AgentLeak dev replicated x1, x5, x20 under new trace ids (scripts/replicate_agentleak.py: every copy keeps its
#      own vault, so every run carries its own ground truth): `tvp ingest`, `tvp label` seconds and peak RSS, label
#      time against x1 (linear is the replica count); `tvp sql "SELECT count(*) FROM runs"` on the x5 store.
#   2. AgentLeak dev end to end (ingest + label + the per-model rate query) for tvp, a plain Python script
#      (scripts/agentleak_rates.py) and DuckDB (scripts/agentleak_rates_duckdb.py); the three per-model tables.
#   3. The 1 GiB comparisons against DuckDB: scripts/bench_label.sh (label) and scripts/bench_ingest.sh (ingest
#      MB/s, on whole AgentLeak traces, then on 1 M one-message runs for ingest's per-run memory).
# Uses an optimized build in $CARGO_TARGET_DIR (default target-bench beside the repo); data goes to $BENCH_DIR
# (default ../bench-data/scale) and is deleted at the end unless KEEP=1; CORPUS_DIR=DIR keeps the ingest corpora
# there for the next run. Timings are the best of --reps runs (of at least 5 for the end-to-end jobs, which take half
# a second each; every run is printed); peak RSS is GNU time's maximum
# resident set size (of the largest process of a job).
#
# Usage: scripts/bench_scale.sh [--replicas 1,5,20] [--reps 3] [--label-size 1100M] [--ingest-bytes 1073741824]
#                               [--ingest-runs 1000000]
#   A size of 0 skips that part. Quick smoke run:
#   scripts/bench_scale.sh --replicas 1,2 --reps 1 --label-size 30M --ingest-bytes 30000000 --ingest-runs 20000
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
replicas=1,5,20
reps=3
label_size=1100M
ingest_bytes=$((1 << 30))
ingest_runs=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --label-size) label_size=$2; shift 2 ;;
    --ingest-bytes) ingest_bytes=$2; shift 2 ;;
    --ingest-runs) ingest_runs=$2; shift 2 ;;
    *) echo "error: unknown argument \`$1\`" >&2; sed -n '/^# Usage/,/^set /p' "$0" | sed '$d' >&2; exit 1 ;;
  esac
done
work=${BENCH_DIR:-$repo/../bench-data/scale}
target=${CARGO_TARGET_DIR:-$repo/../target-bench}
export CARGO_TARGET_DIR=$target
tvp="$target/release/tvp"
dev="$repo/../shared/realdata/agentleak/dev"

CARGO_TARGET_DIR="$target" nice -n 10 cargo build --release --locked --bin tvp >&2
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb >&2

rm -rf "$work" && mkdir -p "$work"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
log="$work/figures.txt" # `key value` lines, read by the summary at the end

measure() { # key command... → appends "key_s seconds" and "key_kb peak" to $log; stdout goes to $work/key.out
  local key=$1; shift
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" > "$work/$key.out" 2> "$work/stderr.txt" \
    || { cat "$work/stderr.txt" >&2; exit 1; }
  read -r s kb < "$work/time.txt"
  printf '%s\n' "${key}_s $s" "${key}_kb $kb" >> "$log"
  echo "  $key: $s s, peak $((kb / 1024)) MiB (load before: $load)" >&2
}
best() { # key → the best time over the reps runs of "key_<i>"
  awk -v k="$1" '$1 ~ "^"k"_[0-9]+_s$" { if (b == "" || $2 < b) b = $2 } END { print b }' "$log"
}
peak() { # key → the largest peak over the reps runs of "key_<i>", in KiB
  awk -v k="$1" '$1 ~ "^"k"_[0-9]+_kb$" { if ($2 > m) m = $2 } END { print m + 0 }' "$log"
}

# 1. Replicated AgentLeak: per-run ground truth at 1x, 5x, 20x the runs.
IFS=, read -r -a counts <<< "$replicas"
max=0; for n in "${counts[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
echo "replicating the AgentLeak dev traces x$max ..." >&2
python3 scripts/replicate_agentleak.py --dev "$dev" --out "$work/replicas" --copies "$max" >&2
for n in "${counts[@]}"; do
  dirs=()
  for k in $(seq "$n"); do dirs+=("$work/replicas/copy-$(printf %02d "$k")"); done
  echo "x$n: ingest and label ..." >&2
  measure "ingest_x${n}" "$tvp" ingest --store "$work/store-x$n" --json "${dirs[@]}"
  echo "replica_bytes_x$n $(find "${dirs[@]}" -name "*.json" -printf "%s\n" | awk "{ s += \$1 } END { print s }")" >> "$log"
  for i in $(seq "$reps"); do
    measure "label_x${n}_$i" "$tvp" label --store "$work/store-x$n" --json
  done
  echo "runs_x$n $("$tvp" sql --store "$work/store-x$n" --format csv "SELECT count(*) FROM runs" | tail -1)" >> "$log"
done
sql_n=${counts[0]}; for n in "${counts[@]}"; do [ "$n" -le 5 ] && sql_n=$n; done
echo "sql_store x$sql_n" >> "$log"
for i in $(seq "$reps"); do
  measure "sql_count_$i" "$tvp" sql --store "$work/store-x$sql_n" "SELECT count(*) FROM runs"
done
for n in "${counts[@]}"; do [ "$n" != "$max" ] && rm -rf "$work/store-x$n"; done

# 2. AgentLeak dev end to end: tvp (ingest + label + query), plain Python, DuckDB; the same per-model table.
rates="SELECT r.backend AS model, count(*) AS traces, count(*) FILTER (WHERE o.over_exposed) AS leaking,
  round(avg(CASE WHEN o.over_exposed THEN 1.0 ELSE 0.0 END), 4) AS rate
  FROM runs r JOIN outcomes o ON o.run_id = r.run_id GROUP BY r.backend ORDER BY r.backend"
echo "AgentLeak dev end to end ..." >&2
# Half a second a job: at least 5 rounds, interleaved, so that one slow moment of a shared machine does not decide.
e2e_reps=$(( reps < 5 ? 5 : reps ))
for i in $(seq "$e2e_reps"); do
  rm -rf "$work/store-e2e"
  measure "e2e_ingest_$i" "$tvp" ingest --store "$work/store-e2e" --json "$dev"
  measure "e2e_label_$i" "$tvp" label --store "$work/store-e2e" --json
  measure "e2e_query_$i" "$tvp" sql --store "$work/store-e2e" --format csv "$rates"
  measure "e2e_python_$i" python3 scripts/agentleak_rates.py "$dev"
  measure "e2e_duckdb_$i" python3 scripts/agentleak_rates_duckdb.py "$dev"
done
echo "dev_bytes $(cat "$dev"/*.json | wc -c)" >> "$log"

# 3. The 1 GiB comparisons against DuckDB, by their own scripts.
if [ "$label_size" != 0 ]; then
  echo "scripts/bench_label.sh $label_size ..." >&2
  SUMMARY="$work/label.txt" BENCH_DIR="$work/label" REPS="$reps" scripts/bench_label.sh "$label_size" \
    > "$work/bench_label.out"
fi
# $CORPUS_DIR keeps the generated JSONL corpora between runs (bench_ingest.sh reuses a corpus of the same arguments).
corpora=${CORPUS_DIR:-$work}
if [ "$ingest_bytes" != 0 ]; then
  echo "scripts/bench_ingest.sh $ingest_bytes ..." >&2
  SUMMARY="$work/ingest.txt" BENCH_DIR="$corpora/ingest" scripts/bench_ingest.sh "$ingest_bytes" \
    > "$work/bench_ingest.out"
  rm -rf "$corpora/ingest/store" "$corpora/ingest/duck.db"
fi
if [ "$ingest_runs" != 0 ]; then
  echo "scripts/bench_ingest.sh, $ingest_runs one-message runs ..." >&2
  SUMMARY="$work/ingest_runs.txt" BENCH_DIR="$corpora/ingest_runs" RUNS="$ingest_runs" MESSAGES_PER_RUN=1 \
    scripts/bench_ingest.sh > "$work/bench_ingest_runs.out"
  rm -rf "$corpora/ingest_runs/store" "$corpora/ingest_runs/duck.db"
fi

python3 - "$work" "$replicas" "$reps" <<'PY'
import os, sys
work, replicas, reps = sys.argv[1], [int(n) for n in sys.argv[2].split(",")], int(sys.argv[3])
def figures(name):
    path = os.path.join(work, name)
    out = {}
    if os.path.exists(path):
        for line in open(path):
            key, value = line.split()
            out[key] = value if key == "sql_store" else float(value)
    return out
f, label, ingest, ingest_runs = (figures(n) for n in ("figures.txt", "label.txt", "ingest.txt", "ingest_runs.txt"))
def best(key):
    return min(f[k] for k in f if k.startswith(key + "_") and k.endswith("_s") and k[len(key) + 1:-2].isdigit())
def peak(key):
    return max(f[k] for k in f if k.startswith(key + "_") and k.endswith("_kb") and k[len(key) + 1:-3].isdigit())
MiB = 1024  # GNU time reports KiB
rows = []  # (figure, tvp, baseline, ratio, target)
def row(figure, tvp, base, ratio, target):
    rows.append((figure, tvp, base, ratio, target))

print("# tvp scale benchmark (scripts/bench_scale.sh)")
print(f"machine: {os.cpu_count()} cores; load average at the end: {open('/proc/loadavg').read().split()[0]}; "
      f"timings are the best of {reps} (end to end: of at least 5)")
print()
print("## AgentLeak dev replicated (every run with its own ground truth)")
print(f"{'copies':>6s} {'runs':>8s} {'MB':>7s} {'ingest s':>9s} {'MB/s':>7s} {'ingest MiB':>11s} "
      f"{'label s':>8s} {'label MiB':>10s} {'label / x1':>10s}")
base = replicas[0]
for n in replicas:
    mb = f[f"replica_bytes_x{n}"] / 1e6
    ing_s, ing_kb = f[f"ingest_x{n}_s"], f[f"ingest_x{n}_kb"]
    lab_s, lab_kb = best(f"label_x{n}"), peak(f"label_x{n}")
    ratio = lab_s / best(f"label_x{base}")
    print(f"{n:>6d} {int(f[f'runs_x{n}']):>8,d} {mb:7.1f} {ing_s:9.2f} {mb / ing_s:7.1f} {ing_kb / MiB:11.0f} "
          f"{lab_s:8.2f} {lab_kb / MiB:10.0f} {ratio:10.2f}")
top = replicas[-1]
row(f"label x{top} / x{base} time (per-run truth)", f"{best(f'label_x{top}'):.2f} s",
    f"{best(f'label_x{base}'):.2f} s", best(f"label_x{top}") / best(f"label_x{base}"),
    f"<= {1.25 * top / base:.0f} (linear: {top / base:.0f})")
row(f"label peak RSS, x{top} AgentLeak", f"{peak(f'label_x{top}') / MiB:.0f} MiB", "", None, "<= 500 MiB")
print()

print("## AgentLeak dev end to end (ingest + label + per-model rate)")
parts = ["e2e_ingest", "e2e_label", "e2e_query"]
tvp_runs = [sum(f[f"{p}_{i}_s"] for p in parts) for i in range(1, reps + 1)]
tvp_s = min(tvp_runs)
tvp_kb = max(peak(p) for p in parts)
py_s, duck_s = best("e2e_python"), best("e2e_duckdb")
print(f"{'job':34s} {'best s':>7s} {'peak MiB':>9s}")
for p in parts:
    print(f"{'tvp ' + p[4:]:34s} {best(p):7.2f} {peak(p) / MiB:9.0f}")
print(f"{'tvp, the three (best sum)':34s} {tvp_s:7.2f} {tvp_kb / MiB:9.0f}")
print(f"{'plain Python (agentleak_rates.py)':34s} {py_s:7.2f} {peak('e2e_python') / MiB:9.0f}")
print(f"{'DuckDB (agentleak_rates_duckdb.py)':34s} {duck_s:7.2f} {peak('e2e_duckdb') / MiB:9.0f}")
tables = {}
for name, key in [("tvp", "e2e_query_1"), ("plain Python", "e2e_python_1"), ("DuckDB", "e2e_duckdb_1")]:
    tables[name] = [line.strip() for line in open(os.path.join(work, key + ".out")) if line.strip()]
    print(f"\n{name}:")
    for line in tables[name]:
        print("  " + line)
same = tables["tvp"][1:] == tables["plain Python"][1:] == tables["DuckDB"][1:]
print(f"\nthe three per-model tables agree: {'yes' if same else 'NO'}")
row("AgentLeak end to end, tvp / plain Python", f"{tvp_s:.2f} s", f"{py_s:.2f} s", tvp_s / py_s, "<= 1, aim 0.5")
row("AgentLeak end to end, tvp / DuckDB", f"{tvp_s:.2f} s", f"{duck_s:.2f} s", tvp_s / duck_s, "")
print()

if label:
    print("## 1 GiB simulated store (scripts/bench_label.sh)")
    print(open(os.path.join(work, "bench_label.out")).read().rstrip())
    row("1.07 GiB label, tvp / DuckDB, 1x items", f"{label['tvp_1x_s']:.2f} s", f"{label['duck_1x_s']:.2f} s",
        label["tvp_1x_s"] / label["duck_1x_s"], "<= 1")
    row("1.07 GiB label, tvp / DuckDB, 10x items", f"{label['tvp_10x_s']:.2f} s", f"{label['duck_10x_s']:.2f} s",
        label["tvp_10x_s"] / label["duck_10x_s"], "")
    row("label peak RSS, the 1.07 GiB store", f"{max(label['tvp_1x_kb'], label['tvp_10x_kb']) / MiB:.0f} MiB",
        f"{max(label['duck_1x_kb'], label['duck_10x_kb']) / MiB:.0f} MiB (DuckDB)", None, "<= 500 MiB")
    print()
for name, fig, out in [("whole traces", ingest, "bench_ingest.out"), ("one-message runs", ingest_runs,
                                                                         "bench_ingest_runs.out")]:
    if not fig:
        continue
    print(f"## Ingest against DuckDB read_json_auto, {name} (scripts/bench_ingest.sh)")
    print(open(os.path.join(work, out)).read().rstrip())
    print()
    mb = fig["mb"]
    row(f"ingest MB/s, tvp / DuckDB ({mb / 1e3:.2f} GB, {int(fig['runs']):,} runs)",
        f"{mb / fig['tvp_s']:.1f} MB/s", f"{mb / fig['duck_s']:.1f} MB/s", fig["duck_s"] / fig["tvp_s"], ">= 1.5")
    row(f"ingest peak RSS ({int(fig['runs']):,} runs)", f"{fig['tvp_kb'] / MiB:.0f} MiB",
        f"{fig['duck_kb'] / MiB:.0f} MiB (DuckDB)", None, "<= 500 MiB at 1 M runs")
row(f"`tvp sql` count(*) over the {f['sql_store']} store ({int(f['runs_' + f['sql_store']]):,} runs)",
    f"{best('sql_count'):.2f} s", "", None, "<= 0.3 s")

print("## Targets (issue 10): tvp beside its baseline from this run")
print()
print("| figure | tvp | baseline | ratio | target |")
print("|---|---|---|---|---|")
for figure, tvp, base, ratio, target in rows:
    print(f"| {figure} | {tvp} | {base} | {'' if ratio is None else f'{ratio:.2f}'} | {target} |")
PY
