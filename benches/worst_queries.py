#!/usr/bin/env python3
"""Worst cases of work per query: end-to-end `quarry search` wall times.

    benches/worst_queries.py INDEX CORPUS.jsonl [QUARRY] [RUNS] [FILTER]

Builds pathological queries (long phrases, repeated words, long OR and
AND queries, many prefix and fuzzy patterns, deep nesting, long tokens,
far paging) from the words of CORPUS (the corpus INDEX was built from),
runs each RUNS times (default 3; once when a run takes over 20 s) with
QUARRY (default target/release/quarry), and prints per case the median
wall time in seconds, the exit status and the first line of stderr (a
refusal states its limit). FILTER, a substring, runs only matching cases.

The query goes in as several arguments of at most 100 kB each (the CLI
joins them with spaces), as one argument may not exceed 128 kB on Linux.
"""
import json
import re
import statistics
import subprocess
import sys
import time

WORD = re.compile(r"[^\W_]+", re.UNICODE)
TIMEOUT = 180


def corpus_words(corpus, want_distinct=120_000):
    """The corpus's distinct lower-cased words in first-seen order, and
    the longest run of words of one document (for long phrases)."""
    seen, order, longest = set(), [], []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            words = [w.lower() for w in WORD.findall(doc.get("body", ""))
                     if len(w.encode()) < 40]
            if len(words) > len(longest):
                longest = words
            if len(order) < want_distinct:
                for w in words:
                    if w not in seen and not w.isdigit():
                        seen.add(w)
                        order.append(w)
            elif len(longest) > 5000:
                break
    return order, longest


def phrase(words, slop=None):
    q = '"' + " ".join(words) + '"'
    return q if slop is None else f"{q}~{slop}"


def cases(vocab, doc):
    # Words that read as no operator.
    vocab = [w for w in vocab if w not in ("and", "or", "not")]
    two = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    yield "phrase 1000 words of a document", phrase(doc[:1000]), []
    yield "phrase 256 words of a document", phrase(doc[:256]), []
    yield "phrase 1000 distinct words", phrase(vocab[:1000]), []
    yield "phrase the x256", phrase(["the"] * 256), []
    yield "phrase the x1000", phrase(["the"] * 1000), []
    yield "phrase the x100000", phrase(["the"] * 100_000), []
    yield "phrase 'of the' x10000", phrase(["of", "the"] * 10_000), []
    yield "phrase the x32 ~1000", phrase(["the"] * 32, 1000), []
    yield "phrase the x8 ~1000", phrase(["the"] * 8, 1000), []
    yield "phrase the x16 ~1000", phrase(["the"] * 16, 1000), []
    yield "phrase 'of the' x8 ~1000", phrase(["of", "the"] * 8, 1000), []
    yield "phrase 64 doc words ~1000", phrase(doc[:64], 1000), []
    yield "phrase the x256 ~1000", phrase(["the"] * 256, 1000), []
    yield "phrase 256 doc words ~1000", phrase(doc[:256], 1000), []
    yield "OR 4000 words", " ".join(vocab[:4000]), []
    yield "OR 10000 words", " ".join(vocab[:10_000]), []
    yield "OR 100000 words", " ".join(vocab[:100_000]), []
    yield "OR the x100000", " ".join(["the"] * 100_000), []
    yield "AND 4000 words", " ".join(vocab[:4000]), ["--and"]
    yield "OR 4000 unknown words", " ".join(f"zqx{w}" for w in vocab[:4000]), []
    yield "prefix a*", "a*", []
    yield "prefix 500 two-letter*", " ".join(p + "*" for p in two[:500]), []
    yield "prefix 500 two-letter* AND", " ".join(p + "*" for p in two[:500]), ["--and"]
    yield "prefix 500 two-letter* --max-expansions 100000", " ".join(
        p + "*" for p in two[:500]), ["--max-expansions", "100000"]
    yield "prefix 100 two-letter* + 3900 words", " ".join(
        [p + "*" for p in two[:100]] + vocab[:3900]), []
    yield "prefix 64 two-letter*", " ".join(p + "*" for p in two[:64]), []
    yield "prefix 32 two-letter* + 3900 words", " ".join(
        [p + "*" for p in two[:32]] + vocab[:3900]), []
    yield "prefix 64 two-letter* + 3900 words", " ".join(
        [p + "*" for p in two[:64]] + vocab[:3900]), []
    yield "fuzzy the~2", "the~2", []
    yield "fuzzy 64 words~2", " ".join(w + "~2" for w in vocab[:64]), []
    yield "fuzzy 64 words~2 + 3900 words", " ".join(
        [w + "~2" for w in vocab[:64]] + vocab[1000:4900]), []
    yield "fuzzy 500 words~2", " ".join(w + "~2" for w in vocab[:500]), []
    yield "fuzzy 4000 words~2", " ".join(w + "~2" for w in vocab[:4000]), []
    yield "nesting 64", "( " * 64 + "war" + " )" * 64, []
    yield "nesting 100000", "( " * 100_000 + "war" + " )" * 100_000, []
    yield "boost 1e6", "war^1000000 peace", []
    yield "long token 100 kB", "a" * 100_000, []
    yield "long token 100 kB prefix", "a" * 100_000 + "*", []
    yield "long token 100 kB fuzzy", "a" * 100_000 + "~2", []
    yield "page 1e9", "the", ["--offset", "1000000000"]
    yield "limit 1e9", "the", ["-k", "1000000000", "--count"]
    yield "limit 300000 ranked", "the of", ["-k", "300000"]


def args_of(query):
    out, cur = [], []
    size = 0
    for w in query.split(" "):
        if size + len(w) + 1 > 100_000 and cur:
            out.append(" ".join(cur))
            cur, size = [], 0
        cur.append(w)
        size += len(w) + 1
    out.append(" ".join(cur))
    return out


def run(quarry, index, query, extra):
    cmd = [quarry, "search", "-i", index, "--color", "never", *extra, "--", *args_of(query)]
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return TIMEOUT, "timeout", f"more than {TIMEOUT} s"
    took = time.perf_counter() - t
    err = p.stderr.decode(errors="replace").strip().splitlines()
    return took, p.returncode, (err[0][:150] if err else "")


def main():
    index, corpus = sys.argv[1], sys.argv[2]
    quarry = sys.argv[3] if len(sys.argv) > 3 else "target/release/quarry"
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    only = sys.argv[5] if len(sys.argv) > 5 else ""
    vocab, doc = corpus_words(corpus)
    print(f"# {len(vocab)} distinct words; longest document {len(doc)} words", flush=True)
    for name, query, extra in cases(vocab, doc):
        if only not in name:
            continue
        times = []
        for _ in range(runs):
            took, rc, err = run(quarry, index, query, extra)
            times.append(took)
            if took > 20:
                break
        print(f"{statistics.median(times):8.3f} s  rc={rc}  {name}  ({len(query)} B)  {err}",
              flush=True)


if __name__ == "__main__":
    main()
