#!/usr/bin/env python3
"""Write a generic-JSONL benchmark corpus of at least --size bytes by replicating the real AgentLeak dev traces'
channel messages under new run ids (the `dev` split only; `eval` is never read).

With --messages-per-run M each trace's messages are cut into runs of M messages (M = 1: one run per message, the
most runs for the bytes, to measure ingest's per-run memory); --runs N stops after N runs whatever the size.

Usage: make_corpus.py --out DIR [--size BYTES] [--files N] [--messages-per-run M] [--runs N]
"""
import argparse
import glob
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
dev = os.path.join(here, "..", "..", "shared", "realdata", "agentleak", "dev")

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--size", type=int, default=1 << 30)
parser.add_argument("--files", type=int, default=8)
parser.add_argument("--messages-per-run", type=int, default=0, help="0: a trace's messages are one run")
parser.add_argument("--runs", type=int, default=0, help="stop after this many runs (0: stop at --size)")
args = parser.parse_args()

runs = []
for path in sorted(glob.glob(os.path.join(dev, "*.json"))):
    with open(path) as f:
        trace = json.load(f)
    runs.append((trace["trace_id"], trace["model"], trace["channel_messages"]))
if not runs:
    raise SystemExit(f"no AgentLeak dev traces under {dev}")

os.makedirs(args.out, exist_ok=True)
def blocks():
    """Runs as JSONL blocks, forever: copy after copy of the dev traces under new run ids."""
    copy = 0
    while True:
        copy += 1
        for trace_id, model, messages in runs:
            step = args.messages_per_run or len(messages) or 1
            for first in range(0, max(len(messages), 1), step):
                run_id = f"bench{copy}-{trace_id}" + (f"-{first}" if args.messages_per_run else "")
                lines = []
                for turn, m in enumerate(messages[first:first + step]):
                    lines.append(json.dumps({
                        "run_id": run_id, "turn": turn, "sender": m["source"], "recipients": [m["target"]],
                        "channel": m["channel"], "content": m["content"], "model": model,
                    }))
                yield "\n".join(lines) + "\n"


per_file = args.size // args.files + 1
per_file_runs = -(-args.runs // args.files) if args.runs else 0
written = 0
n_runs = 0
source = blocks()
for n in range(args.files):
    with open(os.path.join(args.out, f"corpus-{n:02}.jsonl"), "w") as out:
        size = 0
        file_runs = 0
        while (file_runs < per_file_runs and n_runs < args.runs) if args.runs else size < per_file:
            block = next(source)
            out.write(block)
            size += len(block.encode())
            file_runs += 1
            n_runs += 1
        written += size
print(f"wrote {written / 1e6:.0f} MB, {n_runs:,} runs in {args.files} files to {args.out}")
