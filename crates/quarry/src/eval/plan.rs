//! From an analyzed [`Query`] to what runs: one of the tuned flat paths
//! when the query's shape allows, else a tree of composable scorers.
//!
//! - A disjunction of terms (any fields and boosts, optionally minus
//!   terms) runs the tuned block-max MaxScore of [`super::disjunction`],
//!   or, with many terms, the windowed term-at-a-time of [`super::long`].
//! - A conjunction of terms (optionally minus terms) runs
//!   [`super::conjunction`].
//! - One exact phrase runs [`super::phrase::phrase_union`].
//! - Everything else becomes a [`Scorer`] tree ([`super::combine`]) run by
//!   the collectors of [`super::generic`].
//!
//! Boosts are multiplied down to the leaves (a leaf's weight carries the
//! product of its own boost, every enclosing boost, and the field boost).
//! Expansions (prefix, fuzzy) are resolved here against the words of the
//! documents and reported.

use std::cell::{OnceCell, RefCell};

use crate::error::Result;
use crate::fieldnorm::FieldNorms;
use crate::fst_check::LookupPath;
use crate::index::{Index, TermLookup};
use crate::query::{BoolQuery, ExpansionKind, Query};
use crate::schema::Field;
use crate::search::{Expansion, SearchOptions};

use super::collect::Exclusion;
use super::combine::{Conjunction, Exclude, ReqOpt, Union};
use super::phrase::PhraseField;
use super::phrase_scorer::PhraseScorer;
use super::scorer::{BoxScorer, Scorer, TermLeaf};
use super::term::TermScorer;
use super::{groups::Combine, long::LONG_QUERY_SCORERS};
use crate::set::Globals;

use super::windowed::{Fold, Windowed, WINDOWED_FROM};

/// Expansions of at most this many terms are spread out in a top-level
/// union (each term bounded and skipped on its own); larger ones stay one
/// windowed max, as the union's per-candidate work grows with its children.
const SPREAD_EXPANSIONS_MAX: usize = 8;

/// Expansions of at most this many terms beside other terms run on the
/// tuned disjunction with grouped scores (measured on `p* word` queries:
/// about 20% faster than the scorer tree up to here; beyond, the scorers
/// are too many for MaxScore anyway, see [`LONG_QUERY_SCORERS`]).
const FLAT_EXPANSIONS_MAX: usize = 48;

