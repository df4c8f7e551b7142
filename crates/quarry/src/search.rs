//! Query evaluation: document-at-a-time over postings cursors, collecting
//! the top k by BM25 score (ties: lower document id first).
//!
//! - A disjunction (OR) runs block-max MaxScore: scorers whose summed
//!   upper bounds cannot beat the k-th best score so far are *non-essential*
//!   and only looked up for candidates the others produce; bounds are
//!   tightened per window of documents with the block maxima of the skip
//!   data, and windows no document of which can enter the top k are skipped.
//! - A conjunction (AND) is led by the rarest term and skips windows whose
//!   block maxima cannot beat the k-th score.
//! - A phrase intersects its terms' postings and reads positions only for
//!   documents that hold every term.
//!
//! Pruning is exact: every document it skips provably scores at most the
//! current k-th score, and the scores of the documents it keeps are summed
//! in the same order as exhaustive evaluation does, so the top k (ids,
//! scores and tie order) equal exhaustive evaluation's
//! ([`SearchOptions::pruning`] turns it off, for comparison).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::format::BLOCK_LEN;
use crate::postings::Frontier;

use crate::bm25::{idf, Bm25, TermWeight};
use crate::error::{Error, Result};
use crate::fieldnorm::FieldLengths;
use crate::index::{DocId, Index};
use crate::postings::{PostingsCursor, TERMINATED};
use crate::query::{Operator, Query};
use crate::schema::Field;

/// How to search: how many hits, how to combine words, how to score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchOptions {
    /// Number of hits to return (top k).
    pub limit: usize,
    /// How the words of a query combine when parsed from text.
    pub operator: Operator,
    /// BM25 parameters.
    pub bm25: Bm25,
    /// Score multiplier for matches in the title, 0 to [`SearchOptions::MAX_BOOST`].
    pub title_boost: f64,
    /// Score multiplier for matches in the body, 0 to [`SearchOptions::MAX_BOOST`].
    pub body_boost: f64,
    /// Skip documents that cannot enter the top k (on by default). The
    /// results are the same either way; off evaluates every matching
    /// document, to measure or check pruning.
    pub pruning: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            operator: Operator::Or,
            bm25: Bm25::default(),
            title_boost: 1.0,
            body_boost: 1.0,
            pruning: true,
        }
    }
}

impl SearchOptions {
    /// Largest accepted boost: with [`Bm25::MAX_K1`] it keeps every score finite.
    pub const MAX_BOOST: f64 = 1e6;

    /// The default options with `limit` hits.
    pub fn top(limit: usize) -> SearchOptions {
        SearchOptions {
            limit,
            ..SearchOptions::default()
        }
    }

    /// The same options requiring every word.
    pub fn all_words(self) -> SearchOptions {
        SearchOptions {
            operator: Operator::And,
            ..self
        }
    }

    fn boost(&self, field: Field) -> f64 {
        match field {
            Field::Title => self.title_boost,
            Field::Body => self.body_boost,
        }
    }

    fn validate(&self) -> Result<()> {
        self.bm25.validate()?;
        for (name, boost) in [("title", self.title_boost), ("body", self.body_boost)] {
            if !(0.0..=Self::MAX_BOOST).contains(&boost) {
                return Err(Error::InvalidOption(format!(
                    "{name} boost must be between 0 and {}, got {boost}",
                    Self::MAX_BOOST
                )));
            }
        }
        Ok(())
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Internal document id (input order).
    pub doc: DocId,
    /// BM25 score.
    pub score: f64,
    /// The document's external id.
    pub id: String,
    /// The document's title (may be empty).
    pub title: String,
}

/// A scored document, ordered so that a max-heap keeps the worst on top.
#[derive(Clone, Copy, Debug)]
struct Scored {
    score: f64,
    doc: DocId,
}

impl Ord for Scored {
    /// "Less" is better: higher score, then lower document id.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}

/// The best k documents seen so far.
struct TopK {
    k: usize,
    heap: BinaryHeap<Scored>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
        }
    }

    #[inline]
    fn push(&mut self, doc: DocId, score: f64) {
        let s = Scored { score, doc };
        if self.heap.len() < self.k {
            self.heap.push(s);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if s < *worst {
                *worst = s;
            }
        }
    }

    /// What a new document must beat to enter. Minus infinity until k
    /// documents are kept.
    #[inline]
    fn bar(&self) -> Bar {
        match self.heap.peek() {
            Some(worst) if self.heap.len() == self.k => Bar {
                score: worst.score,
                doc: worst.doc,
            },
            _ => Bar {
                score: f64::NEG_INFINITY,
                doc: 0,
            },
        }
    }

    fn into_sorted(self) -> Vec<Scored> {
        self.heap.into_sorted_vec()
    }
}

/// The worst of the top k: the score and document a newcomer must beat.
#[derive(Clone, Copy, Debug)]
struct Bar {
    score: f64,
    doc: DocId,
}

impl Bar {
    /// True when no document `>= from` whose score is at most `bound` can
    /// enter the top k: it scores below the bar, or ties it and comes
    /// after the bar's document (ties go to the earlier document).
    ///
    /// Bounds are per-scorer maxima summed in scorer order, exactly as
    /// scores are summed (absent scorers adding 0). Each score is at most
    /// its bound (the same rounded formula, monotone in frequency and
    /// length: see [`TermWeight::score`]) and rounded addition is
    /// monotone, so the bound holds in floating point too and pruning is
    /// exact, ties included.
    #[inline]
    fn excludes(&self, bound: f64, from: DocId) -> bool {
        bound < self.score || (bound == self.score && from > self.doc)
    }

    /// True until the top k is full.
    fn is_open(&self) -> bool {
        self.score == f64::NEG_INFINITY
    }
}

