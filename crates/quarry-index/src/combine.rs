//! The sections of one index from the builders of consecutive runs of
//! documents, byte for byte what one builder given all their documents
//! in order writes.
//!
//! A parallel build inverts its chunks on several threads and combines
//! their builders here instead of writing each as a segment and merging
//! the segments: a term's postings are the builders' streams of it read
//! one after another, each document id moved up by the documents of the
//! builders before; surface form counts add up (the builders hold
//! different documents); stored blocks are moved as they are (a chunk
//! ends where the store closes a block). The postings are then written in
//! key ranges on `threads` threads while the dictionary's fst is built
//! on another, as a merge writes them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use quarry::format::SectionKind;
use quarry::postings::TermEncoder;
use quarry::schema::{Field, Meta};
use quarry::sources::Sources;
use quarry::store::StoreWriter;
use quarry::termdict::TermInfoWriter;
use quarry::{fieldnorm, DocId};

use crate::builder::{FieldIndex, IndexBuilder, Surfaces};
use crate::forms::Forms;

/// Surface forms below this many are built on the calling thread:
/// starting a thread would cost more.
const SURFACES_WORTH_A_THREAD: usize = 4096;

/// Every section of the index of `builders`' documents, in order, in
/// file order; `threads` (at least 1) write the postings.
pub(crate) fn finish(builders: Vec<IndexBuilder>, threads: usize) -> Vec<(SectionKind, Vec<u8>)> {
    let mut analyzer = None;
    let mut fields = Vec::with_capacity(builders.len());
    let mut surfaces = Vec::with_capacity(builders.len());
    let mut bases = Vec::with_capacity(builders.len());
    let mut store = StoreWriter::new();
    let mut sources = Sources::new();
    let mut doc_count = 0u32;
    for b in builders {
        analyzer.get_or_insert(b.analyzer);
        bases.push(doc_count);
        doc_count += b.doc_count;
        store.append(b.store);
        for run in b.sources.runs() {
            sources.push(run.file.as_ref(), run.docs);
        }
        fields.push(b.fields);
        surfaces.push(b.surfaces);
    }
    let analyzer = analyzer.unwrap_or_default();
    let forms: usize = surfaces.iter().map(|s| s.counts.len()).sum();
    let surface = Beside::new(move || surface_section(&surfaces));
    let (sections, surface) = std::thread::scope(|scope| {
        let started = if forms >= SURFACES_WORTH_A_THREAD {
            surface.start(scope, "quarry-surface")
        } else {
            None
        };
        let sections = term_sections(&fields, &bases, doc_count, threads);
        (sections, surface.result(started))
    });
    let total_tokens = |f: Field| fields.iter().map(|b| b[f as usize].total_tokens).sum();
    let meta = Meta {
        doc_count,
        language: analyzer.language(),
        total_tokens: [total_tokens(Field::Title), total_tokens(Field::Body)],
    };
    let lengths = |f: Field| -> Vec<u32> {
        fields
            .iter()
            .flat_map(|b| b[f as usize].lengths.iter().copied())
            .collect()
    };
    let norms = fieldnorm::encode(&[lengths(Field::Title), lengths(Field::Body)]);
    drop(fields);
    let (store_index, store_data) = store.finish();
    let (dict, infos, postings, positions) = sections.take();
    vec![
        (SectionKind::Meta, meta.encode()),
        (SectionKind::TermDict, dict),
        (SectionKind::TermInfo, infos),
        (SectionKind::Postings, postings),
        (SectionKind::Positions, positions),
        (SectionKind::FieldNorms, norms),
        (SectionKind::StoreIndex, store_index),
        (SectionKind::StoreData, store_data),
        (SectionKind::Surface, surface),
        (SectionKind::Sources, sources.encode()),
    ]
}

/// TERMDICT, TERMINFO, POSTINGS and POSITIONS.
struct TermSections {
    dict: Vec<u8>,
    infos: Vec<u8>,
    postings: Vec<u8>,
    positions: Vec<u8>,
}

impl TermSections {
    fn take(self) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
        (self.dict, self.infos, self.postings, self.positions)
    }
}

/// One term of the combined index: its field, its text, and where its
/// builders' ids are in the list of them.
struct Term<'a> {
    field: Field,
    text: &'a str,
    /// `(builder, term id)` pairs, in builder order.
    parts: std::ops::Range<usize>,
    doc_freq: u32,
}

