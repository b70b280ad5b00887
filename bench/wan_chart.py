#!/usr/bin/env python3
"""Draws throughput against tasks from wan.py's JSON (run by wan.py with the .venv Python).

usage: wan_chart.py wan-latest.json OUT.png
"""
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def spread(values):
    m = statistics.median(values)
    return m, m - min(values), max(values) - m


def main():
    data = json.load(open(sys.argv[1]))
    fixed, sdk, auto = [], [], None
    for name, r in data["results"].items():
        if not r["mbps"]:
            continue
        kind, tasks = r["client"]
        point = (tasks,) + spread(r["mbps"])
        if kind == "tosput" and tasks:
            fixed.append(point)
        elif kind == "tosput":
            auto = point + (statistics.median(r["max_in_flight"]),)
        else:
            sdk.append((tasks or 1,) + point[1:])
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for points, style, name in ((sorted(fixed), "o-", "libtosupload, fixed tasks"),
                                (sorted(sdk), "s--", "TOS Python SDK (1 = its default)")):
        if points:
            xs, med, lo, hi = zip(*points)
            ax.errorbar(xs, med, yerr=[lo, hi], fmt=style, capsize=4, label=name)
    if auto:
        ax.axhline(auto[1], color="#5aa05a", linestyle=":",
                   label="libtosupload, automatic (at most %d requests at once)" % auto[4])
    link = data["link"]
    ax.set_xscale("log", base=2)
    ax.set_xticks([1, 2, 4, 8, 16])
    ax.set_xticklabels(["1", "2", "4", "8", "16"])
    ax.set_xlabel("parts sent at once (tasks)")
    ax.set_ylabel("Mbit/s (median, min-max)")
    ax.set_title("%d MiB over %d ms RTT, %s per connection, %s in all"
                 % (data["size"] >> 20, link["rtt_ms"], link["conn_rate"], link["total_rate"]), fontsize=10)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.12)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