/// One field's postings of one query term, scored by BM25.
#[derive(Clone)]
struct TermScorer<'a> {
    cursor: PostingsCursor<'a>,
    lengths: FieldLengths<'a>,
    weight: TermWeight,
    /// Index of the query term this scorer belongs to.
    term: usize,
    /// Upper bound of the score in any document.
    max_score: f64,
    /// Last document of the shallow block whose bound is cached, and the bound.
    cached_block: Option<(u32, f64)>,
    /// Scores of every document of one decoded block, computed together
    /// (see [`TermScorer::score_in_block`]), and which block.
    block_scores: Option<Box<[f64; BLOCK_LEN]>>,
    scored_block: Option<usize>,
    bad_doc: bool,
}

impl<'a> TermScorer<'a> {
    fn new(
        mut cursor: PostingsCursor<'a>,
        lengths: FieldLengths<'a>,
        weight: TermWeight,
        term: usize,
    ) -> Self {
        let mut bad_doc = false;
        let max_score = match cursor.term_frontier() {
            Some(f) => frontier_bound(&weight, f),
            None => {
                // One document (or damage): score it.
                let (docs, freqs) = cursor.block_points();
                let mut best = 0.0f64;
                for (&d, &tf) in docs.iter().zip(freqs) {
                    match lengths.get(d) {
                        Some(dl) => best = best.max(weight.score(tf, dl)),
                        None => bad_doc = true,
                    }
                }
                best
            }
        };
        TermScorer {
            cursor,
            lengths,
            weight,
            term,
            max_score,
            cached_block: None,
            block_scores: None,
            scored_block: None,
            bad_doc,
        }
    }

    /// The score of the current document, scoring its whole block at once
    /// on first use: for scorers that produce candidates, which visit most
    /// documents of a block, a tight loop without branches between
    /// documents is several times faster than scoring them one by one.
    #[inline]
    fn score_in_block(&mut self) -> f64 {
        let at = self.cursor.position().1;
        self.block_scores()[at.min(BLOCK_LEN - 1)]
    }

    /// The scores of every document of the decoded block, computed on
    /// first use (see [`TermScorer::score_in_block`]).
    #[inline]
    fn block_scores(&mut self) -> &[f64; BLOCK_LEN] {
        let block = self.cursor.position().0;
        if self.scored_block != Some(block) {
            let weight = self.weight;
            let lengths = self.lengths;
            let (docs, freqs) = self.cursor.block_points();
            let mut lens = [0u32; BLOCK_LEN];
            let lens = &mut lens[..docs.len()];
            self.bad_doc |= !lengths.get_many(docs, lens);
            let out = self
                .block_scores
                .get_or_insert_with(|| Box::new([0.0; BLOCK_LEN]));
            for ((out, &dl), &tf) in out.iter_mut().zip(lens.iter()).zip(freqs) {
                *out = weight.score(tf, dl);
            }
            self.scored_block = Some(block);
        }
        self.block_scores
            .get_or_insert_with(|| Box::new([0.0; BLOCK_LEN]))
    }

    /// Moves to this scorer's next document up to `hi` whose score passes
    /// `keep`, and returns it with its score, the cursor then just past
    /// it; `None` when there is none, the cursor then past `hi`.
    ///
    /// The inner loop of a window with one essential scorer: it scans the
    /// decoded blocks' documents and scores as slices.
    #[inline]
    fn next_kept(&mut self, hi: DocId, keep: impl Fn(f64) -> bool) -> Option<(DocId, f64)> {
        while self.cursor.doc() <= hi {
            self.block_scores();
            let at = self.cursor.position().1;
            let scores = self.block_scores.as_deref()?;
            let docs = self.cursor.block_docs();
            let mut i = at;
            let mut found = None;
            while i < docs.len() && docs[i] <= hi {
                if keep(scores[i]) {
                    found = Some((docs[i], scores[i]));
                    break;
                }
                i += 1;
            }
            if found.is_some() {
                self.cursor.advance_to_index(i + 1);
                return found;
            }
            self.cursor.advance_to_index(i);
        }
        None
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.cursor.doc()
    }

    /// The score of the current document.
    #[inline]
    fn score(&mut self) -> f64 {
        let doc = self.cursor.doc();
        match self.lengths.get(doc) {
            Some(dl) => self.weight.score(self.cursor.freq(), dl),
            None => {
                self.bad_doc = true;
                0.0
            }
        }
    }

    /// An upper bound of the score of any document in `lo..=hi` (the
    /// cursor never moves backwards: documents before it count as absent).
    /// Every document before `lo` must have been dealt with: the cursor
    /// may be moved to `lo`.
    fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        let from = self.cursor.doc().max(lo);
        if from > hi {
            return 0.0;
        }
        let last = self.cursor.shallow_seek(from);
        if last < from {
            return 0.0;
        }
        if last < hi {
            // Several blocks: the best of their maxima, read from the skip
            // data ahead, unless there are many.
            let weight = self.weight;
            let mut best = 0.0f64;
            let read = self.cursor.frontiers_until(hi, WINDOW_BLOCKS_MAX, |f| {
                best = best.max(frontier_bound(&weight, f));
            });
            return if read { best } else { self.max_score };
        }
        // One block covers the window. A cursor left behind (a scorer only
        // looked up so far) is moved to the window when that is cheap: the
        // block is decoded already, or spans several windows, so decoding
        // it serves them all (a sparse scorer often turns out to have
        // nothing in this one). Otherwise the block's maximum does.
        if self.cursor.doc() < lo {
            let span = u64::from(last.saturating_sub(self.cursor.shallow_block_start()));
            let cheap = self.cursor.block_last() >= lo || span >= 4 * u64::from(hi - lo + 1);
            if cheap && self.cursor.seek(lo) > hi {
                return 0.0;
            }
        }
        self.block_bound(last)
    }

    /// The bound of the block at the shallow position, whose last document
    /// is `last` (cached per block).
    fn block_bound(&mut self, last: DocId) -> f64 {
        if let Some((cached_last, bound)) = self.cached_block {
            if cached_last == last {
                return bound;
            }
        }
        let bound = match self.cursor.shallow_frontier() {
            Some(f) => frontier_bound(&self.weight, f),
            None => self.max_score,
        };
        self.cached_block = Some((last, bound));
        bound
    }

    fn damaged(&self) -> bool {
        self.bad_doc || self.cursor.is_corrupt()
    }
}

