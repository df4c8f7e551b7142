//! The checks one query goes through: pruning, the brute force, count,
//! paging and explanations.

use super::*;

/// Relative tolerance between the engine's scores and the brute force's.
pub(super) const TOL: f64 = 1e-9;

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1e-300)
}

pub(super) fn opts(
    k: usize,
    offset: usize,
    k1: f64,
    b: f64,
    boosts: (f64, f64),
    pruning: bool,
) -> SearchOptions {
    SearchOptions {
        limit: k,
        offset,
        bm25: Bm25 { k1, b },
        title_boost: boosts.0,
        body_boost: boosts.1,
        pruning,
        ..SearchOptions::default()
    }
}

/// `got` is ranks `offset + 1 ..` of `all` (the brute force's full
/// ranking), up to `limit`; documents whose exact scores tie within
/// rounding may trade places.
pub(super) fn same_ranking(
    got: &[(u32, f64)],
    all: &[(u32, f64)],
    offset: usize,
    limit: usize,
    ctx: &str,
) -> Result<(), TestCaseError> {
    let want = &all[offset.min(all.len())..(offset + limit).min(all.len())];
    prop_assert_eq!(
        got.len(),
        want.len(),
        "{}: {} hits, brute force {} (of {} matching)",
        ctx,
        got.len(),
        want.len(),
        all.len()
    );
    let exact: HashMap<u32, f64> = all.iter().copied().collect();
    let mut seen = std::collections::HashSet::new();
    for (r, (&(doc, score), &(wdoc, wscore))) in got.iter().zip(want).enumerate() {
        prop_assert!(seen.insert(doc), "{}: doc {} returned twice", ctx, doc);
        prop_assert!(
            close(score, wscore),
            "{}: rank {}: doc {} score {} vs brute force doc {} score {}",
            ctx,
            offset + r,
            doc,
            score,
            wdoc,
            wscore
        );
        if doc != wdoc {
            let e = exact.get(&doc).copied();
            prop_assert!(
                e.is_some_and(|e| close(e, wscore)),
                "{}: rank {}: doc {} (exact score {:?}) where the brute force has doc {} ({}): not a tie",
                ctx,
                offset + r,
                doc,
                e,
                wdoc,
                wscore
            );
        }
    }
    // Equal scores rank the lower document first.
    for w in got.windows(2) {
        prop_assert!(
            w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0),
            "{}: {:?} then {:?} out of order",
            ctx,
            w[0],
            w[1]
        );
    }
    Ok(())
}

/// A positive leaf of the query as explanations name it: (terms joined by
/// spaces, field, total boost, slop for phrases).
pub(super) struct ExpectedLeaf {
    pub(super) term: String,
    pub(super) field: Field,
    pub(super) boost: f64,
    pub(super) phrase: Option<PhraseQuery>,
}

