#!/usr/bin/env python3
"""Long OR queries: N distinct words taken in order from one document.

    benches/long_queries.py CORPUS.jsonl N [COUNT] [SEED] > queries.txt

Picks COUNT (default 20) documents with at least N distinct words
(deterministically by SEED, default 1) and prints, per document, its first
N distinct lower-cased words (runs of letters and digits under 40 bytes,
as the analyzer reads them). Words are lower-cased so that none reads as
an operator (AND, OR, NOT) in either engine's syntax.
"""
import json
import random
import re
import sys

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def distinct_words(text, n):
    seen = []
    got = set()
    for m in WORD.finditer(text):
        w = m.group(0).lower()
        if len(w.encode()) >= 40 or w in got:
            continue
        got.add(w)
        seen.append(w)
        if len(seen) == n:
            break
    return seen


def main():
    corpus, n = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    candidates = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            text = f"{doc.get('title', '')} {doc.get('body', '')}"
            if len(text) < n * 3:
                continue
            words = distinct_words(text, n)
            if len(words) == n:
                candidates.append(words)
    if not candidates:
        sys.exit(f"no document of {corpus} has {n} distinct words")
    rng = random.Random(seed)
    for words in rng.sample(candidates, min(count, len(candidates))):
        print(" ".join(words))


if __name__ == "__main__":
    main()