/// Most blocks of one scorer whose maxima bound a window (see
/// [`TermScorer::window_bound`]); beyond, its term maximum does.
const WINDOW_BLOCKS_MAX: usize = 8;

/// The best score any frontier point can reach: the block's (or term's)
/// exact maximum. A malformed frontier bounds nothing.
fn frontier_bound(weight: &TermWeight, frontier: Frontier<'_>) -> f64 {
    let mut f = frontier;
    let mut best = 0.0f64;
    for (tf, len) in f.by_ref() {
        best = best.max(weight.score(tf, len));
    }
    if f.is_corrupt() {
        f64::INFINITY
    } else {
        best
    }
}

/// The score of a document, summed over `contrib` in scorer order (as
/// exhaustive evaluation sums), resetting `contrib` to zeros.
#[inline]
fn canonical_sum(contrib: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for c in contrib.iter_mut() {
        s += *c;
        *c = 0.0;
    }
    s
}

impl Index {
    /// Parses `text` with the index's analyzer and returns the top hits.
    ///
    /// ```no_run
    /// let index = quarry::Index::open("articles.qidx")?;
    /// for hit in index.search("putin modi", &quarry::SearchOptions::top(5))? {
    ///     println!("{:.3} {} {}", hit.score, hit.id, hit.title);
    /// }
    /// # Ok::<(), quarry::Error>(())
    /// ```
    pub fn search(&self, text: &str, options: &SearchOptions) -> Result<Vec<Hit>> {
        let query = self.parse_query(text, options.operator)?;
        self.search_query(&query, options)
    }

    /// Parses `text` as this index analyzes it.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] for malformed quotes (see [`Query::parse`]).
    pub fn parse_query(&self, text: &str, operator: Operator) -> Result<Query> {
        Query::parse(text, self.analyzer(), operator)
    }

