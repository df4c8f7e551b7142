//! The query language end to end, against a brute-force evaluator written
//! here from the documented semantics (BM25 per (term, field), exact and
//! sloppy phrases, boolean clauses, boosts), independently of the engine.
//!
//! Over random corpora and random query trees (built directly as
//! [`Query`] values, parsed from query text, and long flat disjunctions)
//! it checks that pruned and exhaustive evaluation agree bit for bit, that
//! both agree with the brute force (ties within rounding may reorder),
//! that `count` is the number of matching documents, that paging returns
//! the right ranks, and that `explain` reproduces each hit's score from
//! the documented BM25 inputs.

mod util;

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use quarry::query::{BoolQuery, ExpansionKind, ExpansionQuery, Fields, PhraseQuery, TermQuery};
use quarry::{Bm25, Explanation, Field, Index, Operator, Query, SearchOptions};
use quarry_index::IndexBuilder;
use util::Rng;

#[path = "query_language/brute.rs"]
mod brute;
#[path = "query_language/check.rs"]
mod check;
#[path = "query_language/corpus.rs"]
mod corpus;

use brute::*;
use check::*;
use corpus::*;

// ---------------------------------------------------------------------------
// Random query trees

/// Word `w` of [`VOCAB`]; `ABSENT` past its end.
fn term_of(w: usize) -> String {
    VOCAB.get(w).copied().unwrap_or(ABSENT).to_string()
}

/// Phrase words: the first seven of [`VOCAB`], now and then `ABSENT`.
fn phrase_term_of(w: usize) -> String {
    term_of(if w < 7 { w } else { VOCAB.len() })
}

fn fields() -> impl Strategy<Value = Fields> {
    prop_oneof![
        4 => Just(Fields::ALL),
        1 => Just(Fields::only(Field::Title)),
        1 => Just(Fields::only(Field::Body)),
    ]
}

fn boost() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => Just(1.0),
        1 => Just(0.5),
        1 => Just(2.0),
        1 => Just(3.25),
        1 => Just(0.0),
    ]
}

fn term_leaf() -> impl Strategy<Value = Query> {
    // 14 common-to-rarer words, and now and then one no document holds.
    (0usize..15, fields(), boost()).prop_map(|(w, fields, boost)| {
        Query::Term(TermQuery {
            term: term_of(w),
            fields,
            boost,
        })
    })
}

fn phrase_leaf() -> impl Strategy<Value = Query> {
    (
        proptest::collection::vec(
            (0usize..7, prop_oneof![5 => Just(0u32), 1 => Just(1u32)]),
            2..=3,
        ),
        prop_oneof![2 => Just(0u32), 1 => 1u32..=3],
        fields(),
        boost(),
    )
        .prop_map(|(words, slop, fields, boost)| {
            let mut at = 0;
            let terms = words
                .iter()
                .enumerate()
                .map(|(i, &(w, gap))| {
                    if i > 0 {
                        at += 1 + gap;
                    }
                    (phrase_term_of(w), at)
                })
                .collect();
            Query::Phrase(PhraseQuery {
                terms,
                slop,
                fields,
                boost,
            })
        })
}

fn expansion_leaf() -> impl Strategy<Value = Query> {
    let prefix =
        proptest::sample::select(vec!["s", "st", "c", "ca", "r", "w", "d", "b", "sk", "zz"])
            .prop_map(|p| (ExpansionKind::Prefix, p));
    let fuzzy = proptest::sample::select(vec!["cot", "dgo", "fsh", "moom", "sta", "rian", "sun"])
        .prop_map(|p| (ExpansionKind::Fuzzy(1), p));
    (prop_oneof![prefix, fuzzy], fields(), boost()).prop_map(|((kind, pattern), fields, boost)| {
        Query::Expansion(ExpansionQuery {
            kind,
            pattern: pattern.to_string(),
            fields,
            boost,
        })
    })
}

fn query_tree() -> impl Strategy<Value = Query> {
    let leaf = prop_oneof![6 => term_leaf(), 2 => phrase_leaf(), 1 => expansion_leaf()];
    leaf.prop_recursive(3, 24, 5, |inner| {
        (
            proptest::collection::vec((0u8..6, inner), 0..5),
            prop_oneof![4 => Just(1.0), 1 => Just(2.0), 1 => Just(0.5)],
        )
            .prop_map(|(clauses, boost)| {
                let mut b = BoolQuery {
                    boost,
                    ..BoolQuery::default()
                };
                for (occur, q) in clauses {
                    match occur {
                        0 | 1 => b.must.push(q),
                        5 => b.must_not.push(q),
                        _ => b.should.push(q),
                    }
                }
                Query::Bool(b)
            })
    })
}

