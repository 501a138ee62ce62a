#!/usr/bin/env python3
"""Write a generic-JSONL benchmark corpus of at least --size bytes by replicating the real AgentLeak dev traces'
channel messages under new run ids (the `dev` split only; `eval` is never read).

Usage: make_corpus.py --out DIR [--size BYTES] [--files N]
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
args = parser.parse_args()

runs = []
for path in sorted(glob.glob(os.path.join(dev, "*.json"))):
    with open(path) as f:
        trace = json.load(f)
    runs.append((trace["trace_id"], trace["model"], trace["channel_messages"]))
if not runs:
    raise SystemExit(f"no AgentLeak dev traces under {dev}")

os.makedirs(args.out, exist_ok=True)
per_file = args.size // args.files + 1
written = 0
copy = 0
for n in range(args.files):
    with open(os.path.join(args.out, f"corpus-{n:02}.jsonl"), "w") as out:
        size = 0
        while size < per_file:
            copy += 1
            for trace_id, model, messages in runs:
                run_id = f"bench{copy}-{trace_id}"
                lines = []
                for turn, m in enumerate(messages):
                    lines.append(json.dumps({
                        "run_id": run_id, "turn": turn, "sender": m["source"], "recipients": [m["target"]],
                        "channel": m["channel"], "content": m["content"], "model": model,
                    }))
                block = "\n".join(lines) + "\n"
                out.write(block)
                size += len(block.encode())
                if size >= per_file:
                    break
        written += size
print(f"wrote {written / 1e6:.0f} MB in {args.files} files to {args.out}")
