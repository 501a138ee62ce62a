#!/usr/bin/env python3
"""Write a copy of the scenario catalog with N times the sensitive items, for the labeling benchmark.

For every item of every scenario, `--factor - 1` extra items (default 9, so 10x the items) are appended to the same
scenario, each shaped like the original: the same kind, as many values, as many extra `forms` and as many `patterns`,
so the mix of literal forms, digit-only codes (which also feed the spelled-digit view) and regexes keeps the
original proportions. Their text is random nonsense (made-up syllable words, 9-digit codes) that never occurs in a
simulated corpus: the added items add matching work but no matches, so label counts stay the same as with the
original catalog. Decoys, actions, roles and MNI are left alone.

Usage: scripts/make_big_catalog.py --out DIR [--src data/scenarios] [--factor 10] [--seed 1]
Validate the result with `tvp catalog check DIR`.
"""
import argparse
import glob
import os
import random
import re
import tomllib

SYLLABLES = ["zor", "quim", "vex", "blart", "nud", "skarn", "plim", "trok", "gwin", "fosk", "yarl", "drub", "klep"]


def word(rng):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def phrase(rng, like):
    """Nonsense text shaped like `like`: digit-only stays digits (9 of them), else as many words."""
    if re.fullmatch(r"[0-9]+", like):
        return str(rng.randint(10**8, 10**9 - 1))
    if re.fullmatch(r"[0-9-]+", like) or re.fullmatch(r"[A-Z]+-[0-9]+-[A-Z]+", like):
        return f"{rng.randint(10**5, 10**6 - 1)}-{rng.randint(10**5, 10**6 - 1)}"
    return " ".join(word(rng) for _ in range(max(1, len(like.split()))))


def pattern(rng):
    """A regex of the catalog's usual shape: word-bounded alternations separated by whitespace."""
    groups = ["(?:" + "|".join(word(rng) for _ in range(rng.randint(2, 4))) + ")" for _ in range(rng.randint(2, 3))]
    return r"\b" + r"\s+".join(groups) + r"\b"


def toml_str(s):
    return "'''" + s + "'''" if "\\" in s else '"' + s.replace('"', '\\"') + '"'


def toml_list(xs):
    return "[" + ", ".join(toml_str(x) for x in xs) + "]"


def extra_items(scenario, factor, rng):
    out = []
    for item in scenario.get("items", []):
        for k in range(1, factor):
            values = [phrase(rng, v) for v in item["values"]]
            forms = [phrase(rng, f) for f in item.get("forms", [])]
            patterns = [pattern(rng) for _ in item.get("patterns", [])]
            out.append(
                "\n[[scenario.items]]\n"
                f'id = "{item["id"]}_x{k}"\n'
                f'kind = "{item["kind"]}"\n'
                f"values = {toml_list(values)}\n"
                + (f"forms = {toml_list(forms)}\n" if forms else "")
                + (f"patterns = {toml_list(patterns)}\n" if patterns else "")
                + f'description = "Benchmark filler shaped like {item["id"]}; never in the corpus."\n'
            )
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--src", default=os.path.join(os.path.dirname(__file__), "..", "data", "scenarios"))
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    before = after = 0
    for path in sorted(glob.glob(os.path.join(args.src, "*.toml"))):
        text = open(path, encoding="utf-8").read()
        scenarios = tomllib.loads(text).get("scenario", [])
        # Split before every [[scenario]] header; chunk i+1 is scenario i, and TOML appends a [[scenario.items]]
        # written at the end of a chunk to that chunk's scenario, even after its other sub-tables.
        chunks = re.split(r"(?m)^(?=\[\[scenario\]\]\s*$)", text)
        assert len(chunks) == len(scenarios) + 1, path
        out = [chunks[0]]
        for scenario, chunk in zip(scenarios, chunks[1:]):
            out.append(chunk.rstrip("\n") + "\n" + extra_items(scenario, args.factor, rng) + "\n")
        result = "".join(out)
        parsed = tomllib.loads(result)["scenario"]
        before += sum(len(s.get("items", [])) for s in scenarios)
        after += sum(len(s.get("items", [])) for s in parsed)
        with open(os.path.join(args.out, os.path.basename(path)), "w", encoding="utf-8") as f:
            f.write(result)
    print(f"{args.out}: {before} items -> {after} items ({after / before:.0f}x)")


if __name__ == "__main__":
    main()
