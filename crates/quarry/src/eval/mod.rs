//! Query evaluation: document-at-a-time over postings cursors, collecting
//! the top k by BM25 score (ties: lower document id first).
//!
//! - [`term`]: one (term, field) scorer with its upper bounds.
//! - [`sparse_pass`], [`disjunction`], [`conjunction`]: the tuned paths for
//!   flat OR and AND of terms (the sparse pass, block-max MaxScore,
//!   block-max conjunction windows).
//! - [`phrase`]: phrases, exact and sloppy.
//! - [`collect`]: the top-k collector and its bar.
//!
//! Pruning is exact: every document it skips provably scores at most the
//! current k-th score, and the scores of the documents it keeps are summed
//! in the same order as exhaustive evaluation does, so the top k (ids,
//! scores and tie order) equal exhaustive evaluation's.

pub(crate) mod collect;
pub(crate) mod combine;
pub(crate) mod conjunction;
pub(crate) mod disjunction;
pub(crate) mod expand;
pub mod explain;
pub(crate) mod generic;
pub(crate) mod groups;
pub(crate) mod long;
pub(crate) mod phrase;
pub(crate) mod phrase_scorer;
pub(crate) mod plan;
mod plan_expansion;
mod plan_leaf;
pub(crate) mod scorer;
pub(crate) mod sparse_pass;
pub(crate) mod term;
pub(crate) mod windowed;