fn options_strategy() -> impl Strategy<Value = (usize, usize, f64, f64, (f64, f64))> {
    (
        prop_oneof![Just(1usize), Just(10), 1usize..50],
        prop_oneof![2 => Just(0usize), 1 => 1usize..20],
        prop_oneof![4 => Just(1.2), 1 => Just(0.0), 4 => 0.0f64..3.0],
        prop_oneof![4 => Just(0.75), 1 => Just(0.0), 1 => Just(1.0), 4 => 0.0f64..=1.0],
        (
            prop_oneof![Just(1.0), Just(0.5), Just(3.0)],
            prop_oneof![Just(1.0), Just(0.0), Just(2.0)],
        ),
    )
}

#[test]
fn vocabulary_analyzes_to_itself() {
    let a = quarry::analysis::Analyzer::default();
    for w in VOCAB.iter().chain([&ABSENT]) {
        assert_eq!(a.normalize(w), *w);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random trees of terms, phrases and boolean clauses.
    #[test]
    fn query_trees_match_brute_force(
        seed in any::<u64>(),
        n in 300usize..2000,
        queries in proptest::collection::vec(query_tree(), 6),
        (k, offset, k1, b, boosts) in options_strategy(),
    ) {
        let c = corpus(vocab(), seed, n);
        for q in &queries {
            check_query(&c, q, &opts(k, offset, k1, b, boosts, true))?;
        }
    }
}

// ---------------------------------------------------------------------------
// Query text

/// Query forms, `$a` to `$d` standing for four distinct words.
const FORMS: &[&str] = &[
    "$a",
    "+$a +$b",
    "+$a $b $c",
    "$a $b -$c",
    "\"$a $b\" $c",
    "title:$a $b",
    "body:$a title:$b $c",
    "$a^2 $b",
    "$a^0.5 $b^3 -$d",
    "($a OR $b) AND $c",
    "$a AND $b OR $c",
    "$a OR $b AND $c",
    "\"$a $c\"~1",
    "\"$a $b\"~2 $c",
    "\"$a $b $c\"~3 $a",
    "body:\"$a $b\"~2 title:$c",
    "$a NOT $b",
    "$a AND NOT $b",
    "-$a $b",
    "$a $a $b",
    "\"$a $a\" $b",
    "\"$a $a\"~2 $b",
    "($a ($b -$c)) $d",
    "(+$a ($b OR ($c AND $d)))",
    "($a $b)^2 $c",
    "+($a OR $b)^0.5 -($c $d)",
    "title:($a $b)^3 $d",
    "(+$a -$b) OR (\"$c $d\"~2)^1.5",
    "+$a +\"$b $c\"~1 -$d",
    "($a AND ($b OR \"$c $d\"))^2 OR $d^0.5",
    "$a $b $c $d",
    "+$a +$b +$c -$d",
    "s* $a",
    "+$a ca*^2",
    "$a~1 $b",
    "title:s* -$c",
    "(r* OR $b) AND $c",
    "+\"$a $b\"~1 (st* $c~1)^2",
];

fn fill(form: &str, words: &[usize]) -> String {
    form.replace("$a", VOCAB[words[0]])
        .replace("$b", VOCAB[words[1]])
        .replace("$c", VOCAB[words[2]])
        .replace("$d", VOCAB[words[3]])
}

/// Four distinct word ids, mostly among the common ones.
fn four_words() -> impl Strategy<Value = Vec<usize>> {
    proptest::sample::subsequence((0..10).collect::<Vec<usize>>(), 4).prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Every form of the table, parsed with either default operator.
    #[test]
    fn parsed_queries_match_brute_force(
        seed in any::<u64>(),
        n in 300usize..1500,
        words in four_words(),
        and in any::<bool>(),
        (k, offset, k1, b, boosts) in options_strategy(),
    ) {
        let c = corpus(vocab(), seed, n);
        let operator = if and { Operator::And } else { Operator::Or };
        for form in FORMS {
            let text = fill(form, &words);
            let q = Query::parse(&text, c.index.analyzer(), operator)
                .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
            let o = SearchOptions { operator, ..opts(k, offset, k1, b, boosts, true) };
            check_query(&c, &q, &o).map_err(|e| TestCaseError::fail(format!("text {text:?}: {e}")))?;
        }
    }
}

fn term(t: &str, fields: Fields, boost: f64) -> Query {
    Query::Term(TermQuery {
        term: t.to_string(),
        fields,
        boost,
    })
}

fn bool_query(must: Vec<Query>, should: Vec<Query>, must_not: Vec<Query>, boost: f64) -> Query {
    Query::Bool(BoolQuery {
        must,
        should,
        must_not,
        boost,
    })
}

/// The parser reads the simple forms as documented (so the brute force of
/// the parsed trees above checks the intended queries).
#[test]
fn simple_forms_parse_as_documented() {
    let a = quarry::analysis::Analyzer::default();
    let all = Fields::ALL;
    let t = |w: &str| term(w, all, 1.0);
    let cases: Vec<(&str, Operator, Query)> = vec![
        ("cat", Operator::Or, t("cat")),
        (
            "+cat +dog",
            Operator::Or,
            bool_query(vec![t("cat"), t("dog")], vec![], vec![], 1.0),
        ),
        (
            "+cat dog fish",
            Operator::Or,
            bool_query(vec![t("cat")], vec![t("dog"), t("fish")], vec![], 1.0),
        ),
        (
            "cat dog -fish",
            Operator::Or,
            bool_query(vec![], vec![t("cat"), t("dog")], vec![t("fish")], 1.0),
        ),
        (
            "cat dog -fish",
            Operator::And,
            bool_query(vec![t("cat"), t("dog")], vec![], vec![t("fish")], 1.0),
        ),
        (
            "title:cat dog",
            Operator::Or,
            bool_query(
                vec![],
                vec![term("cat", Fields::only(Field::Title), 1.0), t("dog")],
                vec![],
                1.0,
            ),
        ),
        (
            "cat^2 dog",
            Operator::Or,
            bool_query(vec![], vec![term("cat", all, 2.0), t("dog")], vec![], 1.0),
        ),
        (
            "\"cat fish\"~1",
            Operator::Or,
            Query::Phrase(PhraseQuery {
                terms: vec![("cat".into(), 0), ("fish".into(), 1)],
                slop: 1,
                fields: all,
                boost: 1.0,
            }),
        ),
        (
            "\"cat dog\" fish",
            Operator::Or,
            bool_query(
                vec![],
                vec![
                    Query::Phrase(PhraseQuery {
                        terms: vec![("cat".into(), 0), ("dog".into(), 1)],
                        slop: 0,
                        fields: all,
                        boost: 1.0,
                    }),
                    t("fish"),
                ],
                vec![],
                1.0,
            ),
        ),
        (
            "(cat dog)^2",
            Operator::Or,
            bool_query(vec![], vec![t("cat"), t("dog")], vec![], 2.0),
        ),
    ];
    for (text, op, want) in cases {
        let got = Query::parse(text, &a, op).unwrap();
        assert_eq!(got, want, "{text:?} with {op:?}");
    }
}

// ---------------------------------------------------------------------------
// Long disjunctions

/// About 400 made-up words (consonant, vowel, consonant, vowel) that
/// analyze to themselves.
fn long_vocab() -> Vec<String> {
    let a = quarry::analysis::Analyzer::default();
    let (cs, vs) = ("bdfgklmnprtvz", "aiou");
    let mut out = Vec::new();
    for c1 in cs.chars() {
        for v1 in vs.chars() {
            for c2 in cs.chars() {
                for v2 in ["a", "o"] {
                    let w = format!("{c1}{v1}{c2}{v2}");
                    if a.normalize(&w) == w.as_str() && out.len() < 400 {
                        out.push(w);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn long_vocabulary_analyzes_to_itself() {
    assert_eq!(long_vocab().len(), 400);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// 50 to 300 distinct terms (from 104 (term, field) scorers on: the
    /// windowed term-at-a-time path; below: block-max MaxScore), with
    /// fields, boosts and excluded terms.
    #[test]
    fn long_disjunctions_match_brute_force(
        seed in any::<u64>(),
        n in 500usize..3000,
        picks in proptest::collection::vec((0usize..420, fields(), boost()), 50..300),
        excluded in proptest::collection::vec((0usize..60, fields()), 0..3),
        group_boost in prop_oneof![3 => Just(1.0), 1 => Just(1.5)],
        (k, offset, k1, b, boosts) in options_strategy(),
    ) {
        let words = long_vocab();
        let c = corpus(words.clone(), seed, n);
        let name = |w: usize| words.get(w).cloned().unwrap_or_else(|| format!("{ABSENT}{w}"));
        let mut seen = std::collections::HashSet::new();
        let should: Vec<Query> = picks
            .iter()
            .filter(|p| seen.insert(p.0))
            .map(|&(w, f, bst)| term(&name(w), f, bst))
            .collect();
        let must_not: Vec<Query> = excluded.iter().map(|&(w, f)| term(&name(w), f, 1.0)).collect();
        let q = bool_query(vec![], should, must_not, group_boost);
        let o = opts(k, offset, k1, b, boosts, true);
        check_query(&c, &q, &o)?;
        // The same words as plain text (every field, boost 1).
        let text: Vec<&str> = picks.iter().filter_map(|p| words.get(p.0).map(String::as_str)).collect();
        let mut text = text.join(" ");
        for &(w, _) in &excluded {
            text.push_str(&format!(" -{}", words[w]));
        }
        let parsed = Query::parse(&text, c.index.analyzer(), Operator::Or).unwrap();
        check_query(&c, &parsed, &o)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Prefixes of about a hundred terms (a windowed max: filled a window
    /// at a time, passed over under the bar with its siblings' bounds,
    /// looked up child by child when probed sparsely) beside frequent and
    /// rare words, phrases, fields, boosts and exclusions, over corpora
    /// that span several windows.
    #[test]
    fn many_term_expansions_beside_words_match_brute_force(
        seed in any::<u64>(),
        n in 3000usize..12000,
        form in 0usize..8,
        prefixes in proptest::sample::subsequence(vec!["b", "d", "f", "g", "k", "ba"], 2),
        picks in proptest::collection::vec(0usize..400, 3),
        (k, offset, k1, b, boosts) in options_strategy(),
    ) {
        let words = long_vocab();
        let c = corpus(words.clone(), seed, n);
        let (p, p2) = (prefixes[0], prefixes[1]);
        let [w1, w2, w3] = [0, 1, 2].map(|i| words[picks[i]].as_str());
        let text = match form {
            0 => format!("{p}* {w1}"),
            1 => format!("{p}* {w1} {w2}"),
            2 => format!("{p}*^2 title:{w1} -{w3}"),
            3 => format!("+{w1} {p}* {w2}"),
            4 => format!("({p}* {w1}) AND {w2}"),
            5 => format!("{p}* {p2}* {w1}"),
            6 => format!("{p}* \"{w1} {w2}\""),
            _ => format!("body:{p}* {w1}^3 title:{w2}"),
        };
        let q = Query::parse(&text, c.index.analyzer(), Operator::Or).unwrap();
        let o = opts(k, offset, k1, b, boosts, true);
        check_query(&c, &q, &o)?;
    }
}

/// A found case: bounding an exclusion inside an optional clause moved its
/// inner cursor onto an excluded document, which then counted as a match
/// with pruning on (`+title:sun (+body:moon -"cat cat") cat`).
#[test]
fn bounding_an_exclusion_keeps_excluded_documents_out() {
    let (cat, dog, sun, moon) = (0, 1, 6, 7);
    // d0 fills the top 1; d1 holds moon (admissible); d2 holds moon but
    // also "cat cat", which excludes that clause there.
    let docs: Vec<Doc> = vec![
        [vec![sun], vec![dog]],
        [vec![dog], vec![moon]],
        [vec![sun], vec![moon, cat, cat]],
    ];
    let c = build(vocab(), docs);
    let q = Query::parse(
        "+title:sun (+body:moon -\"cat cat\") cat",
        c.index.analyzer(),
        quarry::Operator::Or,
    )
    .unwrap();
    for k in [1, 2, 3] {
        let o = SearchOptions {
            limit: k,
            ..SearchOptions::default()
        };
        check_query(&c, &q, &o).unwrap();
    }
}
