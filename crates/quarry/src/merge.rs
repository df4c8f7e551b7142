//! Several indexes as one: their documents one member after another,
//! renumbered in that order, written as the sections of one index.
//!
//! The sections are byte-identical to a build of the members' documents in
//! the same order: every term's postings are decoded from each member,
//! renumbered, concatenated and encoded again with the merged field
//! lengths and average lengths (which steer the skip data's frontiers),
//! document frequencies of surface forms are summed, and stored documents
//! are added again in order. This is what a build that spilled sorted runs
//! to disk merges at its end, and what `quarry merge` does.

use fst::{IntoStreamer, Streamer};

use crate::analysis::Language;
use crate::error::{Error, Result};
use crate::fieldnorm;
use crate::format::SectionKind;
use crate::index::Index;
use crate::postings::{write_term, TERMINATED};
use crate::schema::{Field, Meta};
use crate::store::StoreWriter;
use crate::termdict::TermInfoWriter;

/// The sections (in file order) of one index holding every document of
/// `members`, in order.
///
/// # Errors
/// [`Error::Incompatible`] when the members were built with different
/// analyzers or hold more documents than one index can; [`Error::Corrupt`]
/// when a member's bytes do not decode.
pub fn merge(members: &[&Index]) -> Result<Vec<(SectionKind, Vec<u8>)>> {
    let Combined {
        language,
        bases,
        doc_count,
        total_tokens,
    } = Combined::of(members.iter().copied())?;
    let lengths = merged_lengths(members, doc_count)?;
    let avg_len = total_tokens.map(|t| t as f64 / f64::from(doc_count.max(1)));
    // The stored documents and surface forms do not depend on the terms:
    // they are merged on a second thread (here, if none can start).
    let side = || -> Result<_> { Ok((merge_store(members)?, merge_surface(members)?)) };
    let (terms, side) = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("quarry-merge".into())
            .spawn_scoped(scope, side);
        let terms = merge_terms(members, &bases, &lengths, avg_len);
        let side = match worker {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => side(),
        };
        (terms, side)
    });
    let (dict, infos, postings, positions) = terms?;
    let ((store_index, store_data), surface) = side?;
    let norms = fieldnorm::encode(&lengths);
    let meta = Meta {
        doc_count,
        language,
        total_tokens,
    };
    Ok(vec![
        (SectionKind::Meta, meta.encode()),
        (SectionKind::TermDict, dict),
        (SectionKind::TermInfo, infos),
        (SectionKind::Postings, postings),
        (SectionKind::Positions, positions),
        (SectionKind::FieldNorms, norms),
        (SectionKind::StoreIndex, store_index),
        (SectionKind::StoreData, store_data),
        (SectionKind::Surface, surface),
    ])
}

/// What indexes have together: their shared language, each one's first
/// document in the whole, and the totals.
pub(crate) struct Combined {
    pub(crate) language: Language,
    /// The first document id of each index, in order.
    pub(crate) bases: Vec<u32>,
    pub(crate) doc_count: u32,
    pub(crate) total_tokens: [u64; 2],
}

impl Combined {
    /// `members` taken one after another (none: an empty English whole).
    ///
    /// # Errors
    /// [`Error::Incompatible`] when they were built for different
    /// languages, or hold more documents than one index can.
    pub(crate) fn of<'i>(members: impl Iterator<Item = &'i Index>) -> Result<Combined> {
        let mut c = Combined {
            language: Language::English,
            bases: Vec::new(),
            doc_count: 0,
            total_tokens: [0; 2],
        };
        for (i, m) in members.enumerate() {
            if i == 0 {
                c.language = m.meta().language;
            } else if m.meta().language != c.language {
                return Err(Error::Incompatible {
                    path: m.path().to_path_buf(),
                    detail: format!(
                        "it was built for {:?} text and the first index for {:?}; rebuild it with the same language",
                        m.meta().language,
                        c.language
                    ),
                });
            }
            c.bases.push(c.doc_count);
            c.doc_count = c
                .doc_count
                .checked_add(m.doc_count())
                .filter(|&n| n < u32::MAX - 1)
                .ok_or_else(|| Error::Incompatible {
                    path: m.path().to_path_buf(),
                    detail: "the indexes hold more documents than one index can (4,294,967,294); combine fewer of them".into(),
                })?;
            for (t, add) in c.total_tokens.iter_mut().zip(m.meta().total_tokens) {
                *t += add;
            }
        }
        Ok(c)
    }
}

/// Every document's field lengths, members in order, per field.
fn merged_lengths(members: &[&Index], doc_count: u32) -> Result<[Vec<u32>; 2]> {
    let mut out = [Vec::new(), Vec::new()];
    for (field, lens) in Field::ALL.iter().zip(out.iter_mut()) {
        lens.reserve(doc_count as usize);
        for m in members {
            let f = m.field_norms().field(*field);
            for doc in 0..m.doc_count() {
                lens.push(
                    f.get(doc)
                        .ok_or_else(|| m.corrupt("a field length is missing"))?,
                );
            }
        }
    }
    Ok(out)
}

