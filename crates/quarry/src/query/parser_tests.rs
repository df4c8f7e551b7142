use proptest::prelude::*;

use super::*;

const OR: ParseOptions = ParseOptions {
    default_operator: DefaultOperator::Or,
    literal: false,
};
const AND: ParseOptions = ParseOptions {
    default_operator: DefaultOperator::And,
    literal: false,
};
const LIT: ParseOptions = ParseOptions {
    default_operator: DefaultOperator::Or,
    literal: true,
};
const LIT_AND: ParseOptions = ParseOptions {
    default_operator: DefaultOperator::And,
    literal: true,
};

/// `expr` with every span zeroed, to compare trees.
fn unspanned(expr: &Expr) -> Expr {
    match expr {
        Expr::Leaf(leaf) => Expr::Leaf(Leaf {
            span: Span::default(),
            ..leaf.clone()
        }),
        Expr::Bool { clauses, boost, .. } => Expr::Bool {
            clauses: clauses.iter().map(|(o, e)| (*o, unspanned(e))).collect(),
            boost: *boost,
            span: Span::default(),
        },
    }
}

/// Checks that every span in `expr` lies on char boundaries of `text`.
fn check_spans(expr: &Expr, text: &str) {
    let span = expr.span();
    assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
    assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
    if let Expr::Bool { clauses, .. } = expr {
        for (_, e) in clauses {
            check_spans(e, text);
        }
    }
}

fn canonical(text: &str, options: &ParseOptions) -> String {
    match parse(text, options) {
        Ok(expr) => expr.to_string(),
        Err(e) => panic!("{text:?} failed: {e}"),
    }
}

