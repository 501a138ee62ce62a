#!/usr/bin/env bash
# Cluster benchmark: `tvp label` on one simulated store (default 200M of transcripts), locally and on a Ballista cluster
# of a scheduler and two executors on this machine (`tvp cluster`, 127.0.0.1). Prints both times, the cluster's
# overhead (cluster / local), what the cluster labels per second (MB of message text, messages), and checks that both
# runs wrote the same label counts. On one machine the executors share its cores with each other and the scheduler,
# so this measures the cluster's cost, not a speed-up: the speed-up comes from executors on other machines.
# Each labeling is run $REPS times (default 2); the summary uses the best, every run is printed.
# Uses an optimized build in $CARGO_TARGET_DIR (default target-bench beside the repo); data goes to $BENCH_DIR
# (default ../bench-data/cluster) and is deleted at the end unless KEEP=1. CONCURRENCY sets each executor's tasks
# (default 1: two executors, two cores).
# Usage: scripts/bench_cluster.sh [SIZE]   (SIZE as `tvp simulate --size`: 200M, 1100M, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
size=${1:-200M}
reps=${REPS:-2}
concurrency=${CONCURRENCY:-1}
work=${BENCH_DIR:-$repo/../bench-data/cluster}
target=${CARGO_TARGET_DIR:-$repo/../target-bench}
tvp="$target/release/tvp"

CARGO_TARGET_DIR="$target" nice -n 10 cargo build --release --bin tvp >&2

rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "no listener on $1" >&2; exit 1; }
measure() { # name command... → "name seconds peak_kb" in $work/runs.txt; the command's stdout goes to $work/name.out
  local name=$1; shift
  /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" > "$work/$name.out" 2> "$work/stderr.txt" \
    || { cat "$work/stderr.txt" >&2; exit 1; }
  read -r s kb < "$work/time.txt"
  echo "$name $s $kb" >> "$work/runs.txt"
  echo "  $name: $s s, client peak $((kb / 1024)) MiB" >&2
}

echo "generating $size ..." >&2
"$tvp" simulate --format jsonl --size "$size" --out "$work/corpus" --seed 1 > /dev/null
"$tvp" ingest --store "$work/store" --manifest "$work/corpus/manifest.csv" \
  $(find "$work/corpus" -name '*.jsonl' ! -name truth.jsonl) > /dev/null
rm -rf "$work/corpus"
IFS=, read -r n_messages text_bytes < <("$tvp" sql --store "$work/store" --format csv \
  "SELECT count(*), sum(octet_length(content)) FROM messages" | tail -1)

scheduler=$(free_port)
"$tvp" cluster scheduler --bind "127.0.0.1:$scheduler" > "$work/scheduler.log" 2>&1 &
pids+=($!)
wait_port "$scheduler"
for i in 1 2; do
  flight=$(free_port); grpc=$(free_port)
  "$tvp" cluster executor --scheduler "127.0.0.1:$scheduler" --bind "127.0.0.1:$flight" --grpc-port "$grpc" \
    --concurrency "$concurrency" --work-dir "$work/executor-$i" > "$work/executor-$i.log" 2>&1 &
  pids+=($!)
  mkdir -p "$work/executor-$i"
  wait_port "$grpc"
done
sleep 2

for i in $(seq "$reps"); do
  echo "labeling, round $i ..." >&2
  measure "local_$i" "$tvp" label --store "$work/store" --json
  measure "cluster_$i" "$tvp" label --store "$work/store" --cluster "df://127.0.0.1:$scheduler" --json
done

python3 - "$work" "$n_messages" "$text_bytes" "$concurrency" <<'EOF'
import json, sys
work, messages, text, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = {}
for line in open(f"{work}/runs.txt"):
    name, seconds, kb = line.split()
    runs[name] = (float(seconds), int(kb))
best = lambda kind: min((v[0], k) for k, v in runs.items() if k.startswith(kind))
(local, local_run), (cluster, cluster_run) = best("local_"), best("cluster_")
counts = lambda run: {k: json.load(open(f"{work}/{run}.out"))[k] for k in ("runs", "exposures", "authorizations", "over_exposed", "over_authorized")}
same = counts(local_run) == counts(cluster_run)
print(f"store: {messages:,} messages, {text / 1e6:.1f} MB of message text; two executors x {concurrency} task(s) on this machine")
print(f"local label:             {local:7.2f} s   {text / 1e6 / local:6.1f} MB/s   {messages / local:9,.0f} messages/s")
print(f"cluster label (2 exec.): {cluster:7.2f} s   {text / 1e6 / cluster:6.1f} MB/s   {messages / cluster:9,.0f} messages/s")
print(f"cluster / local: {cluster / local:.2f} (overhead on one machine)")
print(f"one executor labels about {text / 1e6 / cluster / 2:.1f} MB of message text per second here")
print(f"same label counts: {same} {counts(cluster_run)}")
sys.exit(0 if same else 1)
EOF
