#!/usr/bin/env bash
# Indexing throughput and memory: Quarry with 1 and 2 threads (and a small
# budget) against the tantivy peer with one thread, interleaved, on
# mix.jsonl, ROUNDS times; prints the median wall time, documents per
# second and peak RSS of each, the ratios, and whether every Quarry index
# is byte-identical to the first.
#
#   benches/indexing.sh            (ROUNDS=3; corpus and peer as vs_tantivy.sh builds them)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$ROOT/target/vs-tantivy}
ROUNDS=${ROUNDS:-3}
CORPUS=$WORK/corpora/mix.jsonl
PEER=$WORK/peer/release/tantivy-peer
[ -s "$CORPUS" ] && [ -x "$PEER" ] || { echo "run benches/vs_tantivy.sh once first (it builds the corpus and the peer)" >&2; exit 2; }
command -v /usr/bin/time > /dev/null || { echo "$0: needs /usr/bin/time" >&2; exit 2; }
cargo build --release --manifest-path "$ROOT/Cargo.toml" -p quarry-cli >&2
QUARRY=$ROOT/target/release/quarry
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
docs=$(grep -c . "$CORPUS")

# run LABEL COMMAND...: appends "LABEL seconds rss_kib" to $OUT/runs.
run() {
    local label=$1
    shift
    /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" > /dev/null 2> "$OUT/err" || { cat "$OUT/err" >&2; exit 1; }
    echo "$label $(cat "$OUT/time")" >> "$OUT/runs"
}

for _ in $(seq "$ROUNDS"); do
    rm -rf "$OUT/tantivy"
    PEER_THREADS=1 run tantivy-1 "$PEER" index "$CORPUS" "$OUT/tantivy"
    run quarry-1 "$QUARRY" index "$CORPUS" -o "$OUT/q1.qidx" --threads 1
    run quarry-2 "$QUARRY" index "$CORPUS" -o "$OUT/q2.qidx" --threads 2
    run quarry-2-64M "$QUARRY" index "$CORPUS" -o "$OUT/q3.qidx" --threads 2 --memory 64M
    for f in q2 q3; do
        cmp -s "$OUT/q1.qidx" "$OUT/$f.qidx" || { echo "$f.qidx differs from q1.qidx" >&2; exit 1; }
    done
done

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
t_of() { awk -v l="$1" '$1 == l {print $2}' "$OUT/runs" | median; }
m_of() { awk -v l="$1" '$1 == l {print $3}' "$OUT/runs" | median; }
tt=$(t_of tantivy-1)
q1=$(t_of quarry-1)
for label in tantivy-1 quarry-1 quarry-2 quarry-2-64M; do
    t=$(t_of "$label")
    m=$(m_of "$label")
    awk -v l="$label" -v t="$t" -v m="$m" -v d="$docs" -v tt="$tt" -v q1="$q1" 'BEGIN {
        printf "%-13s %7.2f s %9.0f docs/s  peak %6.0f MiB  throughput x tantivy-1 %.2f  x quarry-1 %.2f\n",
            l, t, d / t, m / 1024, tt / t, q1 / t }'
done
echo "all Quarry indexes byte-identical: yes ($ROUNDS rounds, $docs documents)"
