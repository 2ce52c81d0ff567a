"""The table ab.sh ends with: every figure a comparison reported for recsys, its median and range
over the runs at the other revision and at the working tree, beside the reference library's
figure from the same runs.

A comparison's JSON is walked as a tree; a figure is any number under a key naming recsys
("recsys", "recsys_s", "recsys_serving_lightgbm_model_s"), and its reference counterpart is the
same path with "recsys" replaced by implicit, sklearn or lightgbm where that exists.
"""

import argparse
import glob
import json
import os
import statistics

REFERENCES = ("implicit", "sklearn", "lightgbm")


def flatten(node, path=()):
    """(path, number) for every number in a comparison's JSON; list entries are named by their
    "task" where they have one."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from flatten(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, dict) and "task" in value:
                name = value["task"]
                value = {k: v for k, v in value.items() if k != "task"}
            else:
                name = str(i)
            yield from flatten(value, path + (name,))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, float(node)


def runs(out, side):
    """One {path: number} per run of this side, in round order."""
    found = []
    for folder in sorted(glob.glob(os.path.join(out, f"{side}-*")), key=lambda f: int(f.rsplit("-", 1)[1])):
        figures = {}
        for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
            with open(path) as f:
                figures.update(dict(flatten(json.load(f))))
        found.append(figures)
    return found


def values(side_runs, path):
    return [r[path] for r in side_runs if path in r] if path else []


def median(vs):
    return statistics.median(vs) if vs else None


def counterpart(path, figures):
    for i, part in enumerate(path):
        if "recsys" in part:
            for ref in REFERENCES:
                other = path[:i] + (part.replace("recsys", ref),) + path[i + 1:]
                if other in figures:
                    return other
    return None


def fmt(v):
    if v is None:
        return ""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def spread(vs):
    """The median, and the range when the runs differ: one slow run among three is the machine."""
    if not vs:
        return ""
    lo, hi = min(vs), max(vs)
    return fmt(median(vs)) if lo == hi else f"{fmt(median(vs))} ({fmt(lo)}-{fmt(hi)})"


def ratio(a, b):
    return "" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", help="the folder ab.sh wrote (rev-N/ and head-N/)")
    ap.add_argument("--rev", required=True, help="how to name the other revision")
    args = ap.parse_args()
    rev, head = runs(args.out, "rev"), runs(args.out, "head")
    if not rev or not head:
        raise SystemExit(f"{args.out} holds no complete A/B run (rev-N/ and head-N/ folders)")
    paths = [p for p in head[0] if any("recsys" in part for part in p)]
    print(f"medians of {len(rev)} run(s) each (lowest-highest in brackets); the reference library's "
          "code is the same on both sides, so its ratio is the machine's drift")
    print()
    print(f"| figure | recsys at {args.rev} | recsys now | now / {args.rev} "
          "| reference, in those runs | reference, in these runs | these / those |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for path in paths:
        ref = counterpart(path, head[0])
        a, b = values(rev, path), values(head, path)
        ra, rb = values(rev, ref), values(head, ref)
        print(f"| {' / '.join(path)} | {spread(a)} | {spread(b)} | {ratio(median(b), median(a))} "
              f"| {spread(ra)} | {spread(rb)} | {ratio(median(rb), median(ra))} |")
    print()
    print(f"results: {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
