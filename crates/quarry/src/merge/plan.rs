//! Which documents of which members a merge writes, in what order.

use std::ops::Range;

use crate::fieldnorm;
use crate::index::Index;
use crate::schema::Field;

/// A run of one member's documents, placed next in the merged index.
///
/// A plain merge takes every member whole, one after another. An update
/// leaves out the documents of files that changed or went, and places
/// the new documents of the files read again where a fresh build of the
/// current files would put them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Which member, by its place in the list of members.
    pub member: usize,
    /// Its documents, by the member's numbering.
    pub docs: Range<u32>,
}

impl Piece {
    /// Every document of every member, in order: a plain merge.
    pub fn whole(members: &[&Index]) -> Vec<Piece> {
        members
            .iter()
            .enumerate()
            .map(|(member, m)| Piece {
                member,
                docs: 0..m.doc_count(),
            })
            .collect()
    }
}

/// A run of a member's documents and where it lands: old `start..end`
/// become `new_start..`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) new_start: u32,
}

/// The pieces, checked and arranged for the merge.
pub(crate) struct Plan {
    /// The pieces, empty ones left out.
    pub(crate) pieces: Vec<Piece>,
    /// By member: its runs, in its own order (and so in the merged order).
    pub(crate) runs: Vec<Vec<Run>>,
    /// By member: the documents no piece takes.
    pub(crate) dropped: Vec<Vec<Range<u32>>>,
    pub(crate) doc_count: u32,
    /// The kept documents' total length per field.
    pub(crate) total_tokens: [u64; 2],
}

impl Plan {
    /// Checks `pieces` against `members`: each names a member and lies
    /// within its documents, and each member's pieces come in its own
    /// order without overlapping (so every term's postings stay in order).
    pub(crate) fn new(members: &[&Index], pieces: &[Piece]) -> Result<Plan, String> {
        let mut runs: Vec<Vec<Run>> = vec![Vec::new(); members.len()];
        let mut kept = Vec::with_capacity(pieces.len());
        let mut doc_count = 0u32;
        let mut total_tokens = [0u64; 2];
        for p in pieces {
            let m = members.get(p.member).ok_or_else(|| {
                format!("a piece names member {}, of {}", p.member, members.len())
            })?;
            if p.docs.start > p.docs.end || p.docs.end > m.doc_count() {
                return Err(format!(
                    "a piece takes documents {}..{} of a member of {}",
                    p.docs.start,
                    p.docs.end,
                    m.doc_count()
                ));
            }
            if p.docs.is_empty() {
                continue;
            }
            let member_runs = &mut runs[p.member];
            if member_runs.last().is_some_and(|r| r.end > p.docs.start) {
                return Err(format!(
                    "member {}'s pieces overlap or come out of order",
                    p.member
                ));
            }
            member_runs.push(Run {
                start: p.docs.start,
                end: p.docs.end,
                new_start: doc_count,
            });
            doc_count = doc_count
                .checked_add(p.docs.len() as u32)
                .filter(|&n| n < u32::MAX - 1)
                .ok_or("the pieces hold more documents than one index can")?;
            let norms = m
                .field_norms()
                .map_err(|_| "a member's field lengths are damaged")?;
            for field in Field::ALL {
                total_tokens[field as usize] += if p.docs == (0..m.doc_count()) {
                    m.meta().total_tokens[field as usize]
                } else {
                    fieldnorm::sum_of(norms.field(field), p.docs.clone())
                        .ok_or("a field length is missing")?
                };
            }
            kept.push(p.clone());
        }
        let dropped = members
            .iter()
            .zip(&runs)
            .map(|(m, runs)| {
                let mut gaps = Vec::new();
                let mut at = 0;
                for r in runs {
                    if at < r.start {
                        gaps.push(at..r.start);
                    }
                    at = r.end;
                }
                if at < m.doc_count() {
                    gaps.push(at..m.doc_count());
                }
                gaps
            })
            .collect();
        Ok(Plan {
            pieces: kept,
            runs,
            dropped,
            doc_count,
            total_tokens,
        })
    }
}
