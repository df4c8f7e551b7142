#!/usr/bin/env bash
# The cost of `quarry index --update` against a full build: a folder of
# FILES text files (mix.jsonl documents of 2,000 bytes or more, 50
# subfolders), ROUNDS interleaved rounds of a full build, an update after
# one file changed, and an update after nothing changed; prints the median
# wall times, their ratios to the full build, and whether each update is
# byte-identical to a full build of the same files.
#
#   benches/update.sh              (FILES=5000 ROUNDS=5; corpus as vs_tantivy.sh builds it)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$ROOT/target/vs-tantivy}
FILES=${FILES:-5000}
ROUNDS=${ROUNDS:-5}
CORPUS=$WORK/corpora/mix.jsonl
[ -s "$CORPUS" ] || { echo "run benches/vs_tantivy.sh once first (it builds the corpus)" >&2; exit 2; }
cargo build --release --manifest-path "$ROOT/Cargo.toml" -p quarry-cli >&2
QUARRY=$ROOT/target/release/quarry
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

python3 - "$CORPUS" "$OUT/d" "$FILES" <<'PY'
import json, os, sys
src, out, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = 0
with open(src, encoding="utf-8") as f:
    for line in f:
        d = json.loads(line)
        if len(d.get("body") or "") < 2000:
            continue
        sub = os.path.join(out, "%02d" % (n % 50))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "%05d.txt" % n), "w", encoding="utf-8") as g:
            g.write((d.get("title") or "") + "\n" + d["body"])
        n += 1
        if n == want:
            break
PY

# secs COMMAND...: the wall seconds of one run.
secs() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

: > "$OUT/runs"
changed=$(find "$OUT/d" -name '*.txt' | sort | sed -n 7p)
for r in $(seq "$ROUNDS"); do
    echo "full $(secs "$QUARRY" index -q "$OUT/d" -o "$OUT/i.qidx")" >> "$OUT/runs"
    echo "appended in round $r" >> "$changed"
    echo "one $(secs "$QUARRY" index -q --update "$OUT/i.qidx" "$OUT/d")" >> "$OUT/runs"
    echo "none $(secs "$QUARRY" index -q --update "$OUT/i.qidx" "$OUT/d")" >> "$OUT/runs"
    "$QUARRY" index -q "$OUT/d" -o "$OUT/fresh.qidx" > /dev/null
    cmp -s "$OUT/i.qidx" "$OUT/fresh.qidx" || { echo "round $r: the update differs from a full build" >&2; exit 1; }
done

median() { grep "^$1 " "$OUT/runs" | awk '{print $2}' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
full=$(median full)
echo "$FILES files, $(du -sh "$OUT/d" | cut -f1), $ROUNDS rounds, medians; every update byte-identical to a full build"
printf '%-32s %8.3f s\n' "full build" "$full"
for k in one none; do
    m=$(median $k)
    label=$([ $k = one ] && echo "update, one file changed" || echo "update, nothing changed")
    printf '%-32s %8.3f s  %5.1f%% of the full build\n' "$label" "$m" "$(echo "100 * $m / $full" | bc -l)"
done