    /// Returns the top hits of a parsed query; `options.operator` is ignored
    /// (the query carries its own).
    pub fn search_query(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Hit>> {
        let top = self.top_docs(query, options)?;
        top.into_iter()
            .map(|s| {
                let stored = self.document(s.doc)?;
                Ok(Hit {
                    doc: s.doc,
                    score: s.score,
                    id: stored.id,
                    title: stored.title,
                })
            })
            .collect()
    }

    /// The top documents and scores of `query`, best first, without reading
    /// stored fields.
    pub fn top_doc_ids(&self, query: &Query, options: &SearchOptions) -> Result<Vec<(DocId, f64)>> {
        Ok(self
            .top_docs(query, options)?
            .into_iter()
            .map(|s| (s.doc, s.score))
            .collect())
    }

    /// The number of documents matching `query`, without scoring them.
    /// The number of documents matching `query`, without scoring them.
    pub fn count(&self, query: &Query) -> Result<u64> {
        if query.is_empty() {
            return Ok(0);
        }
        let options = SearchOptions::default();
        let mut scorers = self.term_scorers(query, &options)?;
        let n = if let Some(offsets) = query.phrase_offsets() {
            let mut phrases = self.phrase_fields(query, offsets, &options)?;
            let n = phrase_union(&mut phrases, None);
            self.check_phrases(&phrases)?;
            n
        } else {
            let n = match query.operator() {
                Operator::Or => count_union(&mut scorers),
                Operator::And => conjunction(&mut scorers, query.terms().len(), None, false),
            };
            self.check(&scorers)?;
            n
        };
        Ok(n)
    }

    fn top_docs(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Scored>> {
        options.validate()?;
        if options.limit == 0 || query.is_empty() {
            return Ok(Vec::new());
        }
        let mut top = TopK::new(options.limit);
        if let Some(offsets) = query.phrase_offsets() {
            let mut phrases = self.phrase_fields(query, offsets, options)?;
            phrase_union(&mut phrases, Some(&mut top));
            self.check_phrases(&phrases)?;
            return Ok(top.into_sorted());
        }
        let mut scorers = self.term_scorers(query, options)?;
        match (query.operator(), options.pruning) {
            (Operator::Or, true) => disjunction(&mut scorers, &mut top),
            (Operator::Or, false) => exhaustive_union(&mut scorers, &mut top),
            (Operator::And, pruning) => {
                conjunction(&mut scorers, query.terms().len(), Some(&mut top), pruning);
            }
        }
        self.check(&scorers)?;
        Ok(top.into_sorted())
    }

    fn check(&self, scorers: &[TermScorer<'_>]) -> Result<()> {
        if scorers.iter().any(|s| s.damaged()) {
            return Err(self.corrupt("postings are malformed"));
        }
        Ok(())
    }

    fn check_phrases(&self, phrases: &[PhraseField<'_>]) -> Result<()> {
        if phrases.iter().any(|p| p.damaged()) {
            return Err(self.corrupt("postings or positions are malformed"));
        }
        Ok(())
    }

    /// One scorer per (term, field) the index holds, terms in query order,
    /// fields in [`Field::ALL`] order: the order scores are summed in.
    fn term_scorers(&self, query: &Query, options: &SearchOptions) -> Result<Vec<TermScorer<'_>>> {
        let norms = self.field_norms();
        let n = self.doc_count();
        let mut out = Vec::with_capacity(query.terms().len() * Field::ALL.len());
        for (t, term) in query.terms().iter().enumerate() {
            for field in Field::ALL {
                let Some(info) = self.term_info(field, term)? else {
                    continue;
                };
                let weight = TermWeight::new(
                    options.bm25,
                    options.boost(field),
                    idf(n, info.doc_freq),
                    self.avg_field_len(field),
                );
                out.push(TermScorer::new(
                    self.postings_of(&info)?,
                    norms.field(field),
                    weight,
                    t,
                ));
            }
        }
        Ok(out)
    }

    /// The phrase matcher of each field that holds every term of the phrase.
    fn phrase_fields(
        &self,
        query: &Query,
        offsets: &[u32],
        options: &SearchOptions,
    ) -> Result<Vec<PhraseField<'_>>> {
        let norms = self.field_norms();
        let n = self.doc_count();
        let positions = self.section(crate::format::SectionKind::Positions);
        let mut out = Vec::new();
        'fields: for field in Field::ALL {
            let mut terms = Vec::with_capacity(offsets.len());
            let mut idf_sum = 0.0;
            for (term, &offset) in query.terms().iter().zip(offsets) {
                let Some(info) = self.term_info(field, term)? else {
                    continue 'fields;
                };
                idf_sum += idf(n, info.doc_freq);
                let pos = positions
                    .get(info.positions.0 as usize..info.positions.1 as usize)
                    .ok_or_else(|| self.corrupt("a term's positions lie outside their section"))?;
                terms.push(PhraseTerm {
                    cursor: self.postings_of(&info)?,
                    offset,
                    positions: pos,
                });
            }
            // Rarest first: it leads the intersection.
            terms.sort_by_key(|t| t.cursor.doc_freq());
            let weight = TermWeight::new(
                options.bm25,
                options.boost(field),
                idf_sum,
                self.avg_field_len(field),
            );
            out.push(PhraseField::new(terms, norms.field(field), weight));
        }
        Ok(out)
    }
}

/// Scores every document of the union (the reference for pruning).
fn exhaustive_union(scorers: &mut [TermScorer<'_>], top: &mut TopK) {
    loop {
        let doc = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return;
        }
        let mut score = 0.0;
        for s in scorers.iter_mut() {
            if s.doc() == doc {
                score += s.score();
                s.cursor.advance();
            }
        }
        top.push(doc, score);
    }
}

/// Counts the documents of the union, without decoding frequencies.
fn count_union(scorers: &mut [TermScorer<'_>]) -> u64 {
    let mut n = 0;
    loop {
        let doc = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return n;
        }
        n += 1;
        for s in scorers.iter_mut() {
            if s.doc() == doc {
                s.cursor.advance();
            }
        }
    }
}

/// Sorts `idx` by `key` ascending (a handful of scorers: insertion sort).
fn sort_by_bound(idx: &mut [usize], key: &[f64]) {
    for i in 1..idx.len() {
        let mut j = i;
        while j > 0 && key[idx[j - 1]] > key[idx[j]] {
            idx.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Most postings the sparse pass of a disjunction scores (see
/// [`disjunction`]): beyond this, scoring them exhaustively costs more than
/// the bar it raises saves (measured: a share of the query's postings alone
/// let one query with a 113k-document term score 5000 documents there).
const SPARSE_PASS_MAX: u64 = 512;

/// The sparse pass scores at most 1/`SPARSE_PASS_SHARE` of a query's
/// postings (measured in instructions per query on three query sets: 1/8
/// is 2% better than 1/16 or 1/4 on each).
const SPARSE_PASS_SHARE: u64 = 8;

/// A pruned disjunction.
///
/// In document order, the bar stays low until documents matching several
/// scorers turn up, which may be late: most candidates of the long
/// postings are scored for nothing. So the sparsest scorers (together at
/// most 1/[`SPARSE_PASS_SHARE`] of the query's postings, and
/// [`SPARSE_PASS_MAX`]; in practice the title fields) go
/// first: every document they hold is scored exactly, looking the others
/// up, which usually finds the best documents at once. The rest then run
/// block-max MaxScore without them, against that high bar; a document the
/// sparse scorers hold is skipped there, as it is already accounted for.
fn disjunction(scorers: &mut [TermScorer<'_>], top: &mut TopK) {
    let n = scorers.len();
    let total: u64 = scorers.iter().map(|s| u64::from(s.cursor.doc_freq())).sum();
    let mut by_df: Vec<usize> = (0..n).collect();
    by_df.sort_by_key(|&i| scorers[i].cursor.doc_freq());
    let mut sparse = vec![false; n];
    let mut used = 0u64;
    for &i in by_df.iter().take(n.saturating_sub(1)) {
        used += u64::from(scorers[i].cursor.doc_freq());
        if used > (total / SPARSE_PASS_SHARE).min(SPARSE_PASS_MAX) {
            break;
        }
        sparse[i] = true;
    }
    if !sparse.contains(&true) {
        block_max_maxscore(scorers, top, &mut []);
        return;
    }
    // Fresh copies for the second pass (the first moves every cursor):
    // the sparse scorers' cursors, to recognise their documents, and the
    // other scorers, to run MaxScore on. Scorer order is kept, so scores
    // sum as before.
    let mut held: Vec<PostingsCursor<'_>> = (0..n)
        .filter(|&i| sparse[i])
        .map(|i| scorers[i].cursor.clone())
        .collect();
    let mut rest: Vec<TermScorer<'_>> = (0..n)
        .filter(|&i| !sparse[i])
        .map(|i| scorers[i].clone())
        .collect();
    // The sparse scorers' documents, fully scored.
    let (sparse_idx, others): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| sparse[i]);
    let mut ub = vec![0.0; n];
    loop {
        let doc = sparse_idx
            .iter()
            .map(|&i| scorers[i].doc())
            .min()
            .unwrap_or(TERMINATED);
        if doc == TERMINATED {
            break;
        }
        let mut sum = 0.0;
        for &i in &sparse_idx {
            let c = &mut scorers[i];
            ub[i] = if c.doc() == doc {
                let v = c.score();
                c.cursor.advance();
                v
            } else {
                0.0
            };
            sum += ub[i];
        }
        for &i in &others {
            let c = &scorers[i];
            ub[i] = if c.doc() > doc {
                // Already past it: absent.
                0.0
            } else {
                // Tighter block bounds would have to be read from the skip
                // data for every candidate; the lookups they would save
                // cost less (measured).
                c.max_score
            };
            sum += ub[i];
        }
        if let Some(score) = look_up(
            scorers,
            others.iter().copied(),
            &mut ub,
            top.bar(),
            doc,
            sum,
        ) {
            top.push(doc, score);
        }
    }
    // The others, skipping what the sparse scorers hold.
    block_max_maxscore(&mut rest, top, &mut held);
    let damaged =
        rest.iter().any(TermScorer::damaged) || held.iter().any(PostingsCursor::is_corrupt);
    if damaged {
        // Reported through the originals.
        scorers[0].bad_doc = true;
    }
}

/// Block-max MaxScore over a union of scorers.
///
/// Scorers are sorted by upper bound; the longest prefix whose bounds sum
/// to at most the bar is non-essential: a document found only there
/// cannot enter the top k. The essential scorers define a window, from the
/// next candidate to the end of the nearest essential block; within it
/// every scorer is bounded by its block maximum, the partition is redone
/// with those tighter bounds, and the window is skipped outright when they
/// cannot beat the bar. Candidates come from the window's essential
/// scorers; non-essential ones are looked up best-first, only while the
/// score so far plus their remaining bounds can still beat the bar.
///
/// Every bound is summed in scorer order, as scores are (see
/// [`Bar::excludes`]), so pruning is exact even for documents that would
/// tie the bar.
///
/// Documents that any of the `held` cursors holds were already scored and
/// are not added again.
fn block_max_maxscore(
    scorers: &mut [TermScorer<'_>],
    top: &mut TopK,
    held: &mut [PostingsCursor<'_>],
) {
    let n = scorers.len();
    let max: Vec<f64> = scorers.iter().map(|s| s.max_score).collect();
    let mut order: Vec<usize> = (0..n).collect();
    sort_by_bound(&mut order, &max);
    let mut window_bound = vec![0.0; n];
    let mut window_order: Vec<usize> = (0..n).collect();
    let mut ub = vec![0.0; n];
    let mut lookups: Vec<usize> = Vec::with_capacity(n);
    let mut essential: Vec<usize> = Vec::with_capacity(n);
    // Every document before `from` has been scored or ruled out.
    let mut from: DocId = 0;
    loop {
        let bar = top.bar();
        let first_essential = non_essential_prefix(&order, &max, &mut ub, bar, from);
        if first_essential == n {
            return;
        }
        // The window starts at the first document an essential scorer may
        // hold from `from` on; cursors left behind by skipped windows are
        // only moved shallowly (their blocks are not decoded).
        let mut lo = TERMINATED;
        for &i in &order[first_essential..] {
            let s = &mut scorers[i];
            let at = s.doc().max(from);
            if at != TERMINATED && s.cursor.shallow_seek(at) >= at {
                lo = lo.min(at);
            }
        }
        if lo == TERMINATED {
            return;
        }
        let hi = nearest_block_end(scorers, &order[first_essential..], lo);
        for (i, s) in scorers.iter_mut().enumerate() {
            window_bound[i] = s.window_bound(lo, hi);
        }
        let total: f64 = window_bound.iter().sum();
        if !bar.excludes(total, lo) {
            sort_by_bound(&mut window_order, &window_bound);
            let split = non_essential_prefix(&window_order, &window_bound, &mut ub, bar, lo);
            lookups.clear();
            lookups.extend(window_order[..split].iter().rev());
            essential.clear();
            essential.extend(&window_order[split..]);
            score_window(
                scorers,
                top,
                held,
                &Window {
                    essential: &essential,
                    lookups: &lookups,
                    bound: &window_bound,
                    lo,
                    hi,
                },
                &mut ub,
            );
        }
        if hi == TERMINATED - 1 {
            return;
        }
        from = hi + 1;
    }
}

/// The last document of the nearest block, from `lo` on, among the
/// `which` scorers (a shallow seek: nothing is decoded); `TERMINATED - 1`
/// when none has a document left.
fn nearest_block_end(scorers: &mut [TermScorer<'_>], which: &[usize], lo: DocId) -> DocId {
    let mut hi = TERMINATED - 1;
    for &i in which {
        let s = &mut scorers[i];
        let from = s.doc().max(lo);
        if from != TERMINATED {
            let last = s.cursor.shallow_seek(from);
            if last >= from {
                hi = hi.min(last);
            }
        }
    }
    hi
}

/// The length of the longest prefix of `order` (scorers by increasing
/// bound) whose bounds, summed in scorer order, cannot beat `bar` for
/// documents from `from` on. `scratch` must hold zeros and is left so.
fn non_essential_prefix(
    order: &[usize],
    bound: &[f64],
    scratch: &mut [f64],
    bar: Bar,
    from: DocId,
) -> usize {
    let mut j = 0;
    while j < order.len() {
        scratch[order[j]] = bound[order[j]];
        if !bar.excludes(scratch.iter().sum(), from) {
            break;
        }
        j += 1;
    }
    scratch.iter_mut().for_each(|x| *x = 0.0);
    j
}

/// A window of documents and how to evaluate it.
struct Window<'w> {
    /// Scorers whose documents are candidates.
    essential: &'w [usize],
    /// Scorers looked up for candidates, best bound first.
    lookups: &'w [usize],
    /// Every scorer's bound within the window.
    bound: &'w [f64],
    lo: DocId,
    hi: DocId,
}

/// Scores the documents of the window that can enter the top k.
///
/// A candidate's essential scores plus every lookup's window bound must
/// reach the bar (allowing for rounding: [`rounding_margin`]), which most
/// fail; with one essential scorer that test runs over its decoded blocks
/// as slices. Lookups are then consulted only while the candidate can
/// still enter: its bound is `ub`, holding the score of each scorer already
/// consulted (0 when absent) and the window bound of the others, summed
/// in scorer order where it matters (see [`look_up`]).
fn score_window(
    scorers: &mut [TermScorer<'_>],
    top: &mut TopK,
    held: &mut [PostingsCursor<'_>],
    w: &Window<'_>,
    ub: &mut [f64],
) {
    for &i in w.essential {
        scorers[i].cursor.seek(w.lo);
    }
    // The lookups' bounds together.
    let lookups_bound: f64 = w.lookups.iter().map(|&i| w.bound[i]).sum();
    let rounding = rounding_margin(ub.len());
    // Most candidates fail even with every lookup present.
    let may_enter = |essential: f64, bar: Bar| {
        let at_most = essential + lookups_bound;
        at_most + rounding * at_most >= bar.score
    };
    let mut bar = top.bar();
    if let [e] = *w.essential {
        // One essential scorer: scan its blocks for candidates that pass,
        // then evaluate those.
        loop {
            let Some((doc, score)) = scorers[e].next_kept(w.hi, |s| may_enter(s, bar)) else {
                ub.iter_mut().for_each(|x| *x = 0.0);
                return;
            };
            ub[e] = score;
            evaluate_candidate(scorers, top, held, w, ub, (doc, score), bar);
            bar = top.bar();
        }
    }
    loop {
        let doc = w
            .essential
            .iter()
            .map(|&i| scorers[i].doc())
            .min()
            .unwrap_or(TERMINATED);
        if doc > w.hi {
            ub.iter_mut().for_each(|x| *x = 0.0);
            return;
        }
        let mut sum = 0.0;
        for &i in w.essential {
            let s = &mut scorers[i];
            if s.doc() == doc {
                ub[i] = s.score_in_block();
                sum += ub[i];
                s.cursor.advance();
            } else {
                ub[i] = 0.0;
            }
        }
        if may_enter(sum, bar) {
            evaluate_candidate(scorers, top, held, w, ub, (doc, sum), bar);
            bar = top.bar();
        }
    }
}

/// Evaluates candidate `doc` of window `w`, whose essential scores are in
/// `ub` (0 where absent), adding up to `sum`: bounds the lookups, looks
/// them up while it can still beat `bar` (the top k's), and keeps it
/// unless a `held` cursor holds it (the sparse pass scored it).
#[inline]
fn evaluate_candidate(
    scorers: &mut [TermScorer<'_>],
    top: &mut TopK,
    held: &mut [PostingsCursor<'_>],
    w: &Window<'_>,
    ub: &mut [f64],
    (doc, mut sum): (DocId, f64),
    bar: Bar,
) {
    for &i in w.lookups {
        // A scorer already past the candidate is known to be absent.
        ub[i] = if scorers[i].doc() > doc {
            0.0
        } else {
            w.bound[i]
        };
        sum += ub[i];
    }
    let found = look_up(scorers, w.lookups.iter().copied(), ub, bar, doc, sum);
    if let Some(score) = found {
        if !held.iter_mut().any(|c| c.seek(doc) == doc) {
            top.push(doc, score);
        }
    }
}

/// How far, relative to their value, sums of `n` non-negative bounds added
/// in different orders, or kept up to date by up to `n` replacements of a
/// term by a smaller one, may differ: each addition errs by at most an ulp
/// of the total, and there are at most 4n of them; doubled for good
/// measure. A candidate whose bound clears the bar by more than this is
/// decided without summing in scorer order.
fn rounding_margin(n: usize) -> f64 {
    (8.0 * n as f64 + 16.0) * f64::EPSILON
}

/// Consults the `lookups` scorers for `doc`, in order, while it can still
/// enter: `ub` holds, per scorer, the score of those already known (0 when
/// absent) and a bound for the others; a lookup replaces its bound by its
/// score. `sum` is the sum of `ub`, added in any order. Returns the
/// document's score when it beats `bar`.
///
/// Whether the candidate can still enter is decided on a running sum,
/// updated per lookup, which differs from `ub` summed in scorer order by
/// rounding only: a few units in the last place of `sum` per addition.
/// Only when the two sums could fall on different sides of the bar is `ub`
/// summed in scorer order, which decides exactly.
fn look_up(
    scorers: &mut [TermScorer<'_>],
    lookups: impl IntoIterator<Item = usize>,
    ub: &mut [f64],
    bar: Bar,
    doc: DocId,
    sum: f64,
) -> Option<f64> {
    let mut running = sum;
    let margin = rounding_margin(ub.len()) * sum;
    for i in lookups {
        if ub[i] == 0.0 {
            continue;
        }
        if running + margin < bar.score {
            return None;
        }
        if running - margin <= bar.score && bar.excludes(ub.iter().sum(), doc) {
            return None;
        }
        let s = &mut scorers[i];
        let score = if s.cursor.seek(doc) == doc {
            s.score()
        } else {
            0.0
        };
        running += score - ub[i];
        ub[i] = score;
    }
    let score: f64 = ub.iter().sum();
    (!bar.excludes(score, doc)).then_some(score)
}

/// Documents holding every term; with `top`, scores them into it (and,
/// with `pruning`, skips windows whose block maxima cannot beat the
/// threshold), without it only counts them.
///
/// `terms` is the number of query terms; scorers of the same term (one per
/// field) form one clause, which a document satisfies in any field.
fn conjunction(
    scorers: &mut [TermScorer<'_>],
    terms: usize,
    mut top: Option<&mut TopK>,
    pruning: bool,
) -> u64 {
    // Clauses, rarest first: the scorers of each term.
    let mut clauses: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); terms];
    for (i, s) in scorers.iter().enumerate() {
        clauses[s.term].0 += u64::from(s.cursor.doc_freq());
        clauses[s.term].1.push(i);
    }
    if clauses.iter().any(|c| c.1.is_empty()) {
        return 0;
    }
    clauses.sort_by_key(|c| c.0);
    let clauses: Vec<Vec<usize>> = clauses.into_iter().map(|c| c.1).collect();
    let clause_doc = |scorers: &[TermScorer<'_>], c: &[usize]| {
        c.iter()
            .map(|&i| scorers[i].doc())
            .min()
            .unwrap_or(TERMINATED)
    };
    let clause_seek = |scorers: &mut [TermScorer<'_>], c: &[usize], target: DocId| {
        let mut d = TERMINATED;
        for &i in c {
            d = d.min(scorers[i].cursor.seek(target));
        }
        d
    };
    let mut contrib = vec![0.0; scorers.len()];
    let mut count = 0u64;
    // The window whose bound was last computed: (last doc, bound).
    let mut window: Option<(DocId, f64)> = None;
    let mut candidate = clause_doc(scorers, &clauses[0]);
    'candidates: while candidate != TERMINATED {
        if pruning {
            if let Some(top) = top.as_deref() {
                let bar = top.bar();
                if !bar.is_open() {
                    let (hi, bound) = match window {
                        Some((hi, bound)) if candidate <= hi => (hi, bound),
                        _ => {
                            let w = conjunction_window(scorers, &clauses[0], candidate);
                            window = Some(w);
                            w
                        }
                    };
                    if bar.excludes(bound, candidate) {
                        if hi == TERMINATED - 1 {
                            break;
                        }
                        candidate = clause_seek(scorers, &clauses[0], hi + 1);
                        continue 'candidates;
                    }
                }
            }
        }
        for c in &clauses[1..] {
            let d = clause_seek(scorers, c, candidate);
            if d > candidate {
                candidate = clause_seek(scorers, &clauses[0], d);
                continue 'candidates;
            }
        }
        count += 1;
        if let Some(top) = top.as_deref_mut() {
            for (i, s) in scorers.iter_mut().enumerate() {
                if s.doc() == candidate {
                    contrib[i] = s.score();
                }
            }
            top.push(candidate, canonical_sum(&mut contrib));
        }
        candidate = clause_seek(scorers, &clauses[0], candidate + 1);
    }
    count
}

/// The window from `lo` to the end of the lead clause's current block, and
/// an upper bound of any document's score in it: every scorer's bound
/// over the window (its block maximum when one block covers the window,
/// its term maximum otherwise), summed in scorer order like scores.
///
/// Windows follow the lead (rarest) clause, as in Lucene's block-max
/// conjunction: a rare lead makes few, wide windows, so checking them
/// costs little; a common lead makes narrow ones with tight bounds.
fn conjunction_window(scorers: &mut [TermScorer<'_>], lead: &[usize], lo: DocId) -> (DocId, f64) {
    let hi = nearest_block_end(scorers, lead, lo);
    let mut bound = 0.0;
    for s in scorers.iter_mut() {
        bound += s.window_bound(lo, hi);
    }
    (hi, bound)
}

/// One term of a phrase, in one field.
struct PhraseTerm<'a> {
    cursor: PostingsCursor<'a>,
    /// Position relative to the phrase's first term.
    offset: u32,
    /// The term's positions bytes.
    positions: &'a [u8],
}

/// Finds the documents where a phrase occurs in one field, scored by BM25
/// with the phrase as one term (frequency: occurrences; idf: the sum of
/// its terms').
///
/// The field moves from *candidate* to candidate (documents holding every
/// term, found by intersecting postings, rarest first); positions are read
/// only when a candidate is checked. A phrase occurs at most as often as
/// its rarest term in the document, which bounds its score before any
/// position is read.
struct PhraseField<'a> {
    /// Rarest first.
    terms: Vec<PhraseTerm<'a>>,
    lengths: FieldLengths<'a>,
    weight: TermWeight,
    /// Candidate start positions, and scratch space for one term's.
    starts: Vec<u32>,
    scratch: Vec<u32>,
    /// The current candidate (`TERMINATED` when done).
    doc: DocId,
    bad: bool,
}

impl<'a> PhraseField<'a> {
    fn new(terms: Vec<PhraseTerm<'a>>, lengths: FieldLengths<'a>, weight: TermWeight) -> Self {
        let mut p = PhraseField {
            terms,
            lengths,
            weight,
            starts: Vec::new(),
            scratch: Vec::new(),
            doc: 0,
            bad: false,
        };
        p.next_candidate(0);
        p
    }

    fn damaged(&self) -> bool {
        self.bad || self.terms.iter().any(|t| t.cursor.is_corrupt())
    }

    /// Moves to the first document `>= from` that holds every term.
    fn next_candidate(&mut self, from: DocId) {
        let mut candidate = self.terms[0].cursor.seek(from);
        'candidates: while candidate != TERMINATED {
            for t in &mut self.terms[1..] {
                let d = t.cursor.seek(candidate);
                if d > candidate {
                    candidate = self.terms[0].cursor.seek(d);
                    continue 'candidates;
                }
            }
            break;
        }
        self.doc = candidate;
    }

    /// The field length of the candidate.
    fn length(&mut self) -> u32 {
        self.lengths.get(self.doc).unwrap_or_else(|| {
            self.bad = true;
            0
        })
    }

    /// An upper bound of the candidate's score, from term frequencies only.
    fn bound(&mut self) -> f64 {
        let min_tf = self
            .terms
            .iter_mut()
            .map(|t| t.cursor.freq())
            .min()
            .unwrap_or(0);
        let dl = self.length();
        self.weight.score(min_tf, dl)
    }

    /// Occurrences of the phrase in the candidate (reads positions).
    fn occurrences(&mut self) -> u32 {
        self.starts.clear();
        for (k, t) in self.terms.iter_mut().enumerate() {
            self.scratch.clear();
            if !t.cursor.read_positions(t.positions, &mut self.scratch) {
                self.bad = true;
                return 0;
            }
            let offset = t.offset;
            if k == 0 {
                self.starts.extend(
                    self.scratch
                        .iter()
                        .filter(|&&p| p >= offset)
                        .map(|&p| p - offset),
                );
            } else {
                // Keep the starts at which this term sits at its offset.
                let mut j = 0;
                let scratch = &self.scratch;
                self.starts.retain(|&s| {
                    // Damaged positions may come close to 2^32.
                    let Some(want) = s.checked_add(offset) else {
                        return false;
                    };
                    while j < scratch.len() && scratch[j] < want {
                        j += 1;
                    }
                    j < scratch.len() && scratch[j] == want
                });
            }
            if self.starts.is_empty() {
                return 0;
            }
        }
        self.starts.len() as u32
    }
}

/// Documents where the phrase occurs in any field: scored into `top`
/// (fields summed in [`Field::ALL`] order) or, without it, counted.
///
/// With `top`, a candidate whose bound (from term frequencies, summed in
/// field order like scores) cannot beat the threshold is passed over
/// without reading positions.
fn phrase_union(fields: &mut [PhraseField<'_>], mut top: Option<&mut TopK>) -> u64 {
    let mut count = 0;
    let mut ub = vec![0.0; fields.len()];
    loop {
        let doc = fields.iter().map(|f| f.doc).min().unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return count;
        }
        let bar = top.as_deref().map(TopK::bar);
        let mut skip = false;
        if let Some(bar) = bar.filter(|b| !b.is_open()) {
            for (f, u) in fields.iter_mut().zip(ub.iter_mut()) {
                *u = if f.doc == doc { f.bound() } else { 0.0 };
            }
            skip = bar.excludes(ub.iter().sum(), doc);
        }
        if !skip {
            let mut score = 0.0;
            let mut matched = false;
            for f in fields.iter_mut() {
                if f.doc == doc {
                    let freq = f.occurrences();
                    if freq > 0 {
                        matched = true;
                        if top.is_some() {
                            let dl = f.length();
                            score += f.weight.score(freq, dl);
                        }
                    }
                }
            }
            if matched {
                count += 1;
                if let Some(top) = top.as_deref_mut() {
                    top.push(doc, score);
                }
            }
        }
        for f in fields.iter_mut() {
            if f.doc == doc {
                f.next_candidate(doc + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// What `look_up` and the window pre-check rely on: a sum of
        /// bounds kept up to date by replacing terms with smaller ones, in
        /// any order, stays within `rounding_margin` of the scorer-order
        /// sum of the final terms.
        #[test]
        fn running_sums_stay_within_the_rounding_margin(
            terms in proptest::collection::vec((0.0f64..1e6, 0.0f64..=1.0), 1..40),
            order_seed in any::<u64>(),
        ) {
            let n = terms.len();
            let mut ub: Vec<f64> = terms.iter().map(|t| t.0).collect();
            // Added in another order than the scorers'.
            let mut order: Vec<usize> = (0..n).collect();
            let mut x = order_seed | 1;
            for i in (1..n).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let sum = order.iter().fold(0.0, |s, &i| s + ub[i]);
            let margin = rounding_margin(n) * sum;
            let mut running = sum;
            for &i in &order {
                let smaller = ub[i] * terms[i].1;
                running += smaller - ub[i];
                ub[i] = smaller;
            }
            let canonical: f64 = ub.iter().sum();
            prop_assert!((running - canonical).abs() <= margin);
            prop_assert!((sum - terms.iter().map(|t| t.0).sum::<f64>()).abs() <= margin);
        }
    }

    #[test]
    fn top_k_keeps_best_and_breaks_ties_by_doc() {
        let mut top = TopK::new(3);
        for (doc, score) in [(5, 1.0), (1, 2.0), (9, 2.0), (3, 0.5), (2, 2.0), (7, 3.0)] {
            top.push(doc, score);
        }
        let got: Vec<(u32, f64)> = top.into_sorted().iter().map(|s| (s.doc, s.score)).collect();
        assert_eq!(got, vec![(7, 3.0), (1, 2.0), (2, 2.0)]);
    }

    #[test]
    fn invalid_boost_is_rejected() {
        let o = SearchOptions {
            title_boost: -1.0,
            ..SearchOptions::default()
        };
        assert!(o.validate().is_err());
        let o = SearchOptions {
            body_boost: f64::INFINITY,
            ..SearchOptions::default()
        };
        assert!(o.validate().is_err());
    }
}
