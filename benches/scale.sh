#!/usr/bin/env bash
# Cost growth with collection size: builds indexes of synthetic corpora of
# SIZES documents (benches/synth_corpus.py over mix.jsonl; 299514 is
# mix.jsonl itself) with the default budget and every core, and prints per
# size: documents, input bytes, build time, documents per second, peak RSS
# (and the largest anonymous and file-backed RSS seen, sampled every 0.5 s),
# index bytes, open time, and top-10 OR term-query p50/p99 over 1000
# queries sampled from mix.jsonl (queries.py --kind terms --seed 7).
#
#   benches/scale.sh                   (SIZES="299514 1000000 3000000 10000000")
#   SIZES="299514 1000000" MEMORY=256M benches/scale.sh
#   SYNTH=vary benches/scale.sh        (the copies vary: synth_corpus.py --vary)
#
# Needs about 1.4x the largest corpus in free disk beside target/ (the
# corpus and its index); the corpora stay in target/scale for reruns.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$ROOT/target/vs-tantivy}
SCALE=$ROOT/target/scale
SIZES=${SIZES:-"299514 1000000 3000000 10000000"}
SHARED=${SHARED:-$ROOT/../shared}
MIX=$WORK/corpora/mix.jsonl
[ -s "$MIX" ] || { echo "run benches/vs_tantivy.sh once first (it builds the corpus)" >&2; exit 2; }
cargo build --release --manifest-path "$ROOT/Cargo.toml" -p quarry-cli >&2
QUARRY=$ROOT/target/release/quarry
mkdir -p "$SCALE"
largest=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)
# Plain copies are named synth-N, varied ones vary-N.
name=synth
synth_args=()
[ "${SYNTH:-}" = vary ] && { name=vary; synth_args=(--vary); }
big=$SCALE/$name-$largest.jsonl
if [ "$largest" -gt 299514 ] && [ ! -s "$big" ]; then
    python3 "$ROOT/benches/synth_corpus.py" "$MIX" "$largest" "$big.part" "${synth_args[@]}" && mv "$big.part" "$big"
fi
queries=$SCALE/terms-7.txt
[ -s "$queries" ] || python3 "$SHARED/corpora/queries.py" "$MIX" --kind terms --n 1000 --seed 7 > "$queries"

printf '| documents | input | build | docs/s | peak RSS | max anon / file RSS | index | open | p50 | p99 |\n|---|---|---|---|---|---|---|---|---|---|\n'
for n in $SIZES; do
    if [ "$n" = 299514 ]; then
        corpus=$MIX
    else
        # The synthetic corpus is deterministic copy by copy: its first n
        # lines are the corpus of n documents.
        corpus=$SCALE/$name-$n.jsonl
        [ -s "$corpus" ] || head -n "$n" "$big" > "$corpus"
    fi
    out=$SCALE/index-$name-$n.qidx
    rm -f "$out"
    args=(index -q "$corpus" -o "$out")
    [ -n "${MEMORY:-}" ] && args+=(--memory "$MEMORY")
    /usr/bin/time -f "%e %M" -o "$SCALE/time" "$QUARRY" "${args[@]}" > /dev/null &
    tpid=$!
    anon=0 file=0
    while kill -0 "$tpid" 2> /dev/null; do
        qpid=$(pgrep -P "$tpid" quarry || true)
        if [ -n "$qpid" ] && [ -r "/proc/$qpid/status" ]; then
            a=$(awk '/RssAnon/ {print $2}' "/proc/$qpid/status" 2> /dev/null || echo 0)
            f=$(awk '/RssFile/ {print $2}' "/proc/$qpid/status" 2> /dev/null || echo 0)
            [ "${a:-0}" -gt "$anon" ] && anon=$a
            [ "${f:-0}" -gt "$file" ] && file=$f
        fi
        sleep 0.5
    done
    wait "$tpid"
    read -r secs rss < "$SCALE/time"
    t0=$(date +%s%N)
    "$QUARRY" stats -i "$out" > /dev/null
    open_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    # Twice: the first warms the page cache; the second is quoted.
    "$QUARRY" bench -i "$out" --queries "$queries" > /dev/null 2> /dev/null
    line=$("$QUARRY" bench -i "$out" --queries "$queries" 2>&1 > /dev/null | tail -1)
    p50=$(echo "$line" | awk '{for (i = 1; i < NF; i++) if ($i == "p50_us") print $(i + 1)}')
    p99=$(echo "$line" | awk '{for (i = 1; i < NF; i++) if ($i == "p99_us") print $(i + 1)}')
    printf '| %s | %s MiB | %s s | %.0f | %d MiB | %d / %d MiB | %s MiB | %d ms | %s µs | %s µs |\n' \
        "$n" "$(( $(stat -c %s "$corpus") >> 20 ))" "$secs" "$(echo "$n / $secs" | bc -l)" \
        "$(( rss >> 10 ))" "$(( anon >> 10 ))" "$(( file >> 10 ))" "$(( $(stat -c %s "$out") >> 20 ))" \
        "$open_ms" "$p50" "$p99"
done