/// What runs.
pub(crate) enum Plan<'a> {
    /// Matches nothing.
    Nothing,
    /// A disjunction of (term, field) scorers, in scoring order.
    FlatOr {
        scorers: Vec<TermScorer<'a>>,
        exclusion: Option<Exclusion<'a>>,
        combine: Combine,
    },
    /// A conjunction: `clauses` groups of scorers (by `TermScorer::term`).
    FlatAnd {
        scorers: Vec<TermScorer<'a>>,
        clauses: usize,
        exclusion: Option<Exclusion<'a>>,
    },
    /// One exact phrase, per field.
    Phrase { fields: Vec<PhraseField<'a>> },
    /// Anything else.
    Tree(Root<'a>),
}

/// The top of a scorer tree, in the shape its collector exploits.
pub(crate) enum Root<'a> {
    /// Documents of any child (MaxScore). Children come in groups
    /// (`group[i]` of child `i`, non-decreasing): a document scores the sum,
    /// over the groups in order, of the best of its group's children. A
    /// plain clause is a group of one; an expansion's terms form one group,
    /// so each of its terms is bounded, skipped and looked up on its own.
    Any {
        children: Vec<BoxScorer<'a>>,
        group: Vec<usize>,
    },
    /// The documents of `required`, plus `optional`'s score where it
    /// matches (optional lookups skipped when they cannot matter).
    ReqOpt {
        required: BoxScorer<'a>,
        optional: BoxScorer<'a>,
    },
    /// Documents of any child, scored by the best (expansions).
    Max(Vec<BoxScorer<'a>>),
    /// Any other scorer.
    One(BoxScorer<'a>),
}

/// Builds plans for one index and one set of options, recording the
/// expansions it resolves.
pub(crate) struct Planner<'a, 'o> {
    pub(crate) index: &'a Index,
    pub(crate) options: &'o SearchOptions,
    pub(crate) expansions: Vec<Expansion>,
    /// Every pattern expanded so far (see [`Planner::expand`]).
    pub(super) expanded: Vec<(ExpansionKind, String, Expansion)>,
    /// Builds the plain combinations (child by child), whose explanations
    /// show every child, instead of windowed ones.
    pub(crate) explaining: bool,
    /// For a member of an index set: the set's statistics and expansions,
    /// which score in place of this index's own.
    pub(super) globals: Option<&'o Globals<'o>>,
    /// Per field, the dictionary path of the last term looked up there:
    /// terms looked up in key order (an expansion's) share most of it.
    /// Made by the first expansion; a query of words alone looks each up
    /// from the root.
    pub(super) paths: RefCell<Option<Box<[LookupPath; 2]>>>,
    /// The index's dictionary and term records, and its field lengths,
    /// made by the first leaf that needs them (see [`Planner::lookup`]).
    pub(super) lookup: OnceCell<TermLookup<'a>>,
    pub(super) norms: OnceCell<FieldNorms<'a>>,
}

impl<'a, 'o> Planner<'a, 'o> {
    /// A planner for `index` and `options`; `explaining` builds the plain
    /// combinations, whose explanations show every child.
    pub(crate) fn new(index: &'a Index, options: &'o SearchOptions, explaining: bool) -> Self {
        Planner {
            index,
            options,
            expansions: Vec::new(),
            expanded: Vec::new(),
            explaining,
            globals: None,
            paths: RefCell::default(),
            lookup: OnceCell::new(),
            norms: OnceCell::new(),
        }
    }

    /// A planner for a member of an index set, scoring with the set's
    /// `globals`.
    pub(crate) fn in_set(
        index: &'a Index,
        options: &'o SearchOptions,
        explaining: bool,
        globals: &'o Globals<'o>,
    ) -> Self {
        Planner {
            globals: Some(globals),
            ..Planner::new(index, options, explaining)
        }
    }

    /// Documents and `field`'s average length as BM25 sees them: this
    /// index's, or its set's.
    pub(super) fn collection(&self, field: Field) -> (u32, f64) {
        match self.globals {
            Some(g) => (g.doc_count(), g.avg_field_len(field)),
            None => (self.index.doc_count(), self.index.avg_field_len(field)),
        }
    }

    /// `term`'s document frequency in `field` as BM25 sees it: this
    /// index's (`local`), or its set's.
    pub(super) fn doc_freq(&self, field: Field, term: &str, local: u32) -> Result<u32> {
        match self.globals {
            Some(g) => g.doc_freq(field, term),
            None => Ok(local),
        }
    }

    /// The plan of `query`, using a tuned flat path where one applies.
    pub(crate) fn plan(&mut self, query: &Query) -> Result<Plan<'a>> {
        if let Some(plan) = self.flat(query)? {
            return Ok(plan);
        }
        Ok(match self.root(query, 1.0)? {
            Some(root) => Plan::Tree(root),
            None => Plan::Nothing,
        })
    }

    /// A flat path, if the query has one's shape.
    fn flat(&mut self, query: &Query) -> Result<Option<Plan<'a>>> {
        match query {
            Query::Term(_) => {
                let scorers = self.term_scorers(std::slice::from_ref(query), 1.0)?;
                Ok(Some(Plan::FlatOr {
                    scorers,
                    exclusion: None,
                    combine: Combine::Sum,
                }))
            }
            Query::Phrase(p) if p.slop == 0 => Ok(Some(Plan::Phrase {
                fields: self.phrase_fields(p, 1.0)?,
            })),
            Query::Bool(b) => {
                let all_terms = |qs: &[Query]| qs.iter().all(|q| matches!(q, Query::Term(_)));
                let terms_or_expansions = |qs: &[Query]| {
                    qs.iter()
                        .all(|q| matches!(q, Query::Term(_) | Query::Expansion(_)))
                };
                if b.must.is_empty()
                    && all_terms(&b.must_not)
                    && !all_terms(&b.should)
                    && terms_or_expansions(&b.should)
                {
                    return self.grouped_or(b);
                }
                if !all_terms(&b.must_not) || !all_terms(&b.must) || !all_terms(&b.should) {
                    return Ok(None);
                }
                if b.must.is_empty() && b.should.is_empty() {
                    return Ok(Some(Plan::Nothing));
                }
                if !b.must.is_empty() && !b.should.is_empty() {
                    return Ok(None);
                }
                let exclusion = Exclusion::new(
                    self.term_scorers(&b.must_not, 1.0)?
                        .into_iter()
                        .map(|s| s.cursor)
                        .collect(),
                );
                if b.must.is_empty() {
                    let scorers = self.term_scorers(&b.should, b.boost)?;
                    Ok(Some(Plan::FlatOr {
                        scorers,
                        exclusion,
                        combine: Combine::Sum,
                    }))
                } else {
                    let scorers = self.term_scorers(&b.must, b.boost)?;
                    let present = scorers.iter().map(|s| s.term).collect::<Vec<_>>();
                    // A required term the index lacks: nothing matches.
                    if (0..b.must.len()).any(|t| !present.contains(&t)) {
                        return Ok(Some(Plan::Nothing));
                    }
                    Ok(Some(Plan::FlatAnd {
                        scorers,
                        clauses: b.must.len(),
                        exclusion,
                    }))
                }
            }
            _ => Ok(None),
        }
    }

    /// A disjunction of terms and expansions (minus terms) on the tuned
    /// path, each expansion's terms one group scored by their best; `None`
    /// (the scorer tree) when an expansion is large or the scorers many.
    fn grouped_or(&mut self, b: &BoolQuery) -> Result<Option<Plan<'a>>> {
        let mut leaves: Vec<Query> = Vec::new();
        let mut clause_of: Vec<usize> = Vec::new();
        let mut reports = Vec::new();
        for (c, q) in b.should.iter().enumerate() {
            match q {
                Query::Expansion(e) => {
                    let expansion = self.expand(e)?;
                    if expansion.terms.len() > FLAT_EXPANSIONS_MAX {
                        return Ok(None);
                    }
                    for term in &expansion.terms {
                        leaves.push(Query::Term(crate::query::TermQuery {
                            term: term.clone(),
                            fields: e.fields,
                            boost: e.boost,
                        }));
                        clause_of.push(c);
                    }
                    reports.push(expansion);
                }
                _ => {
                    leaves.push(q.clone());
                    clause_of.push(c);
                }
            }
        }
        let scorers = self.term_scorers(&leaves, b.boost)?;
        if scorers.len() >= LONG_QUERY_SCORERS {
            return Ok(None);
        }
        let keys = scorers
            .iter()
            .map(|s| (s.term, clause_of[s.term]))
            .collect();
        let exclusion = Exclusion::new(
            self.term_scorers(&b.must_not, 1.0)?
                .into_iter()
                .map(|s| s.cursor)
                .collect(),
        );
        self.expansions.extend(reports);
        Ok(Some(Plan::FlatOr {
            scorers,
            exclusion,
            combine: Combine::Groups(keys),
        }))
    }

    /// The root of the scorer tree of `query` (`None`: matches nothing).
    pub(crate) fn root(&mut self, query: &Query, boost: f64) -> Result<Option<Root<'a>>> {
        match query {
            Query::Bool(b) if b.must_not.is_empty() => {
                let boost = boost * b.boost;
                let Some(must) = self.all(&b.must, boost)? else {
                    return Ok(None);
                };
                if must.is_none() && (2..LONG_QUERY_SCORERS).contains(&b.should.len()) {
                    return self.grouped_any(&b.should, boost);
                }
                let should = self.each(&b.should, boost)?;
                Ok(match (must, should.is_empty()) {
                    (Some(required), false) => Some(Root::ReqOpt {
                        required,
                        optional: self.union(should, "sum of (optional):"),
                    }),
                    (Some(required), true) => Some(Root::One(required)),
                    (None, false) => Some(Root::One(self.union(should, "sum of (any):"))),
                    (None, true) => None,
                })
            }
            Query::Expansion(e) => {
                let children = self.expansion_children(e, boost)?;
                Ok((!children.is_empty()).then_some(Root::Max(children)))
            }
            _ => Ok(self.scorer(query, boost)?.map(Root::One)),
        }
    }

    /// A top-level union of `clauses`, an expansion's terms spread out as
    /// one group (see [`Root::Any`]). An expansion of many terms is one
    /// windowed max that knows its siblings' window bounds (see
    /// [`Windowed::with_rest`]).
    fn grouped_any(&mut self, clauses: &[Query], boost: f64) -> Result<Option<Root<'a>>> {
        let mut built: Vec<Vec<BoxScorer<'a>>> = Vec::with_capacity(clauses.len());
        let mut windowed: Vec<(usize, Windowed<'a>)> = Vec::new();
        for (k, q) in clauses.iter().enumerate() {
            let found = match q {
                Query::Expansion(e) => {
                    let terms = self.resolve(e)?;
                    if terms.len() <= SPREAD_EXPANSIONS_MAX {
                        self.term_children(&terms, e, boost)?
                    } else if self.explaining {
                        self.max_of_terms(&terms, e, boost)?.into_iter().collect()
                    } else {
                        if let Some(w) = self.windowed_max(&terms, e, boost)? {
                            windowed.push((k, w));
                        }
                        Vec::new()
                    }
                }
                _ => self.scorer(q, boost)?.into_iter().collect(),
            };
            built.push(found);
        }
        // Each windowed max gets fresh scorers of the other clauses, for
        // their window bounds only (a many-term expansion among them: its
        // bound).
        let fixed: Vec<(usize, f64)> = windowed.iter().map(|(k, w)| (*k, w.max_score())).collect();
        let n = built.iter().map(Vec::len).sum::<usize>() + windowed.len();
        for (k, w) in windowed {
            let mut rest = Vec::new();
            let mut constant = 0.0;
            for (j, q) in clauses.iter().enumerate() {
                if j == k {
                    continue;
                }
                match fixed.iter().find(|(i, _)| *i == j) {
                    Some(&(_, max)) => constant += max,
                    None => rest.extend(self.scorer(q, boost)?),
                }
            }
            built[k].push(Box::new(w.with_rest(rest, constant, n)));
        }
        let mut children = Vec::new();
        let mut group = Vec::new();
        let mut g = 0;
        for found in built {
            if !found.is_empty() {
                group.extend(std::iter::repeat_n(g, found.len()));
                children.extend(found);
                g += 1;
            }
        }
        Ok(match children.len() {
            0 => None,
            1 => children.pop().map(Root::One),
            _ => Some(Root::Any { children, group }),
        })
    }

    /// The scorer of any query (`None`: matches nothing).
    pub(crate) fn scorer(&mut self, query: &Query, boost: f64) -> Result<Option<BoxScorer<'a>>> {
        match query {
            Query::Term(q) => {
                let mut leaves: Vec<BoxScorer<'a>> = Vec::new();
                for field in q.fields.iter() {
                    if let Some((inner, info)) =
                        self.term_leaf(&q.term, field, boost * q.boost, 0, self.explaining)?
                    {
                        leaves.push(Box::new(TermLeaf { inner, info }));
                    }
                }
                Ok(self.one_or_union(leaves, "sum of (fields):"))
            }
            Query::Phrase(p) => {
                let leaves: Vec<BoxScorer<'a>> = self
                    .phrase_fields_with_info(p, boost, self.explaining)?
                    .into_iter()
                    .map(|(f, info)| Box::new(PhraseScorer::new(f, p.slop, info)) as BoxScorer<'a>)
                    .collect();
                Ok(self.one_or_union(leaves, "sum of (fields):"))
            }
            Query::Expansion(e) => self.expansion_max(e, boost),
            Query::Bool(b) => self.bool_scorer(b, boost),
        }
    }

    fn bool_scorer(&mut self, b: &BoolQuery, boost: f64) -> Result<Option<BoxScorer<'a>>> {
        let boost = boost * b.boost;
        let Some(must) = self.all(&b.must, boost)? else {
            return Ok(None);
        };
        let should = self.each(&b.should, boost)?;
        let core: BoxScorer<'a> = match (must, should.is_empty()) {
            (Some(required), false) => Box::new(ReqOpt {
                required,
                optional: self.union(should, "sum of (optional):"),
            }),
            (Some(required), true) => required,
            (None, false) => self.union(should, "sum of (any):"),
            (None, true) => return Ok(None),
        };
        let excluded = self.each(&b.must_not, 1.0)?;
        if excluded.is_empty() {
            return Ok(Some(core));
        }
        Ok(Some(Box::new(Exclude::new(
            core,
            self.union(excluded, "any of"),
        ))))
    }

    /// The conjunction of `queries`: `Some(None)` when there are none,
    /// `None` when one of them matches nothing.
    fn all(&mut self, queries: &[Query], boost: f64) -> Result<Option<Option<BoxScorer<'a>>>> {
        let mut out = Vec::with_capacity(queries.len());
        for q in queries {
            match self.scorer(q, boost)? {
                Some(s) => out.push(s),
                None => return Ok(None),
            }
        }
        Ok(Some(match out.len() {
            0 => None,
            1 => out.pop(),
            _ => Some(Box::new(Conjunction::new(out))),
        }))
    }

    /// The scorers of the `queries` that can match.
    fn each(&mut self, queries: &[Query], boost: f64) -> Result<Vec<BoxScorer<'a>>> {
        let mut out = Vec::with_capacity(queries.len());
        for q in queries {
            if let Some(s) = self.scorer(q, boost)? {
                out.push(s);
            }
        }
        Ok(out)
    }
}

impl<'a> Planner<'a, '_> {
    fn one_or_union(
        &self,
        mut leaves: Vec<BoxScorer<'a>>,
        label: &'static str,
    ) -> Option<BoxScorer<'a>> {
        match leaves.len() {
            0 => None,
            1 => leaves.pop(),
            _ => Some(self.union(leaves, label)),
        }
    }

    /// The union of `scorers` (one scorer: itself), windowed when there
    /// are many.
    fn union(&self, mut scorers: Vec<BoxScorer<'a>>, label: &'static str) -> BoxScorer<'a> {
        if scorers.len() == 1 {
            if let Some(s) = scorers.pop() {
                return s;
            }
        }
        if scorers.len() >= WINDOWED_FROM && !self.explaining {
            return Box::new(Windowed::new(scorers, Fold::Sum, self.index.doc_count()));
        }
        Box::new(Union::new(scorers, label))
    }

    /// The max of `children`, windowed when there are many.
    pub(super) fn max(&self, children: Vec<BoxScorer<'a>>) -> BoxScorer<'a> {
        if children.len() >= WINDOWED_FROM && !self.explaining {
            return Box::new(Windowed::new(children, Fold::Max, self.index.doc_count()));
        }
        Box::new(Union::max(children))
    }
}