/// The bytes of TERMDICT, TERMINFO, POSTINGS and POSITIONS.
type TermSections = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

/// TERMDICT, TERMINFO, POSTINGS and POSITIONS: the members' dictionaries
/// walked together in key order, each term's postings concatenated.
fn merge_terms(
    members: &[&Index],
    bases: &[u32],
    lengths: &[Vec<u32>; 2],
    avg_len: [f64; 2],
) -> Result<TermSections> {
    let mut maps = Vec::with_capacity(members.len());
    for m in members {
        maps.push(m.dict()?);
    }
    let mut op = fst::map::OpBuilder::new();
    for map in &maps {
        op = op.add(map.stream());
    }
    let mut union = op.union().into_stream();
    let mut dict = fst::MapBuilder::memory();
    let mut infos = TermInfoWriter::new();
    let (mut postings_out, mut positions_out) = (Vec::new(), Vec::new());
    let (mut docs, mut freqs, mut positions) = (Vec::new(), Vec::new(), Vec::new());
    let mut parts = Vec::new();
    let mut ord = 0u64;
    while let Some((key, values)) = union.next() {
        let field = key
            .first()
            .and_then(|&id| Field::ALL.iter().position(|f| f.id() == id))
            .ok_or_else(|| members[values[0].index].corrupt("a dictionary key names no field"))?;
        parts.clear();
        parts.extend(values.iter().map(|v| (v.index, v.value)));
        parts.sort_unstable();
        docs.clear();
        freqs.clear();
        positions.clear();
        for &(i, term_ord) in &parts {
            let m = members[i];
            read_term(m, term_ord, bases[i], &mut docs, &mut freqs, &mut positions)?;
        }
        infos.push(
            docs.len() as u32,
            postings_out.len() as u64,
            positions_out.len() as u64,
        );
        write_term(
            &docs,
            &freqs,
            &positions,
            &lengths[field],
            avg_len[field],
            &mut postings_out,
            &mut positions_out,
        );
        dict.insert(key, ord)
            .expect("a union of sorted streams is sorted, each key once");
        ord += 1;
    }
    let infos = infos.finish(postings_out.len() as u64, positions_out.len() as u64);
    let dict = dict.into_inner().expect("in-memory fst writes cannot fail");
    Ok((dict, infos, postings_out, positions_out))
}

/// Appends member `m`'s postings of term ordinal `ord`, renumbered from
/// `base`.
fn read_term(
    m: &Index,
    ord: u64,
    base: u32,
    docs: &mut Vec<u32>,
    freqs: &mut Vec<u32>,
    positions: &mut Vec<u32>,
) -> Result<()> {
    let info = m
        .term_infos()
        .get(ord)
        .ok_or_else(|| m.corrupt(format!("term ordinal {ord} has no valid record")))?;
    let bytes = usize::try_from(info.positions.0)
        .ok()
        .zip(usize::try_from(info.positions.1).ok())
        .and_then(|(s, e)| m.section(SectionKind::Positions).get(s..e))
        .ok_or_else(|| m.corrupt("a term's positions lie outside the positions section"))?;
    let mut cursor = m.postings_of(&info)?;
    while cursor.doc() != TERMINATED {
        docs.push(base + cursor.doc());
        freqs.push(cursor.freq());
        if !cursor.read_positions(bytes, positions) {
            return Err(m.corrupt(format!("the positions of term ordinal {ord} are malformed")));
        }
        cursor.advance();
    }
    if cursor.is_corrupt() {
        return Err(m.corrupt(format!("the postings of term ordinal {ord} are malformed")));
    }
    Ok(())
}

/// STORE_INDEX and STORE_DATA: every stored document again, in order.
fn merge_store(members: &[&Index]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut store = StoreWriter::new();
    for m in members {
        m.store()
            .for_each(|id, title, body| store.add(id, title, body))
            .map_err(|d| m.corrupt(d))?;
    }
    Ok(store.finish())
}

/// SURFACE: each form's document frequencies summed over the members.
fn merge_surface(members: &[&Index]) -> Result<Vec<u8>> {
    let mut maps = Vec::with_capacity(members.len());
    for m in members {
        maps.push(m.surface_map()?);
    }
    let mut op = fst::map::OpBuilder::new();
    for map in &maps {
        op = op.add(map.stream());
    }
    let mut union = op.union().into_stream();
    let mut out = fst::MapBuilder::memory();
    while let Some((form, values)) = union.next() {
        let df: u64 = values.iter().map(|v| v.value).sum();
        out.insert(form, df)
            .expect("a union of sorted streams is sorted, each key once");
    }
    Ok(out.into_inner().expect("in-memory fst writes cannot fail"))
}
