#!/usr/bin/env python3
"""Draws bench/results/latest.png from latest.json (run by run.py with the .venv Python).

usage: chart.py RESULTS.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAMES = {"tosput": "libtosupload\n(tosput)", "sdk": "TOS Python SDK", "curl": "curl (1 PUT)"}


def bars(ax, labels, summaries, title, unit):
    med = [s["median"] if s else 0 for s in summaries]
    lo = [s["median"] - s["min"] if s else 0 for s in summaries]
    hi = [s["max"] - s["median"] if s else 0 for s in summaries]
    xs = range(len(labels))
    ax.bar(xs, med, yerr=[lo, hi], capsize=4, color=["#2a7ab9", "#d98c2b", "#7a7a7a", "#5aa05a"][:len(labels)])
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit)
    for x, m in zip(xs, med):
        ax.annotate("%.2f" % m if m < 100 else "%.0f" % m, (x, m), ha="center", va="bottom", fontsize=8)


def main():
    R = json.load(open(sys.argv[1]))
    panels = []
    main_ = R.get("main")
    if main_:
        clients = ["tosput", "sdk", "curl"]
        size_mib = R["config"]["size"] >> 20
        for key, title, unit in (("wall", "wall time, %d MiB" % size_mib, "s"),
                                 ("cpu", "client CPU, %d MiB" % size_mib, "CPU-s"),
                                 ("rss", "client peak RSS", "MiB")):
            panels.append(([NAMES[c] for c in clients], [main_[c]["summary"][key] for c in clients], title, unit))
    d = R.get("dir")
    if d and (d["tosput"]["summary"]["wall"] or d["sdk"]["summary"]["wall"]):
        panels.append((["tosput put-dir", "SDK put_object loop"],
                       [d["tosput"]["summary"]["wall"], d["sdk"]["summary"]["wall"]],
                       "directory, %d x 64 KiB: wall" % d["files"], "s"))
    c = R.get("cancel")
    if c:
        panels.append((["pause p50", "pause p99", "abort p50", "abort p99"],
                       [{"median": c[m][p] or 0, "min": c[m][p] or 0, "max": c[m][p] or 0}
                        for m in ("pause", "abort") for p in ("p50", "p99")],
                       "cancel latency (target p99 <= 200 ms)", "ms"))
    if not panels:
        return 1
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.8 * rows), squeeze=False)
    axes = [ax for row in axes for ax in row]
    for ax, p in zip(axes, panels):
        bars(ax, *p)
    for ax in axes[len(panels):]:
        ax.axis("off")
    m = R["machine"]
    fig.suptitle("libtosupload benchmarks — %s, %s cores, load before the run %s%s" % (
        m["date"], m["nproc"], R.get("load_before_build", R["load_start"])[0], " (busy machine)" if R.get("busy") else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
