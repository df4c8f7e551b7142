//! The query-language parser: tokens to an [`Expr`] tree.
//!
//! Precedence, loosest to tightest: juxtaposition (the default operator),
//! `OR` (or `||`), `AND` (or `&&`), then the prefixes `+`, `-` and `NOT`
//! (or `!`). Messages name an operator as it is written.

use super::lexer::{tokenize, TokKind, Token};
use super::syntax::{Expr, FieldName, Leaf, LeafKind, Occur, Span, SyntaxError};

/// How juxtaposed clauses (`a b`) combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DefaultOperator {
    /// Each clause should match: `a b` is `a OR b`.
    #[default]
    Or,
    /// Each clause must match: `a b` is `a AND b`.
    And,
}

/// Options for [`parse`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ParseOptions {
    /// How juxtaposed clauses combine.
    pub default_operator: DefaultOperator,
    /// Treat the whole text as plain words split on whitespace: nothing is
    /// an operator, and parsing never fails.
    pub literal: bool,
}

/// Parses `text` in the query language.
///
/// Only whitespace parses to an [`Expr::Bool`] with no clauses.
///
/// ```
/// use quarry::query::{parse, ParseOptions};
///
/// let expr = parse("climate -policy title:(paris OR kyoto)^2", &ParseOptions::default())?;
/// assert_eq!(expr.to_string(), "climate -policy (title:paris title:kyoto)^2");
/// let err = parse("climate AND", &ParseOptions::default()).unwrap_err();
/// assert_eq!(err.span.start, 8);
/// # Ok::<(), quarry::query::SyntaxError>(())
/// ```
///
/// # Errors
/// A [`SyntaxError`] saying what is wrong and where, for any text that
/// does not follow the language (never in literal mode).
pub fn parse(text: &str, options: &ParseOptions) -> Result<Expr, SyntaxError> {
    if options.literal {
        return Ok(literal(text, options.default_operator));
    }
    let mut parser = Parser {
        text,
        tokens: tokenize(text)?,
        pos: 0,
        default_operator: options.default_operator,
        depth: 0,
    };
    let items = parser.seq(None, None)?;
    let span = match (items.first(), items.last()) {
        (Some(first), Some(last)) => first.span.to(last.span),
        _ => Span::new(0, text.len()),
    };
    parser.lower(items, span, None, true)
}

/// Literal mode: every whitespace-separated run of characters is a word.
fn literal(text: &str, op: DefaultOperator) -> Expr {
    let occur = match op {
        DefaultOperator::Or => Occur::Should,
        DefaultOperator::And => Occur::Must,
    };
    let mut clauses = Vec::new();
    let mut start = None;
    let ends = std::iter::once((text.len(), ' '));
    for (i, c) in text.char_indices().chain(ends) {
        if !c.is_whitespace() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            let leaf = Leaf {
                kind: LeafKind::Word(text[s..i].to_string()),
                field: None,
                boost: None,
                span: Span::new(s, i),
            };
            clauses.push((occur, Expr::Leaf(leaf)));
        }
    }
    if clauses.len() == 1 {
        return clauses.pop().map(|(_, e)| e).expect("one clause");
    }
    Expr::Bool {
        clauses,
        boost: None,
        span: Span::new(0, text.len()),
    }
}

/// A prefix operator in front of an operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefix {
    Plus,
    Minus,
    Not,
}

/// An operand, before it becomes a clause.
struct Item {
    prefix: Option<Prefix>,
    expr: Expr,
    /// The operand, prefix included.
    span: Span,
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    default_operator: DefaultOperator,
    /// How many groups enclose the current token.
    depth: usize,
}

/// The deepest nesting of parentheses accepted, which bounds recursion.
pub(crate) const MAX_DEPTH: usize = 64;

fn err<T>(message: impl Into<String>, span: Span) -> Result<T, SyntaxError> {
    Err(SyntaxError::new(message, span))
}

