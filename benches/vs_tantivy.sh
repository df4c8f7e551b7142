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
# Then, per seed, samples 1000 queries with queries.py (--kind terms,
# phrase, boolean, fuzzy, prefix), runs `quarry bench` and the peer on terms
# (OR), terms (all words required), phrases and boolean forms (the peer's
# `or` mode: tantivy's own parser), fuzzy and prefix sets (the peer's
# `terms` mode), ROUNDS times each, interleaved, and prints the median of
# each engine's mean and p99 latency and their ratio (Quarry / tantivy:
# below 1 means Quarry is faster). Then long OR queries of 16 to 4,096
# distinct words of one document (benches/long_queries.py; LONG=0 skips
# them, LONG_COUNT queries per length, LONG_ROUNDS rounds), also against
# Quarry without pruning. Also prints index sizes. Needs python3 besides
# the Rust toolchain.
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

# compare LABEL FILE PEER_MODE [QUARRY FLAGS...]: ROUNDS interleaved runs of
# both engines (and of Quarry without pruning), medians of mean and p99.
compare() {
    local label=$1 file=$2 mode=$3
    shift 3
    : > "$WORK/q.lines"
    : > "$WORK/x.lines"
    : > "$WORK/t.lines"
    for _ in $(seq "$ROUNDS"); do
        "$PEER" search "$TDIR" "$file" 10 "$mode" 2>> "$WORK/t.lines" > "$WORK/t.tsv"
        "$QUARRY" bench -i "$QIDX" --queries "$file" "$@" 2>> "$WORK/q.lines" > "$WORK/q.tsv"
        if [ -n "${EXHAUSTIVE:-}" ]; then
            "$QUARRY" bench -i "$QIDX" --queries "$file" --exhaustive "$@" 2>> "$WORK/x.lines" > "$WORK/x.tsv"
        fi
    done
    local qm tm q99 t99
    qm=$(field 6 < "$WORK/q.lines" | median)
    tm=$(field 6 < "$WORK/t.lines" | median)
    q99=$(field 10 < "$WORK/q.lines" | median)
    t99=$(field 10 < "$WORK/t.lines" | median)
    printf '%-16s mean_us quarry %9.1f tantivy %10.1f ratio %s | p99_us quarry %9.1f tantivy %10.1f ratio %s' \
        "$label" "$qm" "$tm" "$(ratio "$qm" "$tm")" "$q99" "$t99" "$(ratio "$q99" "$t99")"
    if [ -n "${EXHAUSTIVE:-}" ]; then
        local xm
        xm=$(field 6 < "$WORK/x.lines" | median)
        printf ' | exhaustive mean_us %9.1f pruned/exhaustive %s' "$xm" "$(ratio "$qm" "$xm")"
    fi
    printf '\n'
}

# KINDS limits the sets run (default: all of them).
KINDS=${KINDS:-"or and phrase boolean fuzzy prefix"}
wants() { [[ " $KINDS " == *" $1 "* ]]; }
for seed in "${SEEDS[@]}"; do
    for kind in terms phrase boolean fuzzy prefix; do
        python3 "$SHARED/corpora/queries.py" "$CORPUS" --kind "$kind" --n 1000 --seed "$seed" \
            > "$WORK/$kind-$seed.txt"
    done
    if wants or; then compare "seed $seed or" "$WORK/terms-$seed.txt" or; fi
    if wants and; then compare "seed $seed and" "$WORK/terms-$seed.txt" and --and; fi
    if wants phrase; then compare "seed $seed phrase" "$WORK/phrase-$seed.txt" or; fi
    if wants boolean; then compare "seed $seed boolean" "$WORK/boolean-$seed.txt" or; fi
    if wants fuzzy; then compare "seed $seed fuzzy" "$WORK/fuzzy-$seed.txt" terms; fi
    if wants prefix; then compare "seed $seed prefix" "$WORK/prefix-$seed.txt" terms; fi
done

# Long OR queries: N distinct words of one document (LONG=0 skips them;
# tantivy needs about 30 s per 4,096-word query here).
if [ "${LONG:-1}" != 0 ]; then
    for n in 16 64 256 1024 4096; do
        long=$WORK/long-$n.txt
        python3 "$ROOT/benches/long_queries.py" "$CORPUS" "$n" "${LONG_COUNT:-5}" 1 > "$long"
        ROUNDS=${LONG_ROUNDS:-3} EXHAUSTIVE=1 compare "long $n words" "$long" or
    done
fi
