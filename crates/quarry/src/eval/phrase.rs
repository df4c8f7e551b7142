//! Phrases: documents where terms occur at given relative positions.

use crate::bm25::TermWeight;
use crate::fieldnorm::FieldLengths;
use crate::index::DocId;
use crate::pages::PageGuard;
use crate::postings::{PostingsCursor, TERMINATED};

use super::collect::TopK;

/// One term of a phrase, in one field.
pub(crate) struct PhraseTerm<'a> {
    pub(crate) cursor: PostingsCursor<'a>,
    /// Position relative to the phrase's first term.
    pub(crate) offset: u32,
    /// The term's positions bytes.
    pub(crate) positions: &'a [u8],
    /// Checks their pages before a block's positions are first read.
    pub(crate) guard: PageGuard<'a>,
    /// The positions bytes whose pages the guard has passed.
    checked: (usize, usize),
    /// The block whose positions lie in `checked` (`usize::MAX`: none
    /// yet): reads in it need no range test.
    checked_block: usize,
    /// Where that block's positions end: reads stop there.
    block_end: usize,
    /// The term's positions in the document `read_for` (exact matching
    /// reads them lazily, once per candidate).
    list: Vec<u32>,
    read_for: DocId,
}

impl<'a> PhraseTerm<'a> {
    pub(crate) fn new(
        cursor: PostingsCursor<'a>,
        offset: u32,
        positions: &'a [u8],
        guard: PageGuard<'a>,
    ) -> Self {
        PhraseTerm {
            cursor,
            offset,
            positions,
            guard,
            checked: (0, 0),
            checked_block: usize::MAX,
            block_end: 0,
            list: Vec::new(),
            read_for: TERMINATED,
        }
    }
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
pub(crate) struct PhraseField<'a> {
    /// The distinct terms, rarest first (a repeated word is read once).
    pub(crate) terms: Vec<PhraseTerm<'a>>,
    /// Every word of the phrase: its offset and its term (in `terms`), in
    /// the order of `terms`.
    slots: Vec<(u32, usize)>,
    pub(crate) lengths: FieldLengths<'a>,
    pub(crate) weight: TermWeight,
    /// Candidate start positions.
    pub(crate) starts: Vec<u32>,
    /// Where each word stands (sloppy matching).
    at: Vec<usize>,
    /// The current candidate (`TERMINATED` when done).
    pub(crate) doc: DocId,
    pub(crate) bad: bool,
}

impl<'a> PhraseField<'a> {
    /// The matcher of the phrase of `words` (rarest first). Words of one
    /// term share its cursor and positions (the same positions bytes), so
    /// a repeated word costs one term's work, not one per repetition.
    pub(crate) fn new(
        words: Vec<PhraseTerm<'a>>,
        lengths: FieldLengths<'a>,
        weight: TermWeight,
    ) -> Self {
        let mut terms: Vec<PhraseTerm<'a>> = Vec::new();
        let mut slots = Vec::with_capacity(words.len());
        // The same positions bytes are the same term. A scan, not a hash
        // map: phrases are a few words (at most the phrase limit), and a
        // map's setup cost more than the scans.
        let same = |a: &[u8], b: &[u8]| a.as_ptr() == b.as_ptr() && a.len() == b.len();
        for w in words {
            let u = match terms.iter().position(|t| same(t.positions, w.positions)) {
                Some(u) => u,
                None => {
                    terms.push(PhraseTerm { offset: 0, ..w });
                    terms.len() - 1
                }
            };
            slots.push((w.offset, u));
        }
        let mut p = PhraseField {
            terms,
            slots,
            lengths,
            weight,
            starts: Vec::new(),
            at: Vec::new(),
            doc: 0,
            bad: false,
        };
        p.next_candidate(0);
        p
    }

    pub(crate) fn damaged(&self) -> bool {
        self.bad || self.terms.iter().any(|t| t.cursor.is_corrupt())
    }

