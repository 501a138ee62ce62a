#!/usr/bin/env bash
# Ingest benchmark: tvp ingest vs DuckDB's read_json_auto on the same generic-JSONL corpus (>= 1 GiB by default).
# Prints MB/s and peak memory for both and their ratio. Uses an optimized build in $CARGO_TARGET_DIR (default
# target-bench beside the repo) so it does not disturb the dev build.
# RUNS=N makes the corpus N runs of MESSAGES_PER_RUN messages (default 1) instead of SIZE_BYTES of whole traces: the
# per-run memory check. SUMMARY=FILE appends the figures as `key value` lines (scripts/bench_scale.sh reads them).
# Usage: scripts/bench_ingest.sh [SIZE_BYTES]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-$((1 << 30))}
work=${BENCH_DIR:-/tmp/tvp-bench}
target=${CARGO_TARGET_DIR:-$(pwd)/../target-bench}

CARGO_TARGET_DIR="$target" cargo build --release --bin tvp >&2
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb >&2

corpus_args=(--size "$size")
[ -n "${RUNS:-}" ] && corpus_args=(--runs "$RUNS" --messages-per-run "${MESSAGES_PER_RUN:-1}")
key=$(echo "${corpus_args[@]}" | tr -c 'a-z0-9\n' '_')
if [ ! -f "$work/corpus/.corpus-$key" ]; then
  rm -rf "$work/corpus"
  python3 scripts/make_corpus.py --out "$work/corpus" "${corpus_args[@]}" >&2
  touch "$work/corpus/.corpus-$key"
fi
bytes=$(cat "$work"/corpus/*.jsonl | wc -c)
mb=$(python3 -c "print($bytes / 1e6)")
sync

measure() { # command... → prints "seconds peak_kb" (GNU time; the command's own output is discarded)
  /usr/bin/time -o "$work/time.txt" -f "%e %M" "$@" > /dev/null 2> "$work/stderr.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
  cat "$work/time.txt"
}

rm -rf "$work/store"
read -r tvp_s tvp_kb < <(measure "$target/release/tvp" ingest --store "$work/store" --json "$work/corpus")
rm -rf "$work/duck.db"
read -r duck_s duck_kb < <(measure python3 -c "
import duckdb
con = duckdb.connect('$work/duck.db')
con.execute(\"CREATE TABLE messages AS SELECT * FROM read_json_auto('$work/corpus/*.jsonl', format='newline_delimited')\")
print(con.execute('SELECT count(*) FROM messages').fetchone())
")
rows=$("$target/release/tvp" sql --store "$work/store" --format csv "SELECT count(*) FROM messages" | tail -1)
runs=$("$target/release/tvp" sql --store "$work/store" --format csv "SELECT count(*) FROM runs" | tail -1)
if [ -n "${SUMMARY:-}" ]; then
  printf '%s\n' "mb $mb" "messages $rows" "runs $runs" "tvp_s $tvp_s" "tvp_kb $tvp_kb" "duck_s $duck_s" \
    "duck_kb $duck_kb" >> "$SUMMARY"
fi

python3 - <<PY
mb = $mb
tvp_s, duck_s = $tvp_s, $duck_s
tvp_mb, duck_mb = $tvp_kb / 1024, $duck_kb / 1024
print(f"corpus: {mb:.0f} MB of generic JSONL, {int('$rows'):,} messages, {int('$runs'):,} runs")
print(f"tvp ingest : {tvp_s:6.1f} s  {mb / tvp_s:7.1f} MB/s  peak {tvp_mb:7.0f} MiB")
print(f"duckdb     : {duck_s:6.1f} s  {mb / duck_s:7.1f} MB/s  peak {duck_mb:7.0f} MiB")
print(f"ratio (tvp MB/s / duckdb MB/s): {duck_s / tvp_s:.2f}x; peak memory ratio {tvp_mb / duck_mb:.2f}x")
PY