#[test]
fn canonical_forms() {
    let cases: &[(&str, &ParseOptions, &str)] = &[
        // Empty, words, default operator.
        ("", &OR, ""),
        (" \t ", &OR, ""),
        ("a", &OR, "a"),
        ("a", &AND, "a"),
        ("a b", &OR, "a b"),
        ("a b", &AND, "+a +b"),
        ("+a", &OR, "a"),
        ("+a b", &OR, "+a b"),
        ("a -b", &OR, "a -b"),
        ("a -b", &AND, "+a -b"),
        ("a NOT b", &OR, "a -b"),
        ("NOT a b", &OR, "-a b"),
        // AND, OR and precedence.
        ("a AND b", &OR, "+a +b"),
        ("a AND b AND c", &OR, "+a +b +c"),
        ("a OR b", &OR, "a b"),
        ("a OR b", &AND, "a b"),
        ("a OR b OR c", &OR, "a b c"),
        ("a b OR c", &OR, "a (b c)"),
        ("a OR b AND c", &OR, "a (+b +c)"),
        ("a AND b OR c AND d", &OR, "(+a +b) (+c +d)"),
        ("putin OR vladimir modi", &AND, "+(putin vladimir) +modi"),
        ("a AND NOT b", &OR, "+a -b"),
        ("a AND -b", &OR, "+a -b"),
        ("a AND +b", &OR, "+a +b"),
        ("a AND (b OR c)", &OR, "+a +(b c)"),
        ("a and b or not c", &OR, "a and b or not c"),
        // Groups.
        ("(a b) c", &OR, "(a b) c"),
        ("(a)", &OR, "a"),
        ("((a))", &OR, "a"),
        ("a (+b)", &OR, "a b"),
        ("-(a b) c", &OR, "-(a b) c"),
        ("(a b)", &AND, "+a +b"),
        ("a(b)", &OR, "a b"),
        ("(a)-b", &OR, "a -b"),
        // Minus and plus inside words.
        ("e-mail c++ well-known", &OR, "e-mail c++ well-known"),
        ("a -b-c", &OR, "a -b-c"),
        ("-5 x", &OR, "-5 x"),
        // Phrases, slop, curly quotes.
        ("\"new york\"", &OR, "\"new york\""),
        ("\"a b\" \"c d\" e", &OR, "\"a b\" \"c d\" e"),
        ("x\"a b\"", &OR, "x \"a b\""),
        ("\"a b\"~3", &OR, "\"a b\"~3"),
        ("\"a b\"~0", &OR, "\"a b\""),
        ("\u{201C}new york\u{201D}", &OR, "\"new york\""),
        ("\u{201D}a b\u{201C}", &OR, "\"a b\""),
        ("\"a b\u{201D}", &OR, "\"a b\""),
        ("\"say \\\"hi\\\"\"", &OR, "\"say \\\"hi\\\"\""),
        ("\"a\\\\b\"", &OR, "\"a\\\\b\""),
        ("-\"a b\" c", &OR, "-\"a b\" c"),
        // Fields.
        ("title:w", &OR, "title:w"),
        ("body:\"a b\"", &OR, "body:\"a b\""),
        ("title:(a OR b)", &OR, "title:a title:b"),
        ("title:(a b)^2", &OR, "(title:a title:b)^2"),
        ("title:(title:a b)", &OR, "title:a title:b"),
        ("title:pu*", &OR, "title:pu*"),
        ("body:word~1", &OR, "body:word~1"),
        ("-title:a b", &OR, "-title:a b"),
        ("title:AND", &OR, "title:\\AND"),
        ("title\\:x", &OR, "title\\:x"),
        // Boosts.
        ("w^2", &OR, "w^2"),
        ("\"a b\"^1.5", &OR, "\"a b\"^1.5"),
        ("\"a b\"~2^1.5", &OR, "\"a b\"~2^1.5"),
        ("(a b)^0.5", &OR, "(a b)^0.5"),
        ("(a)^2", &OR, "a^2"),
        ("(+a)^2 b", &OR, "a^2 b"),
        ("(a^3)^2", &OR, "(a^3)^2"),
        ("((a b)^3)^2", &OR, "((a b)^3)^2"),
        ("((a b))^2", &OR, "(a b)^2"),
        ("(a OR b)^2", &AND, "(a b)^2"),
        ("(a AND b)^2", &OR, "(+a +b)^2"),
        ("title:(a)^2", &OR, "title:a^2"),
        ("title:w^3", &OR, "title:w^3"),
        ("w~1^2", &OR, "w~1^2"),
        ("w^1e3", &OR, "w^1000"),
        ("w^1000000", &OR, "w^1000000"),
        ("clim*^2", &OR, "clim*^2"),
        // Prefix and fuzzy.
        ("clim*", &OR, "clim*"),
        ("w~", &OR, "w~2"),
        ("w~0 w~1 w~2", &OR, "w~0 w~1 w~2"),
        // Escapes.
        ("a\\:b", &OR, "a\\:b"),
        ("\\(a\\)", &OR, "\\(a\\)"),
        ("\\\"x", &OR, "\\\"x"),
        ("\\-a \\+b", &OR, "\\-a \\+b"),
        ("a\\^2 a\\~", &OR, "a\\^2 a\\~"),
        ("a\\\\b", &OR, "a\\\\b"),
        ("\\AND \\OR \\NOT", &OR, "\\AND \\OR \\NOT"),
        ("\\* a\\* \\**", &OR, "\\* a\\* \\**"),
        ("a\\ b", &OR, "a\\ b"),
        ("\\a", &OR, "a"),
        // Non-ASCII and ordinary punctuation.
        (
            "café \u{201C}crème brûlée\u{201D}",
            &OR,
            "café \"crème brûlée\"",
        ),
        ("yes! a&b a|b x, y.", &OR, "yes! a&b a|b x, y."),
        // Lucene's other operator spellings: `&&`, `||` as tokens of their
        // own, `!` starting a token; inside words they are text.
        ("a && b", &OR, "+a +b"),
        ("a || b", &OR, "a b"),
        ("a && b || c", &OR, "(+a +b) c"),
        ("a || b && c", &AND, "a (+b +c)"),
        ("a &&b", &OR, "a &&b"),
        ("!a b", &OR, "-a b"),
        ("a !b", &OR, "a -b"),
        ("a ! b", &OR, "a -b"),
        ("a && !b", &OR, "+a -b"),
        ("!(a b) c", &OR, "-(a b) c"),
        ("a !title:b", &OR, "a -title:b"),
        ("(a)!b", &OR, "a -b"),
        ("a&&(b)", &OR, "a&& b"),
        (
            "yahoo! c&&d a||b a!b & | &&& ||x",
            &OR,
            "yahoo! c&&d a||b a!b & | &&& ||x",
        ),
        ("title:&& body:||", &OR, "title:\\&& body:\\||"),
        // Escaped unsupported syntax, and `/` inside a word.
        (
            "\\&& \\|| \\!a \\/x/ \\? a\\?b \\[a\\] \\{b\\}",
            &OR,
            "\\&& \\|| \\!a \\/x/ \\? a\\?b \\[a\\] \\{b\\}",
        ),
        ("km/h a/b/", &OR, "km/h a/b/"),
        ("? ?! —?", &OR, "\\? \\?! —\\?"),
        ("te\\?t*", &OR, "te\\?t*"),
        ("\"te?t [a TO b] /x/ !a\"", &OR, "\"te?t [a TO b] /x/ !a\""),
        // Literal mode.
        ("title:(a \"b", &LIT, "title\\:\\(a \\\"b"),
        ("a b", &LIT_AND, "+a +b"),
        ("-a AND b*", &LIT, "\\-a \\AND b\\*"),
        (
            "te?t [a} /x/ !a && || x!",
            &LIT,
            "te\\?t \\[a\\} \\/x/ \\!a \\&& \\|| x!",
        ),
        ("  ", &LIT, ""),
        ("x", &LIT, "x"),
        ("a\\", &LIT, "a\\\\"),
    ];
    let mut failures = Vec::new();
    for (text, options, want) in cases {
        let got = match parse(text, options) {
            Ok(expr) => expr.to_string(),
            Err(e) => format!("error: {e}"),
        };
        if got != *want {
            failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn malformed_inputs() {
    let cases: &[(&str, &str, usize)] = &[
        ("a AND", "`AND` needs something to search for after it", 2),
        ("a OR", "`OR` needs something to search for after it", 2),
        ("(a OR)", "`OR` needs something to search for after it", 3),
        ("AND a", "`AND` needs something to search for before it", 0),
        ("(OR a)", "`OR` needs something to search for before it", 1),
        ("a AND OR b", "`OR` cannot follow `AND`", 6),
        ("(a", "this `(` is never closed", 0),
        ("a (b", "this `(` is never closed", 2),
        ("a)", "this `)` has no matching `(`", 1),
        ("(a))", "this `)` has no matching `(`", 3),
        ("title:", "nothing after `title:`", 0),
        ("x body: a", "nothing after `body:`", 2),
        ("(title:)", "nothing after `title:`", 1),
        ("a^x", "boost `^x` must be a number", 1),
        ("a^0", "boost `^0`", 1),
        ("a^-1", "boost `^-1`", 1),
        ("a^inf", "boost `^inf`", 1),
        ("a^nan", "boost `^nan`", 1),
        ("a^1e7", "at most", 1),
        ("a^", "`^` must be followed by a boost, a number above 0", 1),
        ("(a b)^", "`^` must be followed by a boost", 5),
        ("(a b)^0", "boost `^0`", 5),
        ("a^2^3", "only one boost", 3),
        ("a^2~1", "write `~` before the boost", 3),
        ("w~3", "the maximum is 2", 1),
        ("w~0.5", "fractional similarity is not supported", 1),
        ("w~x", "not an edit distance", 1),
        ("\"a", "this quote is never closed", 0),
        ("x \u{201C}a b", "this quote is never closed", 2),
        ("\"a\\\"", "this quote is never closed", 0),
        ("\"\"", "empty phrase", 0),
        ("\"a b\"~1001", "from 0 to 1000", 5),
        ("\"a b\"~1.5", "whole number", 5),
        ("\"a b\"~", "whole number", 5),
        ("\"a b\"*", "a phrase cannot end in `*`", 5),
        ("-", "a lone `-`", 0),
        ("+", "a lone `+`", 0),
        ("a -", "a lone `-`", 2),
        ("- a", "a lone `-`", 0),
        ("(a -)", "`-` must be followed by what to exclude", 3),
        ("NOT", "`NOT` must be followed by what to exclude", 0),
        ("a NOT", "`NOT` must be followed by what to exclude", 2),
        ("--a", "`-` and `-` cannot be combined", 0),
        ("NOT -a", "`NOT` and `-` cannot be combined", 0),
        ("()", "empty parentheses", 0),
        ("a ( )", "empty parentheses", 2),
        ("-a", "a query of only exclusions matches nothing", 0),
        ("NOT a -b", "a query of only exclusions matches nothing", 0),
        ("a (-b)", "a group of only exclusions matches nothing", 2),
        ("-a AND -b", "an AND of only exclusions", 0),
        (
            "a OR -b",
            "`-b` cannot be an alternative of OR; to exclude b write `a -b`",
            5,
        ),
        ("a OR NOT b", "cannot be an alternative of OR", 5),
        ("a OR +b", "to require b write `a +b`", 5),
        (
            "author:x",
            "unknown field `author`; the fields are `title` and `body`",
            0,
        ),
        ("Title:x", "unknown field `Title`", 0),
        ("a http://x", "write `\\:` to search for a colon", 2),
        ("title:(body:x)", "`body:` inside a `title:` group", 7),
        ("title:body:x", "a field cannot follow another field", 6),
        ("title:-a", "put `-` before the field", 6),
        ("*", "a lone `*`", 0),
        ("title:*", "a lone `*`", 6),
        ("a*b", "only a trailing `*` is", 1),
        ("*a", "only a trailing `*` is", 0),
        ("a**", "only a trailing `*` is", 1),
        ("w*~1", "`*` and `~` cannot be combined", 2),
        ("a\\", "a `\\` at the end escapes nothing", 1),
        ("a ^2", "`^` (a boost) must directly follow", 2),
        ("a ~", "`~` must directly follow", 2),
        ("(a)~2", "`~` cannot follow a group", 3),
        (":a", "`:` must follow a field name", 0),
        ("AND^2", "`AND` is an operator", 0),
        ("é AND", "`AND` needs something to search for after it", 3),
        ("“é” ^2", "`^` (a boost)", 9),
        // Lucene's other operator spellings, misplaced.
        (
            "a &&",
            "`&&` needs something to search for after it, as in `a && b`",
            2,
        ),
        ("|| a", "`||` needs something to search for before it", 0),
        ("a && || b", "`||` cannot follow `&&`", 5),
        (
            "&&^2",
            "`&&` is an operator; to search for the word, write `\\&&`",
            0,
        ),
        (
            "!",
            "`!` must be followed by what to exclude, as in `climate !policy`",
            0,
        ),
        ("a !", "`!` must be followed by what to exclude", 2),
        ("!!a", "`!` and `!` cannot be combined", 0),
        ("-!a", "`-` and `!` cannot be combined", 0),
        (
            "title:!a",
            "put `!` before the field, as in `!title:word`",
            6,
        ),
        ("!a", "a query of only exclusions matches nothing", 0),
        ("a OR !b", "`!b` cannot be an alternative of OR", 5),
        // Unsupported Lucene syntax.
        ("te?t", "wildcards are not supported", 2),
        (
            "this?",
            "write `\\?` to search for a question mark, or use `--literal`",
            4,
        ),
        ("?a", "wildcards are not supported", 0),
        ("a?b?", "wildcards are not supported", 1),
        ("title:a?", "wildcards are not supported", 7),
        (
            "[a TO b]",
            "ranges (`[a TO b]`, `{a TO b}`) are not supported",
            0,
        ),
        ("{a TO b}", "ranges", 0),
        ("x a[1]", "write `\\[` to search for `[`", 3),
        ("a]", "write `\\]` to search for `]`", 1),
        ("title:{a TO b}", "ranges", 6),
        ("a^2[", "ranges", 3),
        ("\"a b\"{", "ranges", 5),
        (
            "/regex/",
            "regular expressions (`/regex/`) are not supported",
            0,
        ),
        ("a /b", "write `\\/` to search for a `/`", 2),
        ("title:/x/", "regular expressions", 6),
        ("-/x/", "regular expressions", 1),
        // An unknown field, as in pasted text.
        (
            "Putin said: hello",
            "unknown field `said`; the fields are `title` and `body`",
            6,
        ),
        ("Putin said: hello", "as in `said\\:`", 6),
        ("Putin said: hello", "or use `--literal` for pasted text", 6),
    ];
    let mut failures = Vec::new();
    for (text, want, start) in cases {
        match parse(text, &OR) {
            Ok(expr) => failures.push(format!("{text:?}: parsed as {expr}")),
            Err(e) => {
                if !e.message.contains(want) || e.span.start != *start {
                    failures.push(format!(
                        "{text:?}: got {:?} at {:?}, want {want:?} at {start}",
                        e.message, e.span
                    ));
                }
                check_error(text, &e);
                assert_eq!(e.to_string(), format!("{} (at byte {start})", e.message));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn check_error(text: &str, e: &SyntaxError) {
    let Span { start, end } = e.span;
    assert!(start <= end && end <= text.len(), "{text:?}: {e:?}");
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{text:?}: {e:?}"
    );
    assert!(!e.message.is_empty());
}

#[test]
fn trees_and_spans() {
    let expr = parse("title:\"a b\"~2^3", &OR).unwrap();
    assert_eq!(
        expr,
        Expr::Leaf(Leaf {
            kind: LeafKind::Phrase {
                text: "a b".into(),
                slop: 2,
            },
            field: Some(FieldName::Title),
            boost: Some(3.0),
            span: Span::new(0, 15),
        })
    );
    let expr = parse("x -e-mail", &AND).unwrap();
    let Expr::Bool { clauses, span, .. } = &expr else {
        panic!("{expr:?}")
    };
    assert_eq!(*span, Span::new(0, 9));
    assert_eq!(clauses[0].0, Occur::Must);
    assert_eq!(clauses[1].0, Occur::MustNot);
    assert_eq!(clauses[1].1.span(), Span::new(3, 9));
    assert!(
        matches!(&clauses[1].1, Expr::Leaf(Leaf { kind: LeafKind::Word(w), .. }) if w == "e-mail")
    );
    assert_eq!(
        parse("  ", &OR).unwrap(),
        Expr::Bool {
            clauses: vec![],
            boost: None,
            span: Span::new(0, 2),
        }
    );
    let Expr::Leaf(leaf) = parse("clim*", &OR).unwrap() else {
        panic!()
    };
    assert_eq!(leaf.kind, LeafKind::Prefix("clim".into()));
    let Expr::Leaf(leaf) = parse("w~", &OR).unwrap() else {
        panic!()
    };
    assert_eq!(
        leaf.kind,
        LeafKind::Fuzzy {
            word: "w".into(),
            distance: 2,
        }
    );
}

#[test]
fn nesting_is_bounded() {
    let nested = |n: usize| format!("{}a b{}", "(".repeat(n), ")".repeat(n));
    let expr = parse(&nested(MAX_DEPTH), &OR).unwrap();
    assert_eq!(expr.to_string(), "a b");
    let e = parse(&nested(MAX_DEPTH + 1), &OR).unwrap_err();
    assert!(e.message.contains("nested more than"), "{e}");
    assert_eq!(e.span.start, MAX_DEPTH);
    // Far too deep for the stack, were it not bounded.
    assert!(parse(&nested(100_000), &OR).is_err());
    let deep = format!("{}a -b{}", "x (".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    let expr = parse(&deep, &OR).unwrap();
    assert_eq!(
        unspanned(&parse(&expr.to_string(), &OR).unwrap()),
        unspanned(&expr)
    );
}

/// Every canonical form in the table re-parses to the same tree.
#[test]
fn table_round_trips() {
    for text in [
        "a (b c) -(d AND e) title:(f g)^2 \"h i\"~3^0.5",
        "putin OR vladimir modi",
        "\\-x \\AND y\\ z",
    ] {
        for options in [&OR, &AND, &LIT, &LIT_AND] {
            let expr = parse(text, options).unwrap();
            let again = parse(&expr.to_string(), &OR).unwrap();
            assert_eq!(unspanned(&expr), unspanned(&again), "{text:?}");
        }
    }
    assert_eq!(canonical("a  b", &OR), "a b");
}

fn query_text() -> impl Strategy<Value = String> {
    // Single special characters, and whole pieces that more often make
    // valid queries, so both errors and successes are explored.
    let pieces = vec![
        "\"", "(", ")", "+", "-", ":", "^", "~", "*", "\\", " ", " ", " ", "\t", "AND", "OR",
        "NOT", " AND ", " OR ", " NOT ", "title", "body", "title:", "body:", "é", "\u{201C}",
        "\u{201D}", "a", "b", "x", "é", "ü", "2", "0.5", ".", "1", "^2", "~1", "?", "!", "&&",
        "||", " && ", " || ", "&", "|", "[", "]", "{", "}", "/", " TO ",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..16).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_and_round_trips(text in query_text()) {
        for options in [&OR, &AND, &LIT, &LIT_AND] {
            match parse(&text, options) {
                Ok(expr) => {
                    check_spans(&expr, &text);
                    let shown = expr.to_string();
                    let again = parse(&shown, &OR);
                    prop_assert!(again.is_ok(), "{:?} shown as {:?}: {:?}", text, shown, again);
                    let again = again.unwrap();
                    prop_assert_eq!(unspanned(&expr), unspanned(&again), "{:?} shown as {:?}", text, shown);
                    prop_assert_eq!(again.to_string(), shown);
                }
                Err(e) => {
                    prop_assert!(!options.literal, "literal mode failed on {:?}", text);
                    check_error(&text, &e);
                }
            }
        }
    }

    #[test]
    fn any_text_never_panics(text in "\\PC{0,24}") {
        for options in [&OR, &AND] {
            match parse(&text, options) {
                Ok(expr) => {
                    check_spans(&expr, &text);
                    let again = parse(&expr.to_string(), &OR).unwrap();
                    prop_assert_eq!(unspanned(&expr), unspanned(&again));
                }
                Err(e) => check_error(&text, &e),
            }
        }
    }
}
