#!/usr/bin/env python3
"""Synthesizes a large JSON Lines corpus from a real one, for scale tests.

    python3 benches/synth_corpus.py SOURCE.jsonl DOCS OUT.jsonl [--seed N]

Writes DOCS documents: the source's documents over and over, each copy
with a fresh id and the words of its body shuffled (deterministically,
by --seed and the copy number), so postings grow like real text rather
than repeating one document pattern. Titles are kept. The output is data
derived from the source: never commit it.
"""
import argparse
import json
import random
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("docs", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    with open(a.source, encoding="utf-8") as f:
        source = [json.loads(line) for line in f if line.strip()]
    if not source:
        sys.exit(f"{a.source}: no documents")
    written = 0
    copy = 0
    with open(a.out, "w", encoding="utf-8") as out:
        while written < a.docs:
            rng = random.Random(a.seed * 1_000_003 + copy)
            for doc in source:
                if written == a.docs:
                    break
                words = doc.get("body", "").split()
                if copy:
                    rng.shuffle(words)
                out.write(json.dumps({
                    "id": f"{doc.get('id', written)}#{copy}",
                    "title": doc.get("title", ""),
                    "body": " ".join(words),
                }, ensure_ascii=False))
                out.write("\n")
                written += 1
            copy += 1
    print(f"wrote {written} documents to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
