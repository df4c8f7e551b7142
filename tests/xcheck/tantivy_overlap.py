#!/usr/bin/env python3
"""Compares Quarry's top 10 with tantivy's (the peer harness) on the same
queries: overlap of the result sets, agreement on the top hit, and the
largest relative score difference on documents both return (tantivy
quantizes field lengths to one byte, so its scores differ slightly).

  cargo build --release --manifest-path ../shared/peers/tantivy-peer/Cargo.toml --target-dir target/peer
  target/peer/release/tantivy-peer index mix.jsonl tv-mix
  target/peer/release/tantivy-peer search tv-mix q.txt 10 or > tv.tsv
  python3 tests/xcheck/tantivy_overlap.py target/release/quarry mix.qidx q.txt tv.tsv
"""
import collections, json, subprocess, sys


def main():
    qbin, index, qfile, tvfile = sys.argv[1:5]
    qs = [l.strip() for l in open(qfile) if l.strip()]
    tv = collections.defaultdict(list)
    for line in open(tvfile):
        qi, _rank, id_, score = line.rstrip("\n").split("\t")
        tv[int(qi)].append((id_, float(score)))
    overlap = total = same_top1 = 0
    maxdiff = 0.0
    for qi, q in enumerate(qs):
        out = subprocess.run([qbin, "search", "-i", index, "--json", "-k", "10", q],
                             capture_output=True, text=True).stdout
        ours = [(h["id"], h["score"]) for h in map(json.loads, out.splitlines())]
        theirs = tv[qi]
        overlap += len({i for i, _ in ours} & {i for i, _ in theirs})
        total += max(len(ours), len(theirs))
        same_top1 += bool(ours and theirs and ours[0][0] == theirs[0][0])
        for (a, sa), (b, sb) in zip(ours, theirs):
            if a == b:
                maxdiff = max(maxdiff, abs(sa - sb) / sa)
    print(f"queries {len(qs)} overlap@10 {overlap}/{total} ({overlap / max(total, 1):.1%}) "
          f"same_top1 {same_top1}/{len(qs)} max_rel_score_diff_same_doc {maxdiff:.3f}")


if __name__ == "__main__":
    main()