    /// Moves to the first document `>= from` that holds every term.
    pub(crate) fn next_candidate(&mut self, from: DocId) {
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
    pub(crate) fn length(&mut self) -> u32 {
        self.lengths.get(self.doc).unwrap_or_else(|| {
            self.bad = true;
            0
        })
    }

    /// An upper bound of the candidate's score, from term frequencies only.
    pub(crate) fn bound(&mut self) -> f64 {
        let min_tf = self
            .terms
            .iter_mut()
            .map(|t| t.cursor.freq())
            .min()
            .unwrap_or(0);
        let dl = self.length();
        self.weight.score(min_tf, dl)
    }

    /// Reads term `u`'s positions in the candidate into its `list`, unless
    /// already read; `false` when they are damaged. Inlined into
    /// [`PhraseField::occurrences`], which calls it per word and candidate.
    #[inline(always)]
    fn read_positions(&mut self, u: usize) -> bool {
        let t = &mut self.terms[u];
        if t.read_for == self.doc {
            return true;
        }
        t.read_for = self.doc;
        t.list.clear();
        // The pages of the block's positions, checked before their first
        // read (the cursor reads within the block's range).
        let block = t.cursor.position().0;
        if block != t.checked_block {
            let (start, end) = t.cursor.block_positions_range(t.positions.len());
            if start < t.checked.0 || end > t.checked.1 {
                match t.guard.check_span(start, end) {
                    Some(span) => t.checked = span,
                    None => return false,
                }
            }
            t.checked_block = block;
            t.block_end = end;
        }
        // The read sees only the bytes up to the block's end, whose pages
        // were just checked from the block's start on: skip data forged to
        // point elsewhere makes it fail, not reach bytes never checked.
        t.cursor
            .read_positions(&t.positions[..t.block_end], &mut t.list)
    }

    /// Occurrences of the phrase in the candidate (reads positions).
    /// Inlined into the phrase union's loop, its hot caller.
    #[inline(always)]
    pub(crate) fn occurrences(&mut self) -> u32 {
        self.starts.clear();
        for k in 0..self.slots.len() {
            let (offset, u) = self.slots[k];
            if !self.read_positions(u) {
                self.bad = true;
                return 0;
            }
            let positions = &self.terms[u].list;
            if k == 0 {
                self.starts.extend(
                    positions
                        .iter()
                        .filter(|&&p| p >= offset)
                        .map(|&p| p - offset),
                );
            } else {
                // Keep the starts at which this term sits at its offset.
                let mut j = 0;
                self.starts.retain(|&s| {
                    // Damaged positions may come close to 2^32.
                    let Some(want) = s.checked_add(offset) else {
                        return false;
                    };
                    while j < positions.len() && positions[j] < want {
                        j += 1;
                    }
                    j < positions.len() && positions[j] == want
                });
            }
            if self.starts.is_empty() {
                return 0;
            }
        }
        self.starts.len() as u32
    }
}

impl PhraseField<'_> {
    /// The sloppy frequency of the phrase in the candidate (reads
    /// positions): the sum, over the matches, of `1 / (1 + moves)`, where a
    /// match takes one position per term and its *moves* are
    /// `max(p_i − o_i) − min(p_i − o_i)` (`p_i` the term's position, `o_i`
    /// its offset in the phrase), at most `slop`. Matches are found as Lucene
    /// does: starting from each term's first position, the term furthest
    /// behind (of two, the earlier in the phrase) moves to its next
    /// position until one runs out; whenever two
    /// repeated terms stand on one position, the one with the larger offset
    /// moves on first. With `slop` 0 this counts the
    /// exact occurrences.
    pub(crate) fn sloppy_frequency(&mut self, slop: u32) -> f64 {
        for u in 0..self.terms.len() {
            if !self.read_positions(u) || self.terms[u].list.is_empty() {
                self.bad |= self.terms[u].list.is_empty();
                return 0.0;
            }
        }
        let n = self.slots.len();
        let mut at = std::mem::take(&mut self.at);
        at.clear();
        at.resize(n, 0);
        let value = |i: usize, at: &[usize], terms: &[PhraseTerm<'_>], slots: &[(u32, usize)]| {
            let (offset, u) = slots[i];
            i64::from(terms[u].list[at[i]]) - i64::from(offset)
        };
        let mut freq = 0.0;
        loop {
            // Repeated terms on one position: the one later in the phrase
            // moves on, as in Lucene's sloppy matcher.
            while let Some(k) = self.collision(&at) {
                at[k] += 1;
                if at[k] == self.terms[self.slots[k].1].list.len() {
                    self.at = at;
                    return freq;
                }
            }
            let mut lo = (i64::MAX, 0usize);
            let mut hi = i64::MIN;
            for i in 0..n {
                let v = value(i, &at, &self.terms, &self.slots);
                // Ties: the term earlier in the phrase moves (Lucene's
                // order), so the frequency depends on the document and the
                // phrase only, never on the order the scorer holds the
                // terms in (rarest first, which differs between an index
                // and its shards).
                if v < lo.0 || (v == lo.0 && self.slots[i].0 < self.slots[lo.1].0) {
                    lo = (v, i);
                }
                hi = hi.max(v);
            }
            let moves = hi - lo.0;
            if moves <= i64::from(slop) {
                freq += 1.0 / (1.0 + moves as f64);
            }
            let i = lo.1;
            at[i] += 1;
            if at[i] == self.terms[self.slots[i].1].list.len() {
                self.at = at;
                return freq;
            }
        }
    }

    /// Of two words standing on one position (only words of one term can,
    /// and then they stand on the same entry of its positions), the one
    /// with the larger offset in the phrase.
    fn collision(&self, at: &[usize]) -> Option<usize> {
        if self.slots.len() == self.terms.len() {
            return None;
        }
        for i in 0..at.len() {
            let (oi, ui) = self.slots[i];
            for j in i + 1..at.len() {
                let (oj, uj) = self.slots[j];
                if ui == uj && at[i] == at[j] {
                    return Some(if oi > oj { i } else { j });
                }
            }
        }
        None
    }
}

/// Documents where the phrase occurs in any field: scored into `top`
/// (fields summed in [`Field::ALL`] order) or, without it, counted.
///
/// With `top`, a candidate whose bound (from term frequencies, summed in
/// field order like scores) cannot beat the threshold is passed over
/// without reading positions.
pub(crate) fn phrase_union(fields: &mut [PhraseField<'_>], mut top: Option<&mut TopK<'_>>) -> u64 {
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
