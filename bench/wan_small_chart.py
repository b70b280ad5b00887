#!/usr/bin/env python3
"""Draws files/s against files at once from wan_small.py's JSON, one line per protocol and
round trip, with the defaults (automatic) as a marker on each line's own round trip (run by
wan_small.py with the .venv Python).

usage: wan_small_chart.py wan-small-latest.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    data = json.load(open(sys.argv[1]))
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for where, res in data["results"].items():
        fixed = sorted((int(s), v["files_per_s"]) for s, v in res.items()
                       if s.isdigit() and int(s) > 0 and v["files_per_s"])
        if not fixed:
            continue
        line, = ax.plot([s for s, _ in fixed], [f for _, f in fixed], marker="o", label=where + ", fixed")
        auto = res.get("0", {}).get("files_per_s")
        if auto:
            best = max(f for _, f in fixed)
            ax.scatter([max(s for s, _ in fixed)], [auto], marker="*", s=160, color=line.get_color(),
                       zorder=3, label="%s, defaults (%.2f x best)" % (where, auto / best))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("files and connections at once (--files N --connections N)")
    ax.set_ylabel("files/s")
    ax.set_title("%d files of %d bytes across an emulated WAN" % (data["files"], data["size"]))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
