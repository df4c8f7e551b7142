#!/usr/bin/env python3
"""Cross-checks Quarry's BM25 scores on a real corpus against an independent
implementation (this file: Python regex tokenizer + the `snowballstemmer`
package), query by query.

  pip install snowballstemmer
  python3 ../shared/corpora/queries.py mix.jsonl --kind terms --n 30 --seed 7 > q.txt
  quarry index mix.jsonl -o mix.qidx
  python3 tests/xcheck/bm25_corpus.py mix.jsonl mix.qidx q.txt [--and] [--quarry target/release/quarry]

Prints, per query, whether the top 10 ids match and the largest relative
score difference, then a summary line. Exit 1 on any mismatch beyond ties.
"""
import argparse, json, math, re, subprocess, sys
from collections import defaultdict

import snowballstemmer

TOKEN = re.compile(r"[^\W_]+")  # runs of alphanumeric characters
STEM = snowballstemmer.stemmer("english")
K1, B = 1.2, 0.75


def analyze(text, cache):
    out = []
    for tok in TOKEN.findall(text):
        if len(tok.encode("utf-8")) >= 40:
            continue
        low = tok.lower()
        s = cache.get(low)
        if s is None:
            s = cache[low] = STEM.stemWord(low)
        out.append(s)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("index")
    ap.add_argument("queries")
    ap.add_argument("--and", dest="conj", action="store_true")
    ap.add_argument("--quarry", default="target/release/quarry")
    a = ap.parse_args()
    cache = {}
    queries = [l.strip() for l in open(a.queries) if l.strip()]
    qterms = [list(dict.fromkeys(analyze(q, cache))) for q in queries]
    wanted = {t for ts in qterms for t in ts}
    ids, lens = [], [[], []]
    tf = [defaultdict(dict), defaultdict(dict)]  # field -> term -> {doc: tf}
    for d, line in enumerate(open(a.corpus, encoding="utf-8")):
        doc = json.loads(line)
        ids.append(doc.get("id"))
        for f, key in enumerate(("title", "body")):
            toks = analyze(doc.get(key) or "", cache)
            lens[f].append(len(toks))
            for t in toks:
                if t in wanted:
                    tf[f][t][d] = tf[f][t].get(d, 0) + 1
    n = len(ids)
    avg = [sum(l) / n for l in lens]
    worst, mismatches = 0.0, 0
    for qi, (q, terms) in enumerate(zip(queries, qterms)):
        scores = defaultdict(float)
        docsets = []
        for t in terms:
            has = set()
            for f in (0, 1):
                post = tf[f].get(t, {})
                df = len(post)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                for d, c in post.items():
                    scores[d] += idf * c * (K1 + 1) / (c + K1 * (1 - B + B * lens[f][d] / avg[f]))
                    has.add(d)
            docsets.append(has)
        if a.conj:
            keep = set.intersection(*docsets) if docsets else set()
            scores = {d: s for d, s in scores.items() if d in keep}
        want = sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:10]
        args = [a.quarry, "search", "-i", a.index, "--json", "-k", "10"] + (["--and"] if a.conj else []) + [q]
        got = [json.loads(l) for l in subprocess.run(args, capture_output=True, text=True).stdout.splitlines()]
        diff = max([abs(g["score"] - w[1]) / max(w[1], 1e-12) for g, w in zip(got, want)] or [0.0])
        same_ids = [g["id"] for g in got] == [ids[d] for d, _ in want]
        ok = len(got) == len(want) and diff <= 1e-6
        worst = max(worst, diff)
        if not ok:
            mismatches += 1
        print(f"{qi}\t{'ok' if ok else 'MISMATCH'}\tids {'same' if same_ids else 'tie-order'}\tmax_rel_diff {diff:.2e}\t{q}")
    print(f"queries {len(queries)} mismatches {mismatches} max_rel_diff {worst:.2e}")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