/// The term sections of `fields` (by builder; builder `b`'s documents
/// start at `bases[b]`).
fn term_sections(
    fields: &[[FieldIndex; 2]],
    bases: &[DocId],
    doc_count: u32,
    threads: usize,
) -> TermSections {
    let mut terms = Vec::new();
    let mut parts = Vec::new();
    for field in Field::ALL {
        let lists: Vec<Vec<(&str, u32)>> = fields
            .iter()
            .map(|b| {
                let f = &b[field as usize];
                key_order(&f.ids, f.terms.len(), &f.sorted)
            })
            .collect();
        merge_sorted(&lists, |text, ids| {
            let start = parts.len();
            parts.extend_from_slice(ids);
            let doc_freq = ids
                .iter()
                .map(|&(b, id)| fields[b][field as usize].terms[id as usize].doc_freq)
                .sum();
            terms.push(Term {
                field,
                text,
                parts: start..parts.len(),
                doc_freq,
            });
        });
    }
    let avg_len = Field::ALL.map(|f| {
        let total: u64 = fields.iter().map(|b| b[f as usize].total_tokens).sum();
        total as f64 / f64::from(doc_count.max(1))
    });
    let write = |range: &[Term<'_>]| {
        let mut out = RangeOut::default();
        let mut encoders = avg_len.map(TermEncoder::new);
        let mut positions = Vec::new();
        for t in range {
            out.records.push((
                t.doc_freq,
                out.postings.len() as u64,
                out.positions.len() as u64,
            ));
            let encoder = &mut encoders[t.field as usize];
            for &(b, id) in &parts[t.parts.clone()] {
                let f = &fields[b][t.field as usize];
                f.terms[id as usize].push_to(
                    &f.pool,
                    &f.lengths,
                    bases[b],
                    encoder,
                    &mut positions,
                    &mut out.positions,
                );
            }
            encoder
                .finish(&mut out.postings)
                .expect("writes to memory cannot fail");
        }
        out
    };
    let ranges = key_ranges(&terms, threads.max(1));
    let terms = &terms;
    let (dict, outs) = if ranges.len() == 1 {
        (dictionary(terms), vec![write(terms)])
    } else {
        let dict = Beside::new(|| dictionary(terms));
        let rest: Vec<Beside<_, _>> = ranges[1..]
            .iter()
            .map(|r| {
                let range = &terms[r.clone()];
                Beside::new(move || write(range))
            })
            .collect();
        std::thread::scope(|scope| {
            let dict_started = dict.start(scope, "quarry-termdict");
            let started: Vec<_> = rest
                .iter()
                .map(|r| r.start(scope, "quarry-postings"))
                .collect();
            let mut outs = vec![write(&terms[ranges[0].clone()])];
            for (r, s) in rest.iter().zip(started) {
                outs.push(r.result(s));
            }
            (dict.result(dict_started), outs)
        })
    };
    let mut infos = TermInfoWriter::new();
    let (mut postings, mut positions) = (Vec::new(), Vec::new());
    for out in outs {
        let (p0, q0) = (postings.len() as u64, positions.len() as u64);
        for (df, p, q) in out.records {
            infos.push(df, p0 + p, q0 + q);
        }
        if postings.is_empty() {
            postings = out.postings;
            positions = out.positions;
        } else {
            postings.extend_from_slice(&out.postings);
            positions.extend_from_slice(&out.positions);
        }
    }
    TermSections {
        dict,
        infos: infos.finish(postings.len() as u64, positions.len() as u64),
        postings,
        positions,
    }
}

/// What one key range of the terms writes: its records, with postings
/// and positions offsets from the range's start.
#[derive(Default)]
struct RangeOut {
    records: Vec<(u32, u64, u64)>,
    postings: Vec<u8>,
    positions: Vec<u8>,
}

