//! Full integrity check of an index: every checksum, then every structure.

use crate::error::Result;
use crate::format::{self, SectionKind};
use crate::index::Index;
use crate::postings::{read_doc_positions, PostingsCursor, TERMINATED};
use crate::schema::{term_key, Field};

/// What [`Index::verify`] checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Sections whose checksum matched.
    pub sections: usize,
    /// Terms whose postings decoded cleanly.
    pub terms: u64,
    /// Postings (term, document) pairs decoded.
    pub postings: u64,
    /// Stored documents decoded.
    pub documents: u32,
    /// Surface forms checked.
    pub surface_forms: u64,
}

impl Index {
    /// Checks every section's checksum, which together cover every byte
    /// of the file: whether the file is as it was written, without decoding
    /// anything (what [`Index::verify`] does first). O(index size), and
    /// about as fast as reading the file. Returns the sections checked.
    ///
    /// # Errors
    /// [`crate::Error::Corrupt`] naming the first section that differs.
    pub fn check_checksums(&self) -> Result<usize> {
        for e in self.sections() {
            if format::crc32(self.section(e.kind)) != e.crc32 {
                return Err(self.corrupt(format!("{} section checksum mismatch", e.kind.name())));
            }
        }
        Ok(self.sections().len())
    }

    /// Checks every section checksum, then decodes every term's postings,
    /// every stored document and the field-length totals. O(index size).
    ///
    /// # Errors
    /// [`crate::Error::Corrupt`] naming the first problem found.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.check_checksums()?;
        let dict = self.dict()?;
        for kind in crate::format::PAGED {
            self.checked_range(kind, 0, self.section(kind).len())?;
        }
        let infos = self.term_infos()?;
        let postings = self.section(SectionKind::Postings);
        let positions = self.section(SectionKind::Positions);
        let n = self.doc_count();
        let norms = self.field_norms()?;
        let mut stream = dict.stream();
        let mut expected_ord = 0u64;
        let mut pairs = 0u64;
        let mut pos_buf = Vec::new();
        // Terms' ranges must tile POSTINGS and POSITIONS exactly, in order.
        let (mut postings_at, mut positions_at) = (0u64, 0u64);
        // Keys must come strictly increasing (so each once), with the
        // ordinals 0, 1, 2, … in that order: a dictionary whose bytes were
        // altered can still walk, but lookups in it would miss terms.
        let mut prev_key: Vec<u8> = Vec::new();
        while let Some((key, ord)) = fst::Streamer::next(&mut stream) {
            let field = key.first().and_then(|&b| Field::from_id(b));
            if ord != expected_ord || field.is_none() || std::str::from_utf8(&key[1..]).is_err() {
                return Err(self.corrupt(format!("dictionary entry {expected_ord} is malformed")));
            }
            if expected_ord > 0 && key <= prev_key.as_slice() {
                return Err(self.corrupt(format!(
                    "dictionary entry {expected_ord} is out of key order (or repeats a key)"
                )));
            }
            prev_key.clear();
            prev_key.extend_from_slice(key);
            let info = infos
                .get(ord)
                .ok_or_else(|| self.corrupt(format!("term {ord} has no valid record")))?;
            if info.postings.0 != postings_at || info.positions.0 != positions_at {
                return Err(self.corrupt(format!(
                    "term {ord}'s ranges do not tile the postings and positions"
                )));
            }
            (postings_at, positions_at) = (info.postings.1, info.positions.1);
            let bytes = postings.get(info.postings.0 as usize..info.postings.1 as usize);
            let pos = positions.get(info.positions.0 as usize..info.positions.1 as usize);
            let (Some(bytes), Some(pos)) = (bytes, pos) else {
                return Err(self.corrupt(format!("term {ord} points outside its sections")));
            };
            let malformed = || self.corrupt(format!("postings of term {ord} are malformed"));
            let mut c = PostingsCursor::new(bytes, info.doc_freq);
            let lengths = norms.field(field.expect("checked above"));
            let term_frontier: Option<Vec<(u32, u32)>> = c.term_frontier().map(Iterator::collect);
            let mut block_frontier: Option<Vec<(u32, u32)>> = None;
            let mut group_frontier: Option<(u32, Vec<(u32, u32)>)> = None;
            let mut count = 0u32;
            let mut prev_doc: Option<u32> = None;
            // Positions are read in one pass; each block must start where its
            // skip entry says, and the term's positions must be used exactly.
            // Every posting must lie under its block's, its group's and its
            // term's score frontier, or pruning would drop it.
            let mut at = 0usize;
            while c.doc() != TERMINATED {
                pos_buf.clear();
                let doc = c.doc();
                let freq = c.freq();
                let Some(len) = lengths.get(doc) else {
                    return Err(malformed());
                };
                if c.is_block_start() {
                    block_frontier = c.shallow_frontier().map(Iterator::collect);
                    if group_frontier.as_ref().is_none_or(|(last, _)| doc > *last) {
                        group_frontier = c.shallow_group().map(|(last, f)| (last, f.collect()));
                    }
                }
                let under =
                    |points: &[(u32, u32)]| points.iter().any(|&(t, l)| t >= freq && l <= len);
                if prev_doc.is_some_and(|p| doc <= p)
                    || freq == 0
                    || (c.is_block_start() && c.block_positions_start() != at)
                    || !read_doc_positions(pos, &mut at, freq, &mut pos_buf)
                    || term_frontier.as_ref().is_some_and(|t| !under(t))
                    || block_frontier.as_ref().is_some_and(|b| !under(b))
                    || group_frontier
                        .as_ref()
                        .is_some_and(|(last, g)| doc > *last || !under(g))
                {
                    return Err(malformed());
                }
                prev_doc = Some(doc);
                count += 1;
                c.advance();
            }
            if c.is_corrupt() || count != info.doc_freq || at != pos.len() {
                return Err(malformed());
            }
            pairs += u64::from(count);
            expected_ord += 1;
        }
        if postings_at != postings.len() as u64 || positions_at != positions.len() as u64 {
            return Err(self.corrupt("term ranges do not tile the postings and positions sections"));
        }
        if expected_ord != infos.len() {
            return Err(self.corrupt("dictionary and term records disagree on the number of terms"));
        }
        for field in Field::ALL {
            if norms.field(field).sum() != self.meta().total_tokens[field as usize] {
                return Err(self.corrupt(format!(
                    "{} lengths do not add up to the recorded total",
                    field.name()
                )));
            }
        }
        self.store()?.check_all().map_err(|d| self.corrupt(d))?;
        let surface_forms = self.verify_surface(dict)?;
        self.sources()?;
        Ok(VerifyReport {
            sections: self.sections().len(),
            terms: expected_ord,
            postings: pairs,
            documents: n,
            surface_forms,
        })
    }

    /// SURFACE: keys strictly increasing, non-empty UTF-8, each the surface
    /// form of a term the dictionary holds (its stem is a title or body
    /// term), document frequencies 1..=doc_count.
    fn verify_surface(&self, dict: &fst::Map<crate::index::Slice>) -> Result<u64> {
        let surface = self.surface_map()?;
        let n = u64::from(self.doc_count());
        let mut stream = surface.stream();
        let mut prev: Vec<u8> = Vec::new();
        let mut count = 0u64;
        while let Some((key, doc_freq)) = fst::Streamer::next(&mut stream) {
            let bad = || self.corrupt(format!("surface form {count} is malformed"));
            let Ok(word) = std::str::from_utf8(key) else {
                return Err(bad());
            };
            if word.is_empty() || (count > 0 && key <= prev.as_slice()) {
                return Err(bad());
            }
            if doc_freq == 0 || doc_freq > n {
                return Err(self.corrupt(format!(
                    "surface form {word:?} is in {doc_freq} documents of {n}"
                )));
            }
            let term = self.analyzer().stem(word);
            if Field::ALL
                .iter()
                .all(|&f| dict.get(term_key(f, &term)).is_none())
            {
                return Err(self.corrupt(format!(
                    "surface form {word:?} has no term {term:?} in the dictionary"
                )));
            }
            prev.clear();
            prev.extend_from_slice(key);
            count += 1;
        }
        Ok(count)
    }
}
