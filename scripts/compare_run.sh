#!/usr/bin/env bash
# Compare what `tvp run` writes at two revisions (issue 14: a restructuring must not change any output).
#
#   scripts/compare_run.sh REV_A REV_B
#
# Builds each revision with the dev profile from a detached `git worktree` (sharing this checkout's target dir, so
# only the tvp crate is rebuilt; set CARGO_TARGET_DIR to use another), runs `tvp run --out out $TVP_RUN_ARGS` with
# each binary in a folder of its own (the same relative `--out`, since the report names its store's path), and
# compares:
#   - corpus/ (the simulated transcripts, manifest, truth) and report/ (HTML, Markdown, SVG and PNG figures):
#     byte for byte, every file;
#   - store/: table by table, as the sorted rows `tvp sql --format json` prints, without `sources.ingested_at`.
#     The store's Parquet bytes are not comparable by design, even between two runs of one binary: a part file is
#     named `part-<wall-clock ns>-<pid>-<sequence>`, the sequence and the row order within and across parts follow
#     the parallel parse and label schedule, and `sources.ingested_at` is the wall-clock time of the ingest.
# Exit 0 when everything matches, 1 when something differs (listed), 2 on a build or run failure.
# The work folder (COMPARE_DIR, default a fresh one under /tmp) keeps both outputs for inspection.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 REV_A REV_B" >&2
    exit 2
fi
repo=$(git rev-parse --show-toplevel)
target=${CARGO_TARGET_DIR:-$repo/target}
work=${COMPARE_DIR:-$(mktemp -d /tmp/tvp-compare.XXXXXX)}
mkdir -p "$work"
read -r -a run_args <<< "${TVP_RUN_ARGS:-}"

build_and_run() {
    local name=$1 rev=$2 sha
    sha=$(git -C "$repo" rev-parse "$rev^{commit}") || exit 2
    echo "== $name: $rev ($sha)" >&2
    rm -rf "$work/src-$name" "$work/$name"
    git -C "$repo" worktree add --quiet --detach "$work/src-$name" "$sha"
    if ! (cd "$work/src-$name" && CARGO_TARGET_DIR=$target cargo build --locked --quiet --bin tvp); then
        git -C "$repo" worktree remove --force "$work/src-$name"
        exit 2
    fi
    cp "$target/debug/tvp" "$work/tvp-$name"
    git -C "$repo" worktree remove --force "$work/src-$name"
    mkdir -p "$work/$name"
    if ! (cd "$work/$name" && "$work/tvp-$name" run --out out "${run_args[@]}" > run.out 2> run.err); then
        echo "tvp run failed at $rev: see $work/$name/run.err" >&2
        exit 2
    fi
}

build_and_run A "$1"
build_and_run B "$2"

status=0
for part in corpus report; do
    if diff -rq "$work/A/out/$part" "$work/B/out/$part" > "$work/$part.diff"; then
        echo "$part: identical ($(find "$work/A/out/$part" -type f | wc -l) files, byte for byte)"
    else
        echo "$part: DIFFERS ($(wc -l < "$work/$part.diff") files or folders; see $work/$part.diff)"
        status=1
    fi
done

# Store tables, read with B's binary from both stores.
tables=$( (ls "$work/A/out/store"; ls "$work/B/out/store") | sort -u)
same=0
for table in $tables; do
    select="SELECT * FROM $table"
    [ "$table" = sources ] && select="SELECT * EXCLUDE (ingested_at) FROM $table"
    for name in A B; do
        "$work/tvp-B" sql --store "$work/$name/out/store" --format json --reveal "$select" 2> "$work/$table.$name.err" |
            LC_ALL=C sort > "$work/$table.$name.rows" || true
    done
    if [ -s "$work/$table.A.err" ] || [ -s "$work/$table.B.err" ]; then
        echo "store table $table: cannot be read (see $work/$table.A.err, $work/$table.B.err)"
        status=1
    elif cmp -s "$work/$table.A.rows" "$work/$table.B.rows"; then
        same=$((same + 1))
    else
        echo "store table $table: DIFFERS (rows in $work/$table.A.rows and $work/$table.B.rows)"
        status=1
    fi
done
echo "store: $same of $(echo "$tables" | wc -w) tables hold the same rows (sources without ingested_at)"
[ $status -eq 0 ] && echo "the outputs of $1 and $2 match" || echo "the outputs of $1 and $2 differ"
echo "(both runs are in $work)"
exit $status
