//! Analysis of parsed queries: what the tree holds and how it prints.

use super::*;

fn q(text: &str, op: Operator) -> String {
    Query::parse(text, &Analyzer::default(), op)
        .unwrap()
        .to_string()
}

#[test]
fn words_are_analyzed_and_operators_kept() {
    assert_eq!(q("Running, runs; RUN! Modi", Operator::Or), "run modi");
    assert_eq!(q("putin modi", Operator::And), "+putin +modi");
    assert_eq!(q("putin -modi", Operator::Or), "putin -modi");
    assert_eq!(q("putin NOT modi", Operator::Or), "putin -modi");
    assert_eq!(q("+putin modi", Operator::Or), "+putin modi");
    assert_eq!(q("putin OR vladimir", Operator::And), "putin vladimir");
    assert_eq!(q("title:Putin", Operator::Or), "title:putin");
    assert_eq!(q("putin^2 modi", Operator::Or), "putin^2 modi");
    assert_eq!(q("(a OR b) AND c", Operator::Or), "+(a b) +c");
}

#[test]
fn phrases_prefixes_and_fuzzy_words() {
    assert_eq!(
        q("\"Prime Ministers\"~2 putin", Operator::Or),
        "\"prime minist\"~2 putin"
    );
    assert_eq!(q("“prime minister”", Operator::Or), "\"prime minist\"");
    assert_eq!(q("Puti*", Operator::Or), "puti*");
    assert_eq!(q("Goverment~1", Operator::Or), "goverment~1");
    assert_eq!(q("putin~0", Operator::Or), "putin");
    // A word the analyzer splits is a phrase of its parts.
    assert_eq!(q("e-mail", Operator::Or), "\"e mail\"");
}

#[test]
fn nothing_searchable_is_empty_and_literal_mode_reads_words() {
    let a = Analyzer::default();
    assert!(Query::parse("  ?!—", &a, Operator::Or).unwrap().is_empty());
    let lit = Query::parse_with("putin -modi \"(x", &a, Operator::Or, true).unwrap();
    assert_eq!(lit.to_string(), "putin modi x");
}

#[test]
fn malformed_queries_are_errors_with_spans() {
    let a = Analyzer::default();
    for (text, at) in [("a AND", 2), ("(a", 0), ("\"a", 0), ("w~3", 1)] {
        match Query::parse(text, &a, Operator::Or) {
            Err(Error::QuerySyntax(e)) => assert!(e.span.start <= at + 1, "{text}: {e}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}
