//! `quarry search`: runs one query and prints its hits (text or JSON
//! lines), its explanations, its expansions and, when it finds too little,
//! a corrected query.

use std::io::{self, Write};

use quarry::{Error, Explanation, IndexSet, SearchOptions};

use crate::output::{clean, display_width, ColorChoice, Style};
use crate::Failure;
use crate::Outcome;

/// Characters of body text shown per hit.
const SNIPPET_CHARS: usize = 160;

/// Expansion words listed in the human report of a pattern.
const WORDS_SHOWN: usize = 8;

/// How `search` prints.
pub enum Output {
    Text(Style),
    Json,
    Count,
}

/// A query error with a caret line under the bytes at fault.
fn query_failure(text: &str, e: Error) -> Failure {
    let Error::QuerySyntax(syntax) = &e else {
        return Failure::from(e);
    };
    let shown = clean(&text.replace(['\n', '\r', '\t'], " "));
    let start = syntax.span.start.min(text.len());
    let end = syntax.span.end.clamp(start, text.len());
    let col = text.get(..start).map_or(0, display_width);
    let width = text.get(start..end).map_or(1, display_width).max(1);
    Failure::Message(format!(
        "{e}\n  {shown}\n  {}{}",
        " ".repeat(col),
        "^".repeat(width)
    ))
}

/// The index files of a set, for messages.
pub fn describe(set: &IndexSet) -> String {
    let paths: Vec<String> = set
        .members()
        .iter()
        .map(|m| m.path().display().to_string())
        .collect();
    paths.join(", ")
}

pub fn run(
    index: &IndexSet,
    text: &str,
    options: &SearchOptions,
    output: Output,
    explain: bool,
) -> Result<Outcome, Failure> {
    let query = index
        .parse_query_with(text, options)
        .map_err(|e| query_failure(text, e))?;
    if query.is_empty() {
        return Err(Failure::Message(format!(
            "the query {text:?} has no searchable words (runs of letters or digits, shorter than {} bytes)",
            quarry::analysis::MAX_TOKEN_BYTES
        )));
    }
    if let Output::Count = output {
        let (n, expansions) = index.count_with(&query, options)?;
        for e in expansions.iter().filter(|e| e.truncated()) {
            eprintln!("quarry: note: {}", clean(&expansion_line(e)));
        }
        writeln!(io::stdout().lock(), "{n}")?;
        return Ok(if n > 0 {
            Outcome::Matched
        } else {
            Outcome::NoMatch
        });
    }
    let (json, style) = match output {
        Output::Text(style) => (false, style),
        _ => (true, Style::new(ColorChoice::Never)),
    };
    // The parsed query runs as is, and each hit's stored document is read
    // once, below (Index::search would parse again and read id and title).
    let (hits, expansions) = index.top_doc_ids_with_expansions(&query, options)?;
    let suggestion = if hits.len() < options.limit {
        index.did_you_mean(text, options)?
    } else {
        None
    };
    let mut terms = query.positive_terms();
    for e in &expansions {
        terms.extend(e.terms.iter().cloned());
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    if !json {
        writeln!(
            out,
            "{}",
            style.dim(&clean(&format!(
                "query: {}  ({} documents in {})",
                query,
                index.doc_count(),
                describe(index)
            )))
        )?;
        for e in &expansions {
            writeln!(out, "{}", style.dim(&clean(&expansion_line(e))))?;
        }
    }
    for (i, &(doc_id, score)) in hits.iter().enumerate() {
        let rank = options.offset + i + 1;
        // One store read per hit: id, title and body together.
        let doc = index.document(doc_id)?;
        let snippet = quarry::snippet::snippet(index.analyzer(), &doc.body, &terms, SNIPPET_CHARS);
        let explanation = if explain {
            index.explain(&query, doc_id, options)?
        } else {
            None
        };
        if json {
            let highlights: Vec<[usize; 2]> = snippet
                .highlights
                .iter()
                .map(|r| [r.start, r.end])
                .collect();
            let mut line = serde_json::json!({
                "rank": rank,
                "score": score,
                "id": doc.id,
                "title": doc.title,
                "doc": doc_id,
                "snippet": snippet.text,
                "highlights": highlights,
            });
            if let Some(e) = &explanation {
                line["explain"] = explanation_json(e);
            }
            writeln!(out, "{line}")?;
        } else {
            writeln!(
                out,
                "{:>3}. {}  {}",
                rank,
                style.score(&format!("{score:.4}")),
                style.id(&clean(&doc.id))
            )?;
            if !doc.title.is_empty() {
                let title = quarry::snippet::snippet(index.analyzer(), &doc.title, &terms, 200);
                writeln!(out, "     {}", style.title(&title))?;
            }
            if !snippet.text.is_empty() {
                writeln!(out, "     {}", style.snippet(&snippet))?;
            }
            if let Some(e) = &explanation {
                for line in e.to_lines() {
                    writeln!(out, "       {}", style.dim(&clean(&line)))?;
                }
            }
        }
    }
    if !json && hits.is_empty() {
        if options.offset > 0 {
            // Past the last page: say how many there are.
            let (n, _) = index.count_with(&query, options)?;
            if n > 0 {
                writeln!(
                    out,
                    "no hits on this page: {n} documents match, fewer than --offset {} + 1",
                    options.offset
                )?;
                out.flush()?;
                return Ok(Outcome::Matched);
            }
        }
        writeln!(out, "no documents match")?;
    }
    if let Some(s) = &suggestion {
        if json {
            let line = serde_json::json!({
                "did_you_mean": s.text,
                "replacements": s.replacements,
            });
            writeln!(out, "{line}")?;
        } else {
            out.flush()?;
            eprintln!("did you mean: {}", clean(&s.text));
        }
    }
    out.flush()?;
    Ok(if hits.is_empty() {
        Outcome::NoMatch
    } else {
        Outcome::Matched
    })
}

/// `expanded gov* to 3 words (government, governor, govern)`, and the cap;
/// `zzq* matched no word in the index` when there is nothing to list.
fn expansion_line(e: &quarry::Expansion) -> String {
    if e.words.is_empty() {
        return format!("{} matched no word in the index", e.pattern);
    }
    let mut words: Vec<&str> = e
        .words
        .iter()
        .take(WORDS_SHOWN)
        .map(String::as_str)
        .collect();
    if e.words.len() > WORDS_SHOWN {
        words.push("…");
    }
    let mut line = format!(
        "expanded {} to {} word{} ({})",
        e.pattern,
        e.words.len(),
        if e.words.len() == 1 { "" } else { "s" },
        words.join(", ")
    );
    if e.truncated() {
        line.push_str(&format!(
            "; {} words matched, the {} most frequent kept (--max-expansions)",
            e.matched,
            e.words.len()
        ));
    }
    line
}

fn explanation_json(e: &Explanation) -> serde_json::Value {
    let mut v = serde_json::json!({
        "score": e.score,
        "description": e.description,
    });
    if let Some(b) = &e.bm25 {
        v["bm25"] = serde_json::json!({
            "term": b.term,
            "field": b.field.name(),
            "idf": b.idf,
            "doc_freq": b.doc_freq,
            "doc_count": b.doc_count,
            "tf": b.tf,
            "field_len": b.field_len,
            "avg_field_len": b.avg_field_len,
            "k1": b.k1,
            "b": b.b,
            "boost": b.boost,
        });
    }
    if !e.children.is_empty() {
        v["children"] = e.children.iter().map(explanation_json).collect();
    }
    v
}
