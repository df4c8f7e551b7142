//! `quarry bench`: times a file of queries the way the tantivy peer
//! harness does, so the two lines can be compared side by side.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use quarry::{IndexSet, Query, SearchOptions};

use crate::Failure;

/// Largest query file read: far more than any benchmark needs.
const MAX_QUERY_FILE: u64 = 256 << 20;

/// The query file's text: a regular file (not a device or FIFO, which
/// could be endless), at most [`MAX_QUERY_FILE`] bytes.
fn read_queries(path: &Path) -> Result<String, Failure> {
    let fail =
        |why: String| Failure::Message(format!("cannot read query file {}: {why}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    if meta.len() > MAX_QUERY_FILE {
        return Err(fail(format!(
            "{} bytes, more than the {} MiB a query file may hold",
            meta.len(),
            MAX_QUERY_FILE >> 20
        )));
    }
    std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))
}

/// Runs every non-blank line of `queries` against `index`.
///
/// Each query is parsed first (not timed), then timed alone from the
/// parsed query to its top-k document ids (or its count); stored ids are
/// read after all timing.
pub fn run(
    index: &IndexSet,
    queries: &Path,
    options: &SearchOptions,
    count: bool,
) -> Result<(), Failure> {
    let text = read_queries(queries)?;
    let mut parsed: Vec<Query> = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let query = index
            .parse_query(line, options.operator)
            .map_err(|e| Failure::Message(format!("{}:{}: {e}", queries.display(), line_no + 1)))?;
        parsed.push(query);
    }
    if parsed.is_empty() {
        return Err(Failure::Message(format!(
            "{} holds no queries (one per line)",
            queries.display()
        )));
    }
    let mut latencies_us = Vec::with_capacity(parsed.len());
    let mut results: Vec<Vec<(u32, f64)>> = Vec::with_capacity(parsed.len());
    let mut counts: Vec<u64> = Vec::with_capacity(parsed.len());
    let all = Instant::now();
    for query in &parsed {
        let t = Instant::now();
        if count {
            counts.push(index.count_with(query, options)?.0);
        } else {
            results.push(index.top_doc_ids(query, options)?);
        }
        latencies_us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let total = all.elapsed().as_secs_f64();
    let mut out = io::BufWriter::new(io::stdout().lock());
    if count {
        for (qi, n) in counts.iter().enumerate() {
            writeln!(out, "{qi}\tcount\t{n}")?;
        }
    }
    for (qi, hits) in results.iter().enumerate() {
        for (rank, &(doc, score)) in hits.iter().enumerate() {
            let id = index.document(doc)?.id;
            writeln!(out, "{qi}\t{}\t{id}\t{score:.4}", rank + 1)?;
        }
    }
    out.flush()?;
    let summary = Summary::of(&mut latencies_us, total);
    eprintln!("{summary}");
    Ok(())
}

/// The timing line, in the tantivy peer's format and percentile rule.
struct Summary {
    queries: usize,
    total_s: f64,
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
}

impl Summary {
    fn of(latencies_us: &mut [f64], total_s: f64) -> Summary {
        latencies_us.sort_by(f64::total_cmp);
        let n = latencies_us.len();
        let pct = |f: f64| latencies_us[((n as f64 - 1.0) * f) as usize];
        Summary {
            queries: n,
            total_s,
            mean_us: latencies_us.iter().sum::<f64>() / n as f64,
            p50_us: pct(0.5),
            p99_us: pct(0.99),
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "queries {} total {:.3}s mean_us {:.1} p50_us {:.1} p99_us {:.1}",
            self.queries, self.total_s, self.mean_us, self.p50_us, self.p99_us
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_uses_the_peer_percentile_rule() {
        let mut lat: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = Summary::of(&mut lat, 0.5);
        // index (n-1)*f, truncated: p50 -> 49 (value 50), p99 -> 98 (value 99).
        assert_eq!((s.p50_us, s.p99_us, s.mean_us), (50.0, 99.0, 50.5));
        assert_eq!(
            s.to_string(),
            "queries 100 total 0.500s mean_us 50.5 p50_us 50.0 p99_us 99.0"
        );
    }
}