const ONLY_EXCLUSIONS: &str =
    "only exclusions matches nothing; add something to search for, e.g. `climate -policy`";

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let tok = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        tok
    }

    fn source(&self, span: Span) -> &'a str {
        &self.text[span.start..span.end]
    }

    /// Juxtaposed operands, up to the end of the text (`open` is `None`)
    /// or to the `)` closing the group opened at `open`, left unread.
    fn seq(
        &mut self,
        open: Option<Span>,
        field: Option<FieldName>,
    ) -> Result<Vec<Item>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            let Some(tok) = self.peek() else {
                return match open {
                    Some(open) => err(
                        "this `(` is never closed; add a `)`, or write `\\(` to search for it",
                        open,
                    ),
                    None => Ok(items),
                };
            };
            match tok.kind {
                TokKind::RParen { .. } if open.is_some() => return Ok(items),
                TokKind::RParen { .. } => {
                    return err(
                        "this `)` has no matching `(`; remove it, or write `\\)` to search for it",
                        Span::new(tok.span.start, tok.span.start + 1),
                    )
                }
                TokKind::And | TokKind::Or => {
                    let name = self.source(tok.span);
                    return err(
                        format!(
                            "`{name}` needs something to search for before it, as in \
                             `a {name} b`; write `\\{name}` to search for the word"
                        ),
                        tok.span,
                    );
                }
                _ => items.push(self.or(field)?),
            }
        }
    }

    /// Checks that an operand follows the binary operator `op`.
    fn expect_operand(&self, op: &Token, name: &str) -> Result<(), SyntaxError> {
        match self.peek().map(|t| (&t.kind, t.span)) {
            None | Some((TokKind::RParen { .. }, _)) => err(
                format!(
                    "`{name}` needs something to search for after it, as in `a {name} b`; \
                     write `\\{name}` to search for the word"
                ),
                op.span,
            ),
            Some((TokKind::And | TokKind::Or, span)) => err(
                format!(
                    "`{}` cannot follow `{name}`; put something to search for between them",
                    self.source(span)
                ),
                span,
            ),
            _ => Ok(()),
        }
    }

    /// The operands of a chain `x OP y OP z` read by `operand` (one when
    /// there is no `op`).
    fn chain(
        &mut self,
        op: TokKind,
        field: Option<FieldName>,
        operand: fn(&mut Self, Option<FieldName>) -> Result<Item, SyntaxError>,
    ) -> Result<Vec<Item>, SyntaxError> {
        let mut operands = vec![operand(self, field)?];
        while let Some(tok) = self.peek().filter(|t| t.kind == op).cloned() {
            self.pos += 1;
            self.expect_operand(&tok, self.source(tok.span))?;
            operands.push(operand(self, field)?);
        }
        Ok(operands)
    }

    /// An `OR` chain, or a single operand.
    fn or(&mut self, field: Option<FieldName>) -> Result<Item, SyntaxError> {
        let mut operands = self.chain(TokKind::Or, field, Self::and)?;
        if operands.len() == 1 {
            return Ok(operands.remove(0));
        }
        if let Some(bad) = operands.iter().find(|i| i.prefix.is_some()) {
            return Err(self.or_prefix_error(bad, &operands));
        }
        let span = operands[0].span.to(operands[operands.len() - 1].span);
        let clauses = operands
            .into_iter()
            .map(|i| (Occur::Should, i.expr))
            .collect();
        Ok(Item {
            prefix: None,
            expr: Expr::Bool {
                clauses,
                boost: None,
                span,
            },
            span,
        })
    }

    fn or_prefix_error(&self, bad: &Item, operands: &[Item]) -> SyntaxError {
        let written = self.source(bad.span);
        let inner = self.source(bad.expr.span());
        let other = operands
            .iter()
            .find(|i| i.prefix.is_none())
            .map_or("climate", |i| self.source(i.span));
        let message = match bad.prefix {
            Some(Prefix::Plus) => format!(
                "`{written}` cannot be an alternative of OR; to require {inner} \
                 write `{other} +{inner}`, or drop the `+`"
            ),
            _ => format!(
                "`{written}` cannot be an alternative of OR; to exclude {inner} \
                 write `{other} -{inner}`"
            ),
        };
        SyntaxError::new(message, bad.span)
    }

    /// An `AND` chain, or a single operand.
    fn and(&mut self, field: Option<FieldName>) -> Result<Item, SyntaxError> {
        let mut operands = self.chain(TokKind::And, field, Self::unary)?;
        if operands.len() == 1 {
            return Ok(operands.remove(0));
        }
        let span = operands[0].span.to(operands[operands.len() - 1].span);
        let clauses: Vec<(Occur, Expr)> = operands
            .into_iter()
            .map(|i| match i.prefix {
                Some(Prefix::Minus | Prefix::Not) => (Occur::MustNot, i.expr),
                _ => (Occur::Must, i.expr),
            })
            .collect();
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            return err(format!("an AND of {ONLY_EXCLUSIONS}"), span);
        }
        Ok(Item {
            prefix: None,
            expr: Expr::Bool {
                clauses,
                boost: None,
                span,
            },
            span,
        })
    }

    /// An operand with its optional `+`, `-` or `NOT`.
    fn unary(&mut self, field: Option<FieldName>) -> Result<Item, SyntaxError> {
        let prefix = match self.peek().map(|t| &t.kind) {
            Some(TokKind::Plus) => Prefix::Plus,
            Some(TokKind::Minus) => Prefix::Minus,
            Some(TokKind::Not) => Prefix::Not,
            _ => {
                let expr = self.primary(field)?;
                let span = expr.span();
                return Ok(Item {
                    prefix: None,
                    expr,
                    span,
                });
            }
        };
        let op = self.next().expect("peeked");
        let sym = self.source(op.span);
        let what = match prefix {
            Prefix::Plus => "what to require, as in `+climate`",
            Prefix::Minus => "what to exclude, as in `climate -policy`",
            Prefix::Not if sym == "!" => "what to exclude, as in `climate !policy`",
            Prefix::Not => "what to exclude, as in `climate NOT policy`",
        };
        match self.peek().map(|t| (&t.kind, t.span)) {
            Some((TokKind::Plus | TokKind::Minus | TokKind::Not, span)) => {
                return err(
                    format!(
                        "`{sym}` and `{}` cannot be combined; write one of them",
                        self.source(span)
                    ),
                    op.span.to(span),
                )
            }
            None | Some((TokKind::RParen { .. } | TokKind::And | TokKind::Or, _)) => {
                return err(format!("`{sym}` must be followed by {what}"), op.span)
            }
            _ => {}
        }
        let expr = self.primary(field)?;
        let span = op.span.to(expr.span());
        Ok(Item {
            prefix: Some(prefix),
            expr,
            span,
        })
    }

    /// A term, a group, or either of them after a field prefix.
    fn primary(&mut self, field: Option<FieldName>) -> Result<Expr, SyntaxError> {
        let Some(tok) = self.next() else {
            let end = self.text.len();
            return err("the query ends too early", Span::new(end, end));
        };
        match tok.kind {
            TokKind::Field(name) => {
                if let Some(outer) = field.filter(|f| *f != name) {
                    return err(
                        format!(
                            "`{name}:` inside a `{outer}:` group; a group searches one \
                             field, so move `{name}:` out of it"
                        ),
                        tok.span,
                    );
                }
                let expr = self.primary(Some(name))?;
                Ok(with_start(expr, tok.span.start))
            }
            TokKind::Term { kind, boost } => Ok(Expr::Leaf(Leaf {
                kind,
                field,
                boost,
                span: tok.span,
            })),
            TokKind::LParen => {
                if self.depth == MAX_DEPTH {
                    return err(
                        format!("parentheses nested more than {MAX_DEPTH} deep are not supported"),
                        tok.span,
                    );
                }
                self.depth += 1;
                let items = self.seq(Some(tok.span), field)?;
                self.depth -= 1;
                let (boost, close) = match self.next() {
                    Some(Token {
                        kind: TokKind::RParen { boost },
                        span,
                    }) => (boost, span),
                    // `seq` returns inside a group only at its `)`.
                    _ => return err("this `(` is never closed", tok.span),
                };
                let span = tok.span.to(close);
                if items.is_empty() {
                    return err(
                        "empty parentheses `()` have nothing to search for; put something \
                         inside, or remove them",
                        span,
                    );
                }
                self.lower(items, span, boost, false)
            }
            _ => err(
                format!(
                    "expected a word, phrase or `(`, found `{}`",
                    self.source(tok.span)
                ),
                tok.span,
            ),
        }
    }

    /// Juxtaposed operands as one expression: each is a clause per its
    /// prefix and the default operator. One clause (not an exclusion) is
    /// the clause itself, taking the group's `boost` if it has none.
    fn lower(
        &self,
        items: Vec<Item>,
        span: Span,
        boost: Option<f64>,
        top: bool,
    ) -> Result<Expr, SyntaxError> {
        let default = match self.default_operator {
            DefaultOperator::Or => Occur::Should,
            DefaultOperator::And => Occur::Must,
        };
        let mut clauses: Vec<(Occur, Expr)> = items
            .into_iter()
            .map(|i| match i.prefix {
                Some(Prefix::Plus) => (Occur::Must, i.expr),
                Some(Prefix::Minus | Prefix::Not) => (Occur::MustNot, i.expr),
                None => (default, i.expr),
            })
            .collect();
        if !clauses.is_empty() && clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            let what = if top { "a query of" } else { "a group of" };
            return err(format!("{what} {ONLY_EXCLUSIONS}"), span);
        }
        if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
            let (occur, expr) = clauses.pop().expect("one clause");
            // The group is its one clause; its boost moves onto the clause
            // unless that already has one: `(a)^2` is `a^2`.
            match (expr, boost) {
                (expr, None) => return Ok(expr),
                (Expr::Leaf(mut leaf), Some(b)) if leaf.boost.is_none() => {
                    leaf.boost = Some(b);
                    leaf.span = span;
                    return Ok(Expr::Leaf(leaf));
                }
                (
                    Expr::Bool {
                        clauses,
                        boost: None,
                        ..
                    },
                    Some(b),
                ) => {
                    return Ok(Expr::Bool {
                        clauses,
                        boost: Some(b),
                        span,
                    })
                }
                (expr, _) => clauses.push((occur, expr)),
            }
        }
        Ok(Expr::Bool {
            clauses,
            boost,
            span,
        })
    }
}

/// `expr` with its span widened to start at `start` (a field prefix).
fn with_start(mut expr: Expr, start: usize) -> Expr {
    match &mut expr {
        Expr::Leaf(leaf) => leaf.span.start = start,
        Expr::Bool { span, .. } => span.start = start,
    }
    expr
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