pub(super) fn expected_leaves(
    q: &Query,
    boost: f64,
    o: &SearchOptions,
    words: &[&str],
    out: &mut Vec<ExpectedLeaf>,
) {
    let fb = |f: Field| match f {
        Field::Title => o.title_boost,
        Field::Body => o.body_boost,
    };
    match q {
        Query::Term(t) => {
            for field in t.fields.iter() {
                out.push(ExpectedLeaf {
                    term: t.term.clone(),
                    field,
                    boost: boost * t.boost * fb(field),
                    phrase: None,
                });
            }
        }
        Query::Phrase(p) => {
            for field in p.fields.iter() {
                out.push(ExpectedLeaf {
                    term: p
                        .terms
                        .iter()
                        .map(|t| t.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    field,
                    boost: boost * p.boost * fb(field),
                    phrase: Some(p.clone()),
                });
            }
        }
        Query::Expansion(e) => {
            // Any word of the corpus could be among its terms: the
            // word-level inputs are checked all the same.
            for w in words {
                expected_leaves(&term(w, e.fields, e.boost), boost, o, words, out);
            }
        }
        Query::Bool(b) => {
            for c in b.must.iter().chain(&b.should) {
                expected_leaves(c, boost * b.boost, o, words, out);
            }
        }
    }
}

/// Checks one explanation node (recursively) of `doc`'s score.
pub(super) fn check_explanation(
    e: &Explanation,
    doc: usize,
    leaves: &[ExpectedLeaf],
    brute: &Brute<'_>,
    ctx: &str,
) -> Result<(), TestCaseError> {
    let o = brute.o;
    let Some(x) = &e.bm25 else {
        prop_assert!(!e.children.is_empty(), "{}: empty node {:?}", ctx, e);
        if e.description.starts_with("max of") {
            let max = e.children.iter().map(|c| c.score).fold(0.0, f64::max);
            prop_assert!(
                close(max, e.score),
                "{}: {} {} but its best part is {}",
                ctx,
                e.description,
                e.score,
                max
            );
        }
        if e.description.starts_with("sum of") {
            let sum: f64 = e.children.iter().map(|c| c.score).sum();
            prop_assert!(
                close(sum, e.score),
                "{}: {} {} but its parts sum to {}",
                ctx,
                e.description,
                e.score,
                sum
            );
        }
        for c in &e.children {
            check_explanation(c, doc, leaves, brute, ctx)?;
        }
        return Ok(());
    };
    prop_assert!(e.children.is_empty(), "{}: a leaf with parts", ctx);
    // The score from its inputs, by the documented formula.
    let recomputed = bm25(
        x.boost,
        x.idf,
        x.tf,
        f64::from(x.field_len),
        x.avg_field_len,
        Bm25 { k1: x.k1, b: x.b },
    );
    prop_assert!(
        close(recomputed, e.score),
        "{}: leaf {} scores {} but its inputs give {}: {:?}",
        ctx,
        e.description,
        e.score,
        recomputed,
        x
    );
    // The inputs are the documented ones.
    let f = fi(x.field);
    prop_assert_eq!(x.k1, o.bm25.k1);
    prop_assert_eq!(x.b, o.bm25.b);
    prop_assert_eq!(x.doc_count as usize, brute.c.docs.len(), "{}", ctx);
    prop_assert!(close(x.avg_field_len, brute.c.avgdl[f]), "{}: avg len", ctx);
    prop_assert_eq!(
        x.field_len as usize,
        brute.tokens(doc, x.field).len(),
        "{}: {} field length",
        ctx,
        e.description
    );
    let candidates: Vec<&ExpectedLeaf> = leaves
        .iter()
        .filter(|l| l.term == x.term && l.field == x.field && close(l.boost, x.boost))
        .collect();
    prop_assert!(
        !candidates.is_empty(),
        "{}: leaf {} (boost {}) is no leaf of the query",
        ctx,
        e.description,
        x.boost
    );
    let n = brute.n();
    match &candidates[0].phrase {
        None => {
            let w = brute.c.ids[&x.term];
            let df = brute.c.df[f][w];
            prop_assert_eq!(x.doc_freq, df, "{}: {} doc freq", ctx, e.description);
            prop_assert!(close(x.idf, idf(n, f64::from(df))), "{}: idf", ctx);
            prop_assert_eq!(
                x.tf,
                brute.term_tf(doc, x.field, w) as f64,
                "{}: {} tf",
                ctx,
                e.description
            );
        }
        Some(_) => {
            let dfs: Vec<u32> = x
                .term
                .split(' ')
                .map(|t| brute.c.df[f][brute.c.ids[t]])
                .collect();
            prop_assert_eq!(
                x.doc_freq,
                *dfs.iter().min().unwrap(),
                "{}: phrase doc freq",
                ctx
            );
            let idf_sum: f64 = dfs.iter().map(|&d| idf(n, f64::from(d))).sum();
            prop_assert!(
                close(x.idf, idf_sum),
                "{}: phrase idf {} vs {}",
                ctx,
                x.idf,
                idf_sum
            );
            // The same phrase may appear with several slops: one must fit.
            let fits = candidates.iter().any(|l| {
                let p = l.phrase.as_ref().unwrap();
                let slop = if p.slop > 0 {
                    format!("~{}", p.slop)
                } else {
                    String::new()
                };
                e.description.ends_with(&format!("\"{slop}"))
                    && brute
                        .phrase_freq(p, doc, x.field)
                        .is_some_and(|fr| close(fr, x.tf))
            });
            prop_assert!(fits, "{}: phrase leaf {} tf {}", ctx, e.description, x.tf);
        }
    }
    Ok(())
}

/// Every property of one query on one corpus, with one set of options
/// (`base` with pruning on; its `limit` and `offset` are the page).
pub(super) fn check_query(
    c: &Corpus,
    q: &Query,
    base: &SearchOptions,
) -> Result<(), TestCaseError> {
    let ctx = format!("query {q} ({q:?}), k {} offset {}", base.limit, base.offset);
    let pruned = SearchOptions {
        pruning: true,
        ..*base
    };
    let exhaustive = SearchOptions {
        pruning: false,
        ..*base
    };
    let got = c.index.top_doc_ids(q, &pruned).unwrap();
    let full = c.index.top_doc_ids(q, &exhaustive).unwrap();
    // (a) Pruning changes nothing, to the bit.
    prop_assert_eq!(got.len(), full.len(), "{}: pruned vs exhaustive", &ctx);
    for (r, (p, e)) in got.iter().zip(&full).enumerate() {
        prop_assert!(
            p.0 == e.0 && p.1.to_bits() == e.1.to_bits(),
            "{}: rank {}: pruned {:?} vs exhaustive {:?}",
            &ctx,
            r,
            p,
            e
        );
    }
    // (b) Both are the brute force's ranking.
    let brute = Brute { c, o: &pruned };
    let all = brute.ranked(q);
    same_ranking(&got, &all, base.offset, base.limit, &ctx)?;
    // (c) Counting.
    prop_assert_eq!(
        c.index.count(q).unwrap(),
        all.len() as u64,
        "{}: count",
        &ctx
    );
    // (d) Paging: this page is the tail of the first `offset + limit`.
    if base.offset > 0 {
        let first = SearchOptions {
            offset: 0,
            limit: base.offset + base.limit,
            ..pruned
        };
        let longer = c.index.top_doc_ids(q, &first).unwrap();
        let tail = longer.get(base.offset..).unwrap_or(&[]);
        prop_assert_eq!(tail.len(), got.len(), "{}: paging", &ctx);
        for (a, b) in tail.iter().zip(&got) {
            prop_assert!(
                a.0 == b.0 && a.1.to_bits() == b.1.to_bits(),
                "{}: paging: {:?} vs {:?}",
                &ctx,
                a,
                b
            );
        }
    }
    // (e) Explanations.
    let mut leaves = Vec::new();
    let mut words: Vec<&str> = c.ids.keys().map(String::as_str).collect();
    words.sort_unstable();
    expected_leaves(q, 1.0, &pruned, &words, &mut leaves);
    for &(doc, score) in &got {
        let e = c.index.explain(q, doc, &pruned).unwrap();
        prop_assert!(e.is_some(), "{}: no explanation for hit {}", &ctx, doc);
        let e = e.unwrap();
        prop_assert!(
            close(e.score, score),
            "{}: doc {} explained as {} but scored {}\n{}",
            &ctx,
            doc,
            e.score,
            score,
            e.to_lines().join("\n")
        );
        let ctx = format!("{ctx}, explaining doc {doc}:\n{}", e.to_lines().join("\n"));
        check_explanation(&e, doc as usize, &leaves, &brute, &ctx)?;
    }
    Ok(())
}
