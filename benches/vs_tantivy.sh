#!/usr/bin/env bash
# Quarry against tantivy 0.26.1, side by side on the same machine, corpus
# and query files, in one run.
#
#   benches/vs_tantivy.sh [SEED...]        (default seed: 1)
#
# Builds what is missing, once (in $WORK, default target/vs-tantivy):
#   - mix.jsonl and friends, from ../shared/corpora/build.sh
#   - the tantivy peer harness (about 5-11 minutes the first time)
#   - both indexes of mix.jsonl
# Then, per seed, samples 1000 queries with queries.py (--kind terms and
# --kind phrase), runs `quarry bench` and the peer on terms (OR), terms
# (all words required) and phrases, ROUNDS times each, interleaved, and
# prints the median of each engine's mean and p99 latency and their ratio
# (Quarry / tantivy: below 1 means Quarry is faster). Also prints index
# sizes. Needs python3 (for queries.py) besides the Rust toolchain.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
WORK=${WORK:-$ROOT/target/vs-tantivy}
ROUNDS=${ROUNDS:-5}
SEEDS=("$@")
[ ${#SEEDS[@]} -eq 0 ] && SEEDS=(1)
mkdir -p "$WORK"

CORPUS=$WORK/corpora/mix.jsonl
if [ ! -s "$CORPUS" ]; then
    echo "building corpora into $WORK/corpora (about a minute)" >&2
    bash "$SHARED/corpora/build.sh" "$WORK/corpora" >&2
fi

PEER=$WORK/peer/release/tantivy-peer
if [ ! -x "$PEER" ]; then
    echo "building the tantivy peer (several minutes, once)" >&2
    cargo build --release --manifest-path "$SHARED/peers/tantivy-peer/Cargo.toml" \
        --target-dir "$WORK/peer" >&2
fi

echo "building quarry (release)" >&2
cargo build --release --manifest-path "$ROOT/Cargo.toml" -p quarry-cli >&2
QUARRY=$ROOT/target/release/quarry

QIDX=$WORK/mix.qidx
TDIR=$WORK/tantivy-mix
if [ ! -s "$QIDX" ] || [ "$QIDX" -ot "$QUARRY" ]; then
    "$QUARRY" index "$CORPUS" -o "$QIDX" >&2
fi
if [ ! -s "$TDIR/meta.json" ]; then
    rm -rf "$TDIR"
    "$PEER" index "$CORPUS" "$TDIR" >&2
fi

# Index size without stored documents: every section but the store.
qsize=$("$QUARRY" stats -i "$QIDX" | awk '/^section/ && $2 !~ /^store/ {s += $3} END {print s}')
tsize=$(du -sbL "$TDIR" | cut -f1)
echo "index size without stored documents: quarry $qsize bytes, tantivy directory $tsize bytes, ratio $(awk -v a="$qsize" -v b="$tsize" 'BEGIN {printf "%.3f", a / b}')"

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Field N of the timing line: queries N total S mean_us M p50_us P p99_us Q
field() { awk -v f="$1" '{print $f}'; }

for seed in "${SEEDS[@]}"; do
    terms=$WORK/terms-$seed.txt
    phrase=$WORK/phrase-$seed.txt
    python3 "$SHARED/corpora/queries.py" "$CORPUS" --kind terms --n 1000 --seed "$seed" > "$terms"
    python3 "$SHARED/corpora/queries.py" "$CORPUS" --kind phrase --n 1000 --seed "$seed" > "$phrase"
    for kind in or and phrase; do
        case $kind in
            or) file=$terms mode=or flag=() ;;
            and) file=$terms mode=and flag=(--and) ;;
            phrase) file=$phrase mode=or flag=() ;;
        esac
        : > "$WORK/q.lines"
        : > "$WORK/t.lines"
        for _ in $(seq "$ROUNDS"); do
            "$PEER" search "$TDIR" "$file" 10 "$mode" 2>> "$WORK/t.lines" > "$WORK/t.tsv"
            "$QUARRY" bench -i "$QIDX" --queries "$file" "${flag[@]}" 2>> "$WORK/q.lines" > "$WORK/q.tsv"
        done
        qm=$(field 6 < "$WORK/q.lines" | median)
        tm=$(field 6 < "$WORK/t.lines" | median)
        q99=$(field 10 < "$WORK/q.lines" | median)
        t99=$(field 10 < "$WORK/t.lines" | median)
        printf 'seed %s %-6s mean_us quarry %7.1f tantivy %7.1f ratio %.3f | p99_us quarry %7.1f tantivy %7.1f ratio %.3f\n' \
            "$seed" "$kind" "$qm" "$tm" "$(awk -v a="$qm" -v b="$tm" 'BEGIN {print a / b}')" \
            "$q99" "$t99" "$(awk -v a="$q99" -v b="$t99" 'BEGIN {print a / b}')"
    done
done
