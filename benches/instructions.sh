#!/usr/bin/env bash
# Instructions executed per query inside query evaluation, counted by
# callgrind: a deterministic measure of CPU work, unlike wall-clock time on
# a shared machine. It leaves out cache misses, so confirm a change with
# benches/vs_tantivy.sh too.
#
#   benches/instructions.sh INDEX QUERIES [quarry bench options...]
#
# e.g. benches/instructions.sh mix.qidx terms-2.txt --and
#
# Needs valgrind. Runs target/release/quarry (built here first) under
# callgrind, collecting only inside `Index::top_doc_ids` (stored fields,
# parsing and output excluded), and prints "N instructions/query".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 INDEX QUERIES [quarry bench options...]" >&2; exit 2; }
index=$1
queries=$2
shift 2
command -v valgrind > /dev/null || { echo "$0: needs valgrind" >&2; exit 2; }

cargo build --release --manifest-path "$ROOT/Cargo.toml" -p quarry-cli >&2
quarry=$ROOT/target/release/quarry
# Collect inside the first of top_docs, top_doc_ids and run that is a
# function of its own (inlining varies between builds).
symbol=
for f in top_docs top_doc_ids run; do
    symbol=$(nm -C "$quarry" | grep -o "quarry::search::<impl quarry::index::Index>::$f\$" | head -1 || true)
    [ -z "$symbol" ] || break
done
[ -n "$symbol" ] || { echo "$0: no query entry point found in $quarry" >&2; exit 2; }

out=$(mktemp)
trap 'rm -f "$out" "$out.log"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "--toggle-collect=$symbol" \
    "$quarry" bench -i "$index" --queries "$queries" "$@" > /dev/null 2> "$out.log"
n=$(grep -c . "$queries")
grep 'refs:' "$out.log" | awk -v n="$n" '{gsub(",", "", $4); printf "%.0f instructions/query\n", $4 / n}'
