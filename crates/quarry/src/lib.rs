//! Quarry's query engine: open an index file by memory-mapping it, parse
//! queries, rank documents by BM25 and return the top hits.
//!
//! This is the crate to embed. It reads indexes written by the
//! `quarry-index` crate and never writes files itself.
//!
//! - [`Index`]: an open index (`Send + Sync`); [`Index::search`] is the
//!   common case, [`Index::verify`] checks integrity.
//! - [`SearchOptions`]: top k, the default [`Operator`], [`Bm25`] parameters
//!   and field boosts; [`QueryLimits`] bound the work of one query.
//! - [`Query`]: a parsed query; [`snippet::snippet`] marks its terms in text.
//! - [`Index::surface_prefix`], [`Index::surface_fuzzy`], [`Index::suggest`]:
//!   words as written (lowercased, unstemmed), for `gov*`, `goverment~1` and
//!   did-you-mean; [`automaton`] holds the Damerau–Levenshtein automaton.
//! - [`analysis::Analyzer`]: how text becomes terms, shared with the indexer.
//! - [`format`](mod@format) and the component modules ([`termdict`], [`postings`],
//!   [`fieldnorm`], [`store`]): the on-disk format, described in FORMAT.md.
//!
//! ```no_run
//! use quarry::{Index, SearchOptions};
//!
//! let index = Index::open("articles.qidx")?;
//! for hit in index.search("putin modi", &SearchOptions::top(10))? {
//!     println!("{:>8.4}  {}  {}", hit.score, hit.id, hit.title);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod analysis;
pub mod automaton;
pub mod bm25;
mod error;
mod eval;
pub mod fieldnorm;
pub mod format;
mod fst_check;
mod index;
mod limits;
pub mod merge;
mod pages;
pub mod postings;
pub mod query;
pub mod schema;
mod search;
pub mod sections;
mod set;
pub mod snippet;
pub mod sources;
pub mod store;
mod suggest;
mod surface;
pub mod termdict;
mod verify;

pub use bm25::Bm25;
pub use error::{Error, Result};
pub use eval::explain::{Bm25Explanation, Explanation};
pub use index::{DocId, Index};
pub use limits::{Limit, QueryLimits, TooLarge};
pub use query::{Operator, Query};
pub use schema::Field;
pub use search::{Expansion, Hit, SearchOptions, SearchResults, Suggestion};
pub use set::IndexSet;
pub use store::StoredDocument;
pub use surface::{SurfaceMatches, SurfaceWord};
pub use verify::VerifyReport;
