#!/usr/bin/env python3
"""Synthesizes a large JSON Lines corpus from a real one, for scale tests.

    python3 benches/synth_corpus.py SOURCE.jsonl DOCS OUT.jsonl [--seed N] [--vary]

Writes DOCS documents: the source's documents over and over, each copy
with a fresh id and the words of its body shuffled (deterministically,
by --seed and the copy number), so postings grow like real text rather
than repeating one document pattern. Titles are kept. The first copy is
the source itself. The output is data derived from the source: never
commit it.

Plain copies keep the source's vocabulary, and every document has a copy
of the same length with the same term frequencies, hence the same BM25
score: at 33 copies the top 10 of a term are ten ties of one or two
documents, which no real collection looks like. With --vary each later
copy also
  - keeps a random 70-100% of each body's words (so lengths and term
    frequencies differ between copies, as between real documents), and
  - respells a random quarter of the source's rare words (alphabetic, in
    at most RARE_DF documents) by appending a tag of the copy number, so
    the vocabulary keeps growing with the collection, as Heaps' law has it
    for real text (about 1.7 million new words over 32 copies of
    mix.jsonl).
"""
import argparse
import collections
import json
import random
import sys

# Words in at most this many source documents count as rare.
RARE_DF = 3
# Share of the rare words a later copy respells.
RESPELL_SHARE = 0.27
# Share of each body's words a later copy keeps, at least.
KEEP_AT_LEAST = 0.7


def copy_tag(copy):
    """A suffix of letters that names `copy` (1 -> "xb", 27 -> "xbb")."""
    letters = []
    while True:
        copy, r = divmod(copy, 26)
        letters.append(chr(ord("a") + r))
        if copy == 0:
            break
    return "x" + "".join(reversed(letters))


def rare_words(source):
    """Alphabetic body words of at most RARE_DF source documents, sorted."""
    df = collections.Counter()
    for doc in source:
        df.update(set(doc.get("body", "").split()))
    return sorted(w for w, n in df.items() if n <= RARE_DF and w.isalpha())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("docs", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vary", action="store_true",
                    help="vary lengths and respell rare words per copy")
    a = ap.parse_args()
    with open(a.source, encoding="utf-8") as f:
        source = [json.loads(line) for line in f if line.strip()]
    if not source:
        sys.exit(f"{a.source}: no documents")
    rare = rare_words(source) if a.vary else []
    written = 0
    copy = 0
    with open(a.out, "w", encoding="utf-8") as out:
        while written < a.docs:
            rng = random.Random(a.seed * 1_000_003 + copy)
            respelled = set()
            if copy and a.vary:
                respelled = set(rng.sample(rare, int(len(rare) * RESPELL_SHARE)))
            tag = copy_tag(copy)
            for doc in source:
                if written == a.docs:
                    break
                words = doc.get("body", "").split()
                if copy:
                    rng.shuffle(words)
                if copy and a.vary:
                    keep = round(len(words) * rng.uniform(KEEP_AT_LEAST, 1.0))
                    words = [w + tag if w in respelled else w
                             for w in words[:max(keep, 1)]]
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
