//! Did you mean: a query that finds too little is offered again with each
//! word the index does not know replaced by the closest word it does.

use std::collections::BTreeMap;

use crate::analysis::Analyzer;
use crate::error::Result;
use crate::index::Index;
use crate::query::{parse, DefaultOperator, Expr, LeafKind, Occur, ParseOptions};
use crate::schema::Field;
use crate::search::{SearchOptions, Suggestion};
use crate::set::IndexSet;
use crate::surface::{sort_for_display, SurfaceWord};

/// What did-you-mean asks of a collection: whether it holds a term, and
/// the real words close to a typed one. An [`Index`] answers for itself;
/// an [`IndexSet`] for its members together, frequencies summed.
trait Vocabulary {
    fn analyzer(&self) -> &Analyzer;
    /// True when some field of some document holds `term`.
    fn holds_term(&self, term: &str) -> Result<bool>;
    /// The closest real word to `word` ([`Index::suggest`]'s order).
    fn closest(&self, word: &str) -> Result<Option<String>>;
}

impl Vocabulary for Index {
    fn analyzer(&self) -> &Analyzer {
        Index::analyzer(self)
    }

    fn holds_term(&self, term: &str) -> Result<bool> {
        for field in Field::ALL {
            if self.term_info(field, term)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn closest(&self, word: &str) -> Result<Option<String>> {
        Ok(self.suggest(word, 1)?.into_iter().next().map(|w| w.word))
    }
}

impl Vocabulary for IndexSet {
    fn analyzer(&self) -> &Analyzer {
        IndexSet::analyzer(self)
    }

    fn holds_term(&self, term: &str) -> Result<bool> {
        for m in self.members() {
            if m.holds_term(term)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn closest(&self, word: &str) -> Result<Option<String>> {
        // Every member's candidates, their frequencies summed: the word the
        // merged index would offer.
        let mut summed: BTreeMap<String, SurfaceWord> = BTreeMap::new();
        for m in self.members() {
            for w in m.suggest(word, usize::MAX)? {
                summed
                    .entry(w.word.clone())
                    .and_modify(|s| s.doc_freq += w.doc_freq)
                    .or_insert(w);
            }
        }
        let mut words: Vec<SurfaceWord> = summed.into_values().collect();
        sort_for_display(&mut words);
        Ok(words.into_iter().next().map(|w| w.word))
    }
}

impl Index {
    /// The corrected query text, when some plain word of `text` (not
    /// excluded, not a pattern) is in no document and a word of the index
    /// lies within two edits of it. Suggestions are words as written in
    /// the documents (lower-cased), one edit before two, the more frequent
    /// first.
    ///
    /// [`Index::search`] asks this when it finds fewer hits than asked for;
    /// callers that run a parsed query themselves can ask it too.
    ///
    /// # Errors
    /// [`crate::Error::Corrupt`] for a damaged dictionary.
    pub fn did_you_mean(&self, text: &str, options: &SearchOptions) -> Result<Option<Suggestion>> {
        did_you_mean(self, text, options)
    }
}

impl IndexSet {
    /// A corrected query for `text`, as [`Index::did_you_mean`] gives for
    /// the index merged from the members: a word is unknown when no member
    /// holds it, and candidates weigh the set's summed frequencies.
    ///
    /// # Errors
    /// As [`Index::did_you_mean`].
    pub fn did_you_mean(&self, text: &str, options: &SearchOptions) -> Result<Option<Suggestion>> {
        did_you_mean(self, text, options)
    }
}

fn did_you_mean(
    vocab: &impl Vocabulary,
    text: &str,
    options: &SearchOptions,
) -> Result<Option<Suggestion>> {
    let parse_options = ParseOptions {
        default_operator: DefaultOperator::Or,
        literal: options.literal,
    };
    let Ok(expr) = parse(text, &parse_options) else {
        return Ok(None);
    };
    let mut words = Vec::new();
    positive_words(&expr, &mut words);
    let mut unknown = Vec::new();
    for w in words {
        if !knows(vocab, &w.2)? {
            unknown.push(w);
        }
    }
    // Many unknown words are no typo, and each costs a fuzzy walk.
    if unknown.len() > options.limits.max_corrections {
        return Ok(None);
    }
    let mut replacements: Vec<(usize, usize, String, String)> = Vec::new();
    for (start, end, word) in unknown {
        if let Some(best) = vocab.closest(&word)? {
            // Replace the word where it appears in its leaf's text.
            let Some(at) = text.get(start..end).and_then(|s| s.find(&word)) else {
                continue;
            };
            let from = start + at;
            replacements.push((from, from + word.len(), word, best));
        }
    }
    if replacements.is_empty() {
        return Ok(None);
    }
    let mut corrected = String::with_capacity(text.len());
    let mut at = 0;
    replacements.sort_by_key(|r| r.0);
    for (from, to, _, with) in &replacements {
        if *from < at {
            continue;
        }
        corrected.push_str(&text[at..*from]);
        corrected.push_str(with);
        at = *to;
    }
    corrected.push_str(&text[at..]);
    Ok(Some(Suggestion {
        text: corrected,
        replacements: replacements.into_iter().map(|r| (r.2, r.3)).collect(),
    }))
}

/// True when every term of `word` is in the collection (a word with no
/// searchable term counts as known: there is nothing to fix).
fn knows(vocab: &impl Vocabulary, word: &str) -> Result<bool> {
    let mut terms = Vec::new();
    vocab
        .analyzer()
        .for_each_token(word, |t| terms.push(t.term.into_owned()));
    for term in terms {
        if !vocab.holds_term(&term)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The plain words of the query's non-excluded leaves, with their leaf's span.
fn positive_words(expr: &Expr, out: &mut Vec<(usize, usize, String)>) {
    match expr {
        Expr::Leaf(leaf) => {
            let text = match &leaf.kind {
                LeafKind::Word(w) => w,
                LeafKind::Phrase { text, .. } => text,
                _ => return,
            };
            for w in text.split_whitespace() {
                out.push((leaf.span.start, leaf.span.end, w.to_string()));
            }
        }
        Expr::Bool { clauses, .. } => {
            for (occur, child) in clauses {
                if *occur != Occur::MustNot {
                    positive_words(child, out);
                }
            }
        }
    }
}
