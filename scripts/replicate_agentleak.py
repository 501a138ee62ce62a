#!/usr/bin/env python3
"""Replicate the AgentLeak dev traces for scripts/bench_scale.sh: copy k (1..N) of every trace goes to
OUT/copy-kk/ as an AgentLeak trace file whose `trace_id` is `rk-<trace_id>`. Each copy keeps its own vault and
allowed set, so every replica is a run with its own ground truth (the case that made labeling quadratic).
Only `dev/` is read; `eval/` never is.

Usage: replicate_agentleak.py --out DIR --copies N [--dev DIR]
"""
import argparse
import glob
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--copies", type=int, required=True)
parser.add_argument("--dev", default=os.path.join(here, "..", "..", "shared", "realdata", "agentleak", "dev"))
args = parser.parse_args()

paths = sorted(glob.glob(os.path.join(args.dev, "*.json")))
if not paths:
    raise SystemExit(f"no AgentLeak dev traces under {args.dev}")
traces = []
for path in paths:
    with open(path, encoding="utf-8") as f:
        traces.append((os.path.basename(path), json.load(f)))
written = 0
for k in range(1, args.copies + 1):
    folder = os.path.join(args.out, f"copy-{k:02}")
    os.makedirs(folder, exist_ok=True)
    for name, trace in traces:
        copy = dict(trace, trace_id=f"r{k}-{trace['trace_id']}")
        with open(os.path.join(folder, f"r{k}-{name}"), "w", encoding="utf-8") as f:
            text = json.dumps(copy, ensure_ascii=False)
            f.write(text)
            written += len(text.encode())
print(f"wrote {args.copies} x {len(traces)} traces ({written / 1e6:.0f} MB) to {args.out}")
