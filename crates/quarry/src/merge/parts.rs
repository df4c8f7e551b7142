//! The sections of a merge that do not depend on the terms: stored
//! documents, surface forms and sources.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, Write};

use fst::{IntoStreamer, Streamer};

use super::plan::Plan;
use super::{MergeError, Releaser, RELEASE_EVERY};
use crate::analysis::{for_each_raw_token, lowercase};
use crate::error::Result;
use crate::index::Index;
use crate::sources::Sources;
use crate::store::StoreWriter;

/// STORE_INDEX, and STORE_DATA as what went to `file` followed by the
/// rest: every kept stored document again, in the new order.
pub(super) fn merge_store<S: Write>(
    members: &[&Index],
    plan: &Plan,
    file: S,
    halt: &dyn Fn() -> bool,
) -> std::result::Result<(Vec<u8>, S, Vec<u8>), MergeError> {
    let mut store = StoreWriter::new();
    let mut file = BufWriter::with_capacity(1 << 20, file);
    let mut failed: Option<io::Error> = None;
    let last = plan.pieces.len().saturating_sub(1);
    for (p, piece) in plan.pieces.iter().enumerate() {
        if halt() {
            return Err(MergeError::Interrupted);
        }
        let m = members[piece.member];
        // A piece can be a whole member's store, hundreds of megabytes:
        // its pages are dropped as it is read, and at its end.
        let mut read = TextRead::new(m);
        m.checked_store()?
            .for_each_block_in(piece.docs.clone(), |block, docs| {
                let end = block.first + block.count;
                let whole = piece.docs.start <= block.first && end <= piece.docs.end;
                let ends_store = p == last && end == piece.docs.end;
                if whole && store.at_block_start() && block.as_written(ends_store) {
                    // The block a build of these documents writes here
                    // (a build's chunks end where blocks do): as it is.
                    store.add_block(block);
                } else {
                    for (doc, &(id, title, body)) in (block.first..).zip(docs) {
                        if piece.docs.contains(&doc) {
                            store.add(id, title, body);
                        }
                    }
                }
                if store.held_bytes() >= 1 << 20 && failed.is_none() {
                    failed = store.drain_data(&mut file).err();
                }
                read.add(
                    docs.iter()
                        .map(|(i, t, b)| i.len() + t.len() + b.len())
                        .sum(),
                );
            })
            .map_err(|d| m.corrupt(d))?;
        m.release_pages();
        if let Some(e) = failed {
            return Err(MergeError::Write(e));
        }
    }
    let file = file.into_inner().map_err(|e| e.into_error())?;
    let (index, rest) = store.finish();
    Ok((index, file, rest))
}

/// Stored text read from one member, whose pages are dropped every
/// [`RELEASE_EVERY`] bytes of it (more text is read than compressed bytes
/// are mapped for it).
struct TextRead<'a> {
    member: &'a Index,
    since: u64,
}

impl<'a> TextRead<'a> {
    fn new(member: &'a Index) -> Self {
        TextRead { member, since: 0 }
    }

    fn add(&mut self, bytes: usize) {
        self.since += bytes as u64;
        if self.since >= RELEASE_EVERY {
            self.since = 0;
            self.member.release_pages();
        }
    }
}

/// SURFACE: each form's document frequency over the kept documents: the
/// members' frequencies summed, less those of the documents left out
/// (whose forms are read again from their stored text).
pub(super) fn merge_surface<S: Write>(
    members: &[&Index],
    plan: &Plan,
    file: S,
) -> std::result::Result<S, MergeError> {
    let mut left_out: HashMap<String, u64> = HashMap::new();
    let mut forms: HashSet<String> = HashSet::new();
    let mut maps = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        if plan.runs[i].is_empty() {
            continue; // nothing of it is kept
        }
        maps.push(m.surface_map()?);
        // Its checksum read the whole map: drop those pages before the next.
        m.release_pages();
        let mut read = TextRead::new(m);
        for docs in &plan.dropped[i] {
            m.checked_store()?
                .for_each_in(docs.clone(), |_, title, body| {
                    read.add(title.len() + body.len());
                    forms.clear();
                    for text in [title, body] {
                        for_each_raw_token(text, |raw, _, _| {
                            forms.insert(lowercase(raw).into_owned());
                        });
                    }
                    for form in forms.drain() {
                        *left_out.entry(form).or_default() += 1;
                    }
                })
                .map_err(|d| m.corrupt(d))?;
        }
    }
    let mut op = fst::map::OpBuilder::new();
    for map in &maps {
        op = op.add(map.stream());
    }
    let mut union = op.union().into_stream();
    let mut out =
        fst::MapBuilder::new(BufWriter::with_capacity(1 << 16, file)).map_err(super::fst_error)?;
    let mut releaser = Releaser::new(members);
    while let Some((form, values)) = union.next() {
        // Each member's map is walked page by page: drop what was walked
        // now and then, as the terms' merge does.
        releaser.read(0, values.len());
        let df: u64 = values.iter().map(|v| v.value).sum();
        let gone = std::str::from_utf8(form)
            .ok()
            .and_then(|f| left_out.get(f))
            .copied()
            .unwrap_or(0);
        if df > gone {
            out.insert(form, df - gone).map_err(super::fst_error)?;
        }
    }
    let file = out.into_inner().map_err(super::fst_error)?;
    Ok(file.into_inner().map_err(|e| e.into_error())?)
}

/// SOURCES: each piece's runs, a run the piece cuts becoming a run from
/// no file.
pub(super) fn merge_sources(members: &[&Index], plan: &Plan) -> Result<Vec<u8>> {
    let mut decoded: Vec<Option<Sources>> = vec![None; members.len()];
    let mut out = Sources::new();
    for piece in &plan.pieces {
        let sources = match &mut decoded[piece.member] {
            Some(s) => s,
            slot => slot.insert(members[piece.member].sources()?),
        };
        sources.slice(piece.docs.start, piece.docs.end, &mut out);
    }
    Ok(out.encode())
}
