use super::*;

fn kinds_and_spans(src: &str) -> Vec<(TokKind, (usize, usize))> {
    tokenize(src)
        .unwrap()
        .into_iter()
        .map(|t| (t.kind, (t.span.start, t.span.end)))
        .collect()
}

fn term(kind: LeafKind, boost: Option<f64>) -> TokKind {
    TokKind::Term { kind, boost }
}

#[test]
fn tokens_and_their_spans() {
    use LeafKind::*;
    let got = kinds_and_spans("title:(a OR \u{201C}b c\"~2^3)^2 -e-mail NOT x~ y*");
    let want = vec![
        (TokKind::Field(FieldName::Title), (0, 6)),
        (TokKind::LParen, (6, 7)),
        (term(Word("a".into()), None), (7, 8)),
        (TokKind::Or, (9, 11)),
        (
            term(
                Phrase {
                    text: "b c".into(),
                    slop: 2,
                },
                Some(3.0),
            ),
            (12, 23),
        ),
        (TokKind::RParen { boost: Some(2.0) }, (23, 26)),
        (TokKind::Minus, (27, 28)),
        (term(Word("e-mail".into()), None), (28, 34)),
        (TokKind::Not, (35, 38)),
        (
            term(
                Fuzzy {
                    word: "x".into(),
                    distance: 2,
                },
                None,
            ),
            (39, 41),
        ),
        (term(Prefix("y".into()), None), (42, 44)),
    ];
    assert_eq!(got, want);
}

#[test]
fn lucene_operator_spellings() {
    let got = kinds_and_spans("!a && b||c || yahoo! !(d)");
    let want = vec![
        (TokKind::Not, (0, 1)),
        (term(LeafKind::Word("a".into()), None), (1, 2)),
        (TokKind::And, (3, 5)),
        (term(LeafKind::Word("b||c".into()), None), (6, 10)),
        (TokKind::Or, (11, 13)),
        (term(LeafKind::Word("yahoo!".into()), None), (14, 20)),
        (TokKind::Not, (21, 22)),
        (TokKind::LParen, (22, 23)),
        (term(LeafKind::Word("d".into()), None), (23, 24)),
        (TokKind::RParen { boost: None }, (24, 25)),
    ];
    assert_eq!(got, want);
}

#[test]
fn escapes_make_operators_and_fields_words() {
    let got = kinds_and_spans("\\AND title\\:x \\-a title:OR");
    let words: Vec<_> = got.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        words,
        vec![
            term(LeafKind::Word("AND".into()), None),
            term(LeafKind::Word("title:x".into()), None),
            term(LeafKind::Word("-a".into()), None),
            TokKind::Field(FieldName::Title),
            term(LeafKind::Word("OR".into()), None),
        ]
    );
}