/// `terms` cut into at most `n` consecutive ranges of about equal
/// postings (by document frequency).
fn key_ranges(terms: &[Term<'_>], n: usize) -> Vec<std::ops::Range<usize>> {
    let total: u64 = terms.iter().map(|t| u64::from(t.doc_freq)).sum();
    let mut ranges = Vec::with_capacity(n);
    let (mut start, mut sum) = (0, 0u64);
    for (i, t) in terms.iter().enumerate() {
        sum += u64::from(t.doc_freq);
        if ranges.len() + 1 < n && sum * n as u64 >= total * (ranges.len() as u64 + 1) {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    ranges.push(start..terms.len());
    ranges
}

/// TERMDICT: field id and term text → ordinal, in order.
fn dictionary(terms: &[Term<'_>]) -> Vec<u8> {
    let mut dict = fst::MapBuilder::memory();
    let mut key = Vec::new();
    for (ord, t) in terms.iter().enumerate() {
        key.clear();
        key.push(t.field.id());
        key.extend_from_slice(t.text.as_bytes());
        dict.insert(&key, ord as u64)
            .expect("keys are inserted in sorted order, once each");
    }
    dict.into_inner().expect("in-memory fst writes cannot fail")
}

/// The SURFACE section: an `fst::Map` from surface form to the number of
/// documents that hold it, over the builders.
fn surface_section(surfaces: &[Surfaces]) -> Vec<u8> {
    let lists: Vec<Vec<(&str, u32)>> = surfaces
        .iter()
        .map(|s| key_order(&s.ids, s.counts.len(), &s.sorted))
        .collect();
    let mut map = fst::MapBuilder::memory();
    merge_sorted(&lists, |form, ids| {
        let docs: u64 = ids
            .iter()
            .map(|&(b, id)| u64::from(surfaces[b].counts[id as usize].1))
            .sum();
        map.insert(form, docs)
            .expect("keys are inserted in sorted order, once each");
    });
    map.into_inner().expect("in-memory fst writes cannot fail")
}

/// Calls `each` for every key of `lists` (each sorted by bytes, its keys
/// distinct) in byte order, with the `(list, id)` pairs that hold it in
/// list order.
fn merge_sorted<'a>(lists: &[Vec<(&'a str, u32)>], mut each: impl FnMut(&'a str, &[(usize, u32)])) {
    if let [only] = lists {
        for &(key, id) in only {
            each(key, &[(0, id)]);
        }
        return;
    }
    let mut next = vec![0usize; lists.len()];
    let mut heap: BinaryHeap<Reverse<(&[u8], usize)>> = lists
        .iter()
        .enumerate()
        .filter_map(|(l, list)| Some(Reverse((list.first()?.0.as_bytes(), l))))
        .collect();
    let mut ids = Vec::with_capacity(lists.len());
    while let Some(Reverse((key, l))) = heap.pop() {
        ids.clear();
        let mut push = |l: usize, heap: &mut BinaryHeap<_>| {
            ids.push((l, lists[l][next[l]].1));
            next[l] += 1;
            if let Some(&(k, _)) = lists[l].get(next[l]) {
                heap.push(Reverse((k.as_bytes(), l)));
            }
        };
        push(l, &mut heap);
        while let Some(&Reverse((k, l))) = heap.peek() {
            if k != key {
                break;
            }
            heap.pop();
            push(l, &mut heap);
        }
        let text = lists[ids[0].0][next[ids[0].0] - 1].0;
        each(text, &ids);
    }
}

/// The forms of `forms` and their ids (dense, from 0 to `count`), sorted
/// by the forms' bytes: in the order of `sealed` (ids already in that
/// order, see [`sorted_ids`]) if it holds every id, else sorted here (a
/// builder not sealed, or given new forms since).
pub(crate) fn key_order<'a>(forms: &'a Forms, count: usize, sealed: &[u32]) -> Vec<(&'a str, u32)> {
    let pairs = forms.iter().map(|(f, (id, _))| (f, id));
    if sealed.len() != count {
        return sorted_by_bytes(pairs);
    }
    let mut by_id = vec![""; sealed.len()];
    for (f, id) in pairs {
        by_id[id as usize] = f;
    }
    sealed.iter().map(|&id| (by_id[id as usize], id)).collect()
}

/// The ids of `forms`, in the byte order of their forms.
pub(crate) fn sorted_ids(forms: &Forms) -> Vec<u32> {
    sorted_by_bytes(forms.iter().map(|(f, (id, _))| (f, id)))
        .into_iter()
        .map(|(_, id)| id)
        .collect()
}

/// `(key, id)` pairs sorted by the key's bytes, as an fst is built.
///
/// Each key's first 8 bytes, big-endian, are compared first (zero-padded, so
/// a shorter key sorts first; equal prefixes fall back to the whole keys):
/// most comparisons then stay in the vector instead of chasing two pointers
/// into a heap scattered by the hash maps. Sorting 368k surface forms of
/// `mix.jsonl` took 130 ms by plain byte comparison.
pub(crate) fn sorted_by_bytes<'a>(
    pairs: impl Iterator<Item = (&'a str, u32)>,
) -> Vec<(&'a str, u32)> {
    let prefix = |s: &str| {
        let mut b = [0u8; 8];
        let n = s.len().min(8);
        b[..n].copy_from_slice(&s.as_bytes()[..n]);
        u64::from_be_bytes(b)
    };
    let mut keyed: Vec<(u64, &str, u32)> = pairs.map(|(s, id)| (prefix(s), s, id)).collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    keyed.into_iter().map(|(_, s, id)| (s, id)).collect()
}

/// Work run beside the calling thread when a thread can be started, and
/// on it, when its result is asked for, if none could.
struct Beside<F, T> {
    work: Mutex<Option<F>>,
    done: Mutex<Option<T>>,
}

impl<F: FnOnce() -> T + Send, T: Send> Beside<F, T> {
    fn new(work: F) -> Self {
        Beside {
            work: Mutex::new(Some(work)),
            done: Mutex::new(None),
        }
    }

    /// Runs the work here if it was not yet taken.
    fn run(&self) {
        let work = lock(&self.work).take();
        if let Some(work) = work {
            let out = work();
            *lock(&self.done) = Some(out);
        }
    }

    /// Starts the work on a thread of `scope`, if one can be started
    /// (else [`Beside::result`] runs it).
    fn start<'scope>(
        &'scope self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        name: &str,
    ) -> Option<std::thread::ScopedJoinHandle<'scope, ()>> {
        std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(scope, || self.run())
            .ok()
    }

    /// The work's result, once its thread (`started`) ended; run here if
    /// no thread took it. A panic of the thread goes on here.
    fn result(&self, started: Option<std::thread::ScopedJoinHandle<'_, ()>>) -> T {
        if let Some(Err(panic)) = started.map(std::thread::ScopedJoinHandle::join) {
            std::panic::resume_unwind(panic);
        }
        self.run();
        lock(&self.done).take().expect("the work ran")
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry::store::{record_len, BlockCut};

    /// Documents with shared and distinct words, cased and stemmed
    /// forms, empty titles, and bodies from a few bytes to over a stored
    /// block.
    fn documents(n: usize) -> Vec<(String, String, String)> {
        (0..n)
            .map(|i| {
                let words = [
                    "Search",
                    "searching",
                    "engine",
                    "rust",
                    "Fast",
                    "index",
                    "postings",
                ];
                let mut body = String::new();
                for k in 0..(i * 37) % 900 + 1 {
                    body.push_str(words[(i + k * k) % words.len()]);
                    body.push(' ');
                    if k % 11 == 0 {
                        body.push_str(&format!("rare{i}x{k} "));
                    }
                }
                let title = if i % 4 == 0 {
                    String::new()
                } else {
                    format!("Title {} of {i}", words[i % 7])
                };
                (format!("doc-{i}"), title, body)
            })
            .collect()
    }

    fn builder(docs: &[(String, String, String)]) -> IndexBuilder {
        let mut b = IndexBuilder::default();
        for (id, title, body) in docs {
            b.add(id, title, body).unwrap();
        }
        b
    }

    #[test]
    fn builders_of_parts_combine_into_the_bytes_of_one_builder() {
        let docs = documents(700);
        let whole = builder(&docs).finish();
        // Parts that end where stored blocks close, as a build cuts them.
        let mut cut = BlockCut::default();
        let closes: Vec<usize> = docs
            .iter()
            .enumerate()
            .filter(|(_, (i, t, b))| cut.add(record_len(i, t, b)))
            .map(|(d, _)| d + 1)
            .collect();
        assert!(closes.len() > 8, "{} blocks", closes.len());
        let bounds = [0, closes[1], closes[2], closes[6], docs.len()];
        for threads in [1, 2, 3] {
            for sealed in [false, true] {
                let parts: Vec<IndexBuilder> = bounds
                    .windows(2)
                    .map(|w| {
                        let mut b = builder(&docs[w[0]..w[1]]);
                        if sealed {
                            b.seal();
                        }
                        b
                    })
                    .collect();
                let combined = finish(parts, threads);
                assert_eq!(combined.len(), whole.len());
                for ((k1, a), (k2, b)) in whole.iter().zip(&combined) {
                    assert_eq!(k1, k2);
                    assert!(
                        a == b,
                        "{k1:?} differs ({threads} threads, sealed {sealed})"
                    );
                }
            }
        }
    }

    #[test]
    fn a_builder_given_new_words_after_sealing_is_sorted_again() {
        let docs = documents(40);
        let (head, tail) = docs.split_at(30);
        let mut b = builder(head);
        b.seal();
        for (id, title, body) in tail {
            b.add(id, title, body).unwrap();
        }
        assert!(finish(vec![b], 2) == builder(&docs).finish());
    }

    #[test]
    fn terms_are_cut_into_ranges_of_about_equal_postings() {
        let term = |doc_freq| Term {
            field: Field::Body,
            text: "",
            parts: 0..0,
            doc_freq,
        };
        let terms: Vec<Term<'_>> = [5, 1, 1, 1, 1, 1, 5, 1, 4].into_iter().map(term).collect();
        assert_eq!(key_ranges(&terms, 1), vec![0..9]);
        assert_eq!(key_ranges(&terms, 2), [0..6, 6..9]);
        let three = key_ranges(&terms, 3);
        assert_eq!(three.len(), 3);
        assert_eq!((three[0].start, three[2].end), (0, 9));
        assert!(
            key_ranges(&terms[..1], 4)
                .iter()
                .map(|r| r.len())
                .sum::<usize>()
                == 1
        );
        assert_eq!(key_ranges(&[], 2).len(), 1);
    }
}
