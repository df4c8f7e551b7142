#!/usr/bin/env python3
"""One-shot latency of `quarry search` (process start to exit), the way a
terminal user meets it, against the cost of starting the process at all
(`quarry --version`) measured in the same run, interleaved.

  python3 benches/oneshot_latency.py target/release/quarry mix.qidx q.txt

Prints the median and 90th percentile over 3 passes of the first 30 queries.
"""
import statistics, subprocess, sys, time


def timed(args):
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1e3


def main():
    qbin, index, qfile = sys.argv[1:4]
    qs = [l.strip() for l in open(qfile) if l.strip()][:30]
    for _ in range(3):  # warm the page cache
        timed([qbin, "search", "-i", index, qs[0]])
    search, spawn = [], []
    for _ in range(3):
        for q in qs:
            search.append(timed([qbin, "search", "-i", index, "-k", "10", q]))
            spawn.append(timed([qbin, "--version"]))
    search.sort()
    print(f"runs {len(search)} search_median_ms {statistics.median(search):.2f} "
          f"p90_ms {search[int(len(search) * 0.9)]:.2f} version_median_ms {statistics.median(spawn):.2f}")


if __name__ == "__main__":
    main()
