//! Building with several threads and a memory budget.
//!
//! The calling thread reads the inputs and cuts the documents, in input
//! order, into chunks of about [`BuildOptions::chunk_bytes`] of text,
//! each ending where the store closes a block (so the merge copies the
//! stored blocks instead of compressing them again).
//! Worker threads each invert a chunk into an in-memory builder, which is
//! held ([`crate::held`]) until the end, when the builders are combined
//! into the index ([`crate::combine`]), its postings written on every
//! thread. When the builders held pass their share of the budget, they are
//! combined into temporary *segment* files beside the output instead,
//! which are merged in input order at the end ([`quarry::merge`]). A
//! bounded queue keeps at most one waiting chunk per worker, so memory
//! stays bounded by the budget whatever the input size. Combined builders
//! and merged segments give the bytes a single builder of the same
//! documents gives, so the index does not depend on the number of
//! threads, the budget, or where the chunks were cut. With one thread,
//! the chunk is as large as the budget allows and holds no builder
//! besides it: each is written as a segment, and an input that fits one
//! chunk is built in memory and written directly.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use quarry::store::{record_len, BlockCut};
use quarry::Index;

use crate::error::IndexError;
use crate::held::Held;
use crate::input::{self, Document, InputStats, Warning};
use crate::writer::{create_temp, write_index_file};
use crate::IndexBuilder;

/// How a build may use the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// Worker threads that invert documents (at least 1).
    pub threads: usize,
    /// Memory budget for the whole build, in bytes.
    pub memory: u64,
    /// How folders are walked.
    pub walk: input::WalkOptions,
}

/// The default memory budget: 1 GiB.
pub const DEFAULT_MEMORY: u64 = 1 << 30;

/// The least budget a build accepts: 64 MiB.
pub const MIN_MEMORY: u64 = 64 << 20;

impl Default for BuildOptions {
    /// Every core, [`DEFAULT_MEMORY`].
    fn default() -> Self {
        BuildOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory: DEFAULT_MEMORY,
            walk: input::WalkOptions::default(),
        }
    }
}

/// Bytes of memory a worker needs per byte of document text in its
/// chunk: the documents themselves, the builder inverting them (about
/// four times the text, measured on `mix.jsonl`) and the segment bytes
/// written from it, rounded up.
const MEMORY_PER_TEXT_BYTE: u64 = 7;

/// Mapped bytes a merge keeps resident per member, at most (see
/// [`BuildOptions::merge_fan_in`]): the kernel maps a page-cache folio
/// (here up to 2 MiB) whole for each place the merge reads a member at —
/// dictionary, term records, postings, positions, stored documents,
/// surface forms — and about 12 MiB per member were measured on the
/// final merge of 10 million documents. A smaller member keeps at most
/// its size.
const MERGE_BYTES_PER_MEMBER: u64 = 12 << 20;

/// Mapped bytes a merge keeps resident of a member of `size` bytes.
fn resident(size: u64) -> u64 {
    size.clamp(1, MERGE_BYTES_PER_MEMBER)
}

/// Bytes of memory per byte of chunk text, per worker, when several
/// threads share the work, besides the builders held: the chunk's
/// documents and builder, the queued chunks, and what the allocator keeps
/// of memory freed on another thread than allocated it. Measured on the
/// synthetic 3-million-document corpus: about 700 MiB of anonymous memory
/// between two spills for two workers on 32 MiB chunks.
const MEMORY_PER_TEXT_BYTE_SHARED: u64 = 11;

/// Most text per chunk when several threads share the work: each chunk
/// is a builder to combine at the end, and more of them cost more to
/// combine (on `mix.jsonl`, 16 chunks of 8 MiB took 40% longer to combine
/// than 4 of 32), while larger chunks take more of the budget from the
/// builders held (with 32 MiB, `mix.jsonl` no longer fits it) and a last
/// chunk much larger than the others leaves a thread idle.
const PARALLEL_CHUNK_BYTES: u64 = 16 << 20;

/// What a chunk's builder may hold ([`IndexBuilder::held_bytes`]) per
/// byte of [`BuildOptions::chunk_bytes`] before the chunk is cut short:
/// ordinary text of that size is inverted into about 3.5 times it
/// (`mix.jsonl`), while text of nearly all distinct words takes 15 times
/// or more and would overrun the budget.
const BUILDER_BYTES_PER_TEXT_BYTE: u64 = 5;

impl BuildOptions {
    /// Most segments merged at once when the largest is `largest` bytes.
    /// A merge keeps a few mapped pages of every member it reads resident
    /// between two releases ([`MERGE_BYTES_PER_MEMBER`] at most), so a
    /// quarter of the budget bounds how many it reads together; more
    /// segments are first merged a group at a time, and groups of large
    /// segments are smaller than groups of small ones.
    pub(crate) fn merge_fan_in(&self, largest: u64) -> usize {
        usize::try_from(self.memory.max(MIN_MEMORY) / 4 / resident(largest))
            .unwrap_or(usize::MAX)
            .max(2)
    }

    /// Key ranges a merge of members of `sizes` bytes is cut into: each
    /// range reads every member on a thread of its own, keeping its own
    /// share of their mapped pages resident, and together they stay within
    /// half the budget (a quarter bounds the fan-in, for one range; one
    /// range per core at most).
    pub(crate) fn merge_ranges(&self, sizes: &[u64]) -> usize {
        let per_range: u64 = sizes.iter().map(|&s| resident(s)).sum();
        usize::try_from(self.memory.max(MIN_MEMORY) / 2 / per_range.max(1))
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// Most bytes of builders a build with several threads holds before
    /// it writes them as segments: half of what the budget leaves besides
    /// the duplicate check and the workers' chunks (the rest is for the
    /// sections combined from them while the other workers go on: with
    /// three fifths, 10 million documents peaked 1,098 MiB, 10 MiB over
    /// the budget's allowance; with half, 936 MiB). None with one thread, whose chunk
    /// is as large as the budget allows.
    pub(crate) fn held_limit(&self) -> usize {
        let threads = self.threads.max(1) as u64;
        if threads == 1 {
            return 0;
        }
        let chunks = self.memory.max(MIN_MEMORY) - self.id_memory();
        let working = threads * MEMORY_PER_TEXT_BYTE_SHARED * self.chunk_bytes();
        usize::try_from(chunks.saturating_sub(working) / 2).unwrap_or(usize::MAX)
    }

    /// The budget's share for remembering document ids, for duplicate
    /// warnings: a sixteenth.
    pub(crate) fn id_memory(&self) -> u64 {
        self.memory.max(MIN_MEMORY) / 16
    }

    /// Most bytes a chunk's builder may hold: past it, the chunk is
    /// written as a segment at the next stored block's end and the rest of
    /// its documents go to a new builder.
    pub(crate) fn builder_bytes(&self) -> usize {
        usize::try_from(self.chunk_bytes() * BUILDER_BYTES_PER_TEXT_BYTE).unwrap_or(usize::MAX)
    }

    /// Text per chunk: each worker holds one chunk being inverted (about
    /// [`MEMORY_PER_TEXT_BYTE`] times its text) and the queue one waiting
    /// chunk per worker, all within the budget less the duplicate check's
    /// share; with several threads, at most [`PARALLEL_CHUNK_BYTES`].
    pub fn chunk_bytes(&self) -> u64 {
        let threads = self.threads.max(1) as u64;
        let chunks = self.memory.max(MIN_MEMORY) - self.id_memory();
        let per_thread = if threads > 1 {
            MEMORY_PER_TEXT_BYTE_SHARED
        } else {
            MEMORY_PER_TEXT_BYTE + 1
        };
        let fit = (chunks / (threads * per_thread)).max(1 << 20);
        if threads > 1 {
            // Several threads need several chunks to share out.
            fit.min(PARALLEL_CHUNK_BYTES)
        } else {
            fit
        }
    }
}

/// How far a build has come, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BuildProgress {
    /// Documents read so far.
    pub documents: u64,
    /// Input bytes read so far.
    pub bytes_read: u64,
    /// Input bytes in all (0 when unknown, as for standard input).
    pub bytes_total: u64,
    /// Segments being merged (0 while reading).
    pub merging: usize,
}

/// One chunk, in input order: its documents, or (the first chunk,
/// inverted while it was read) its builder.
struct Chunk {
    /// Its first document, counted from 0 over the build.
    first: u64,
    work: Work,
}

enum Work {
    Docs(Vec<Document>),
    Built(Box<IndexBuilder>),
}

/// Temporary files of one build, removed when it ends, however it ends.
#[derive(Default)]
pub(crate) struct TempFiles(Mutex<Vec<PathBuf>>);

impl TempFiles {
    pub(crate) fn add(&self, p: PathBuf) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(p);
    }

    /// A new, empty temporary file beside `target` and named for it (so a
    /// later build at `target` sweeps it if this process is killed),
    /// removed with the others.
    pub(crate) fn reserve(&self, target: &Path) -> Result<PathBuf, IndexError> {
        let (dir, name) = crate::writer::dir_and_name(target);
        let (path, file) = create_temp(&dir, &name).map_err(|source| IndexError::Write {
            path: target.to_path_buf(),
            source,
        })?;
        drop(file);
        self.add(path.clone());
        Ok(path)
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in self
            .0
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What the workers share.
struct Shared<'a> {
    dir: PathBuf,
    name: String,
    temps: &'a TempFiles,
    /// See [`BuildOptions::builder_bytes`].
    builder_bytes: usize,
    held: Held,
    /// Segment files by their first document.
    segments: Mutex<Vec<(u64, PathBuf)>>,
    failed: Mutex<Option<IndexError>>,
}

impl Shared<'_> {
    fn fail(&self, e: IndexError) {
        let mut f = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        f.get_or_insert(e);
    }

    fn has_failed(&self) -> bool {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// A worker: inverts chunks until the queue closes.
    fn work(&self, rx: &Mutex<mpsc::Receiver<Chunk>>) {
        loop {
            let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
            let Ok(chunk) = job else { return };
            if self.has_failed() {
                continue;
            }
            if let Err(e) = self.invert_chunk(chunk) {
                self.fail(e);
            }
        }
    }

    /// Inverts one chunk and keeps its builder: one, unless it comes to
    /// hold more than [`BuildOptions::builder_bytes`], when the documents
    /// inverted so far are kept at the end of a stored block and the rest
    /// go on in a new builder.
    fn invert_chunk(&self, chunk: Chunk) -> Result<(), IndexError> {
        let docs = match chunk.work {
            Work::Built(b) => return self.keep(chunk.first, *b),
            Work::Docs(docs) => docs,
        };
        let mut first = chunk.first;
        let mut builder = IndexBuilder::default();
        // A chunk starts a stored block.
        let mut cut = BlockCut::default();
        for d in &docs {
            builder.add_from(d.source.as_deref(), &d.id, &d.title, &d.body)?;
            let closes = cut.add(record_len(&d.id, &d.title, &d.body));
            if closes && builder.held_bytes() > self.builder_bytes {
                let full = std::mem::take(&mut builder);
                let next = first + u64::from(full.doc_count());
                self.keep(first, full)?;
                first = next;
            }
        }
        if builder.doc_count() > 0 {
            self.keep(first, builder)?;
        }
        Ok(())
    }

    /// Holds `builder`, of the documents from `first` on; writes what is
    /// held as segments if that passes the limit.
    fn keep(&self, first: u64, mut builder: IndexBuilder) -> Result<(), IndexError> {
        builder.seal();
        let runs = self.held.keep(first, builder);
        if runs.is_empty() {
            return Ok(());
        }
        for run in runs {
            let path = write_segment(run.builders, &self.dir, &self.name, self.temps)?;
            self.segments
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((run.first, path));
        }
        // The builders written are freed: their pages go back before the
        // next ones are made.
        crate::heap::give_back();
        Ok(())
    }
}

/// Reads `inputs` (as listed, `listed` counting what the listing
/// skipped) and writes their index to `output` (see the module
/// documentation). Returns the input statistics and the index size.
pub(crate) fn build(
    inputs: &[input::Input],
    listed: InputStats,
    output: &Path,
    options: &BuildOptions,
    stop: &AtomicBool,
    on_warning: &mut dyn FnMut(Warning),
    on_progress: &mut dyn FnMut(BuildProgress),
) -> Result<(InputStats, u64), IndexError> {
    let bytes_total = input::listed_bytes(inputs);
    let mut progress = BuildProgress {
        documents: 0,
        bytes_read: 0,
        bytes_total,
        merging: 0,
    };
    let chunk_bytes = options.chunk_bytes();
    let threads = options.threads.max(1);
    let temps = TempFiles::default();
    let (dir, name) = crate::writer::dir_and_name(output);
    let shared = Shared {
        dir,
        name,
        temps: &temps,
        builder_bytes: options.builder_bytes(),
        held: Held::new(options.held_limit()),
        segments: Mutex::new(Vec::new()),
        failed: Mutex::new(None),
    };
    // With one thread, the first chunk is inverted here as it is read: if
    // it is the only one, it is written directly, without a segment or a
    // merge; if not, the worker writes it as the first segment. With
    // several, every chunk goes to the workers as soon as it is cut (so
    // none waits while this thread inverts), and only an input that ends
    // within its first chunk is inverted here, once read, and written
    // directly.
    let mut first = (threads == 1).then(IndexBuilder::default);
    let mut first_bytes = 0u64;
    let mut first_full = false;
    let mut cut = BlockCut::default();
    let mut current: Vec<Document> = Vec::new();
    let (tx, rx) = mpsc::sync_channel::<Chunk>(threads);
    let rx = Mutex::new(rx);
    // Documents sent to the workers so far.
    let sent = Cell::new(0u64);
    let started = Cell::new(false);
    let stats = std::thread::scope(|scope| -> Result<InputStats, IndexError> {
        let tx = tx;
        let send = |work: Work| {
            if !started.replace(true) {
                for _ in 0..threads {
                    let (shared, rx) = (&shared, &rx);
                    scope.spawn(move || shared.work(rx));
                }
            }
            let first = sent.get();
            sent.set(
                first
                    + match &work {
                        Work::Docs(d) => d.len() as u64,
                        Work::Built(b) => u64::from(b.doc_count()),
                    },
            );
            // A worker that stopped has recorded why.
            let _ = tx.send(Chunk { first, work });
        };
        let mut current_bytes = 0u64;
        let read = Cell::new(0u64);
        let stats = input::read_listed(
            inputs,
            listed,
            options.id_memory(),
            &mut |doc| {
                progress.documents += 1;
                progress.bytes_read = read.get();
                on_progress(progress);
                if stop.load(Ordering::Relaxed) {
                    return Err(IndexError::Interrupted);
                }
                if shared.has_failed() {
                    return Err(shared
                        .failed
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take()
                        .unwrap_or(IndexError::Interrupted));
                }
                let bytes = (doc.id.len() + doc.title.len() + doc.body.len()) as u64;
                // Chunks end where the store closes a block, so that the
                // merge copies the segments' stored blocks as they are.
                let closes = cut.add(record_len(&doc.id, &doc.title, &doc.body));
                if let Some(b) = &mut first {
                    if !first_full {
                        first_bytes += bytes;
                        b.add_from(doc.source.as_deref(), &doc.id, &doc.title, &doc.body)?;
                        first_full = closes
                            && (first_bytes >= chunk_bytes
                                || b.held_bytes() > shared.builder_bytes);
                        return Ok(());
                    }
                    if let Some(b) = first.take() {
                        send(Work::Built(Box::new(b)));
                    }
                }
                current_bytes += bytes;
                current.push(doc);
                if current_bytes >= chunk_bytes && closes {
                    current_bytes = 0;
                    send(Work::Docs(std::mem::take(&mut current)));
                }
                Ok(())
            },
            on_warning,
            &mut |bytes| read.set(bytes),
        )?;
        if first.is_none() && !started.get() {
            first = Some(invert(&std::mem::take(&mut current))?);
        } else if !current.is_empty() {
            send(Work::Docs(std::mem::take(&mut current)));
        }
        Ok(stats)
        // The queue closes here; the scope waits for the workers.
    })?;
    if let Some(e) = shared
        .failed
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        return Err(e);
    }
    if stop.load(Ordering::Relaxed) {
        return Err(IndexError::Interrupted);
    }
    let mut segments = shared
        .segments
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    let mut runs = shared.held.into_runs();
    let bytes = if let Some(builder) = first {
        if builder.doc_count() == 0 {
            return Err(IndexError::NoDocuments);
        }
        write_index_file(output, &builder.finish())?
    } else if segments.is_empty() && runs.len() == 1 {
        // Everything is held: combined, it is the index.
        let run = runs.remove(0);
        write_index_file(output, &crate::combine::finish(run.builders, threads))?
    } else {
        for run in runs {
            let path = write_segment(run.builders, &shared.dir, &shared.name, &temps)?;
            segments.push((run.first, path));
        }
        segments.sort_unstable();
        let mut paths: Vec<PathBuf> = segments.into_iter().map(|(_, p)| p).collect();
        progress.merging = paths.len();
        on_progress(progress);
        // A signal during the merge stops it; the output is left as it was.
        loop {
            // What the workers, or the merges of the last round, freed is
            // returned before the next merges: they run within the budget
            // by themselves, not beside the allocator's leftovers.
            crate::heap::give_back();
            let largest = paths.iter().map(|p| file_size(p)).max().unwrap_or(0);
            let fan_in = options.merge_fan_in(largest);
            if paths.len() <= fan_in {
                break;
            }
            // Groups of `fan_in` consecutive segments, each merged into
            // one: as few groups as leave at most `fan_in` segments, or,
            // when that takes more groups than there are, a whole round
            // of them. Order is kept, and nothing is merged twice within
            // a round.
            let n = paths.len();
            let needed = (n - fan_in).div_ceil(fan_in - 1);
            let groups = if needed * fan_in <= n {
                needed
            } else {
                n.div_ceil(fan_in)
            };
            let mut next = Vec::with_capacity(n);
            for (g, group) in paths.chunks(fan_in).enumerate() {
                if g >= groups || group.len() == 1 {
                    next.extend_from_slice(group);
                    continue;
                }
                let tmp = temps.reserve(output)?;
                merge_files(group, &tmp, stop, options)?;
                for p in group {
                    let _ = std::fs::remove_file(p);
                }
                next.push(tmp);
            }
            paths = next;
        }
        merge_files(&paths, output, stop, options)?
    };
    drop(temps);
    Ok((stats, bytes))
}

/// Merges the index files at `paths`, in order, into `output`, in as
/// many key ranges as the budget allows ([`BuildOptions::merge_ranges`]).
fn merge_files(
    paths: &[PathBuf],
    output: &Path,
    stop: &AtomicBool,
    options: &BuildOptions,
) -> Result<u64, IndexError> {
    let mut members = Vec::with_capacity(paths.len());
    for p in paths {
        members.push(Index::open(p)?);
    }
    let refs: Vec<&Index> = members.iter().collect();
    let pieces = quarry::merge::Piece::whole(&refs);
    let sizes: Vec<u64> = paths.iter().map(|p| file_size(p)).collect();
    let ranges = options.merge_ranges(&sizes);
    crate::merge::write_merged(&refs, &pieces, output, stop, Some(ranges))
}

/// The size of the segment file at `path` (the largest possible if it
/// cannot be read: its merge then takes the fewest members, and fails on
/// opening it).
fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(u64::MAX, |m| m.len())
}

/// A builder holding `docs`, in order.
fn invert(docs: &[Document]) -> Result<IndexBuilder, IndexError> {
    let mut b = IndexBuilder::default();
    for d in docs {
        b.add_from(d.source.as_deref(), &d.id, &d.title, &d.body)?;
    }
    Ok(b)
}

/// Writes the index of `builders` (of consecutive documents) as a
/// segment file; returns its path.
fn write_segment(
    builders: Vec<IndexBuilder>,
    dir: &Path,
    name: &str,
    temps: &TempFiles,
) -> Result<PathBuf, IndexError> {
    let sections = crate::combine::finish(builders, 1);
    let refs: Vec<(quarry::format::SectionKind, &[u8])> =
        sections.iter().map(|(k, b)| (*k, b.as_slice())).collect();
    let err = |source| IndexError::Write {
        path: dir.join(name),
        source,
    };
    let (path, file) = create_temp(dir, name).map_err(err)?;
    temps.add(path.clone());
    // The sections are written as they are, not assembled into one more
    // copy of the segment first.
    let mut file = std::io::BufWriter::new(file);
    let (header, page_sums) = quarry::format::assemble_header(&refs);
    std::io::Write::write_all(&mut file, &header).map_err(err)?;
    for (_, bytes) in &refs {
        std::io::Write::write_all(&mut file, bytes).map_err(err)?;
    }
    std::io::Write::write_all(&mut file, &page_sums).map_err(err)?;
    std::io::Write::flush(&mut file).map_err(err)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_of_large_segments_take_fewer_members_and_ranges() {
        let least = BuildOptions {
            memory: MIN_MEMORY,
            ..BuildOptions::default()
        };
        // A quarter of 64 MiB: many small segments, two large ones.
        assert_eq!(least.merge_fan_in(1 << 20), 16);
        assert_eq!(least.merge_fan_in(3 << 30), 2);
        assert_eq!(least.merge_ranges(&[3 << 30, 3 << 30]), 1);
        assert_eq!(least.merge_ranges(&[3 << 30; 4]), 1);
        let default = BuildOptions {
            memory: DEFAULT_MEMORY,
            ..BuildOptions::default()
        };
        assert_eq!(default.merge_fan_in(3 << 30), 21);
        assert!(default.merge_ranges(&[15 << 20; 8]) >= 2);
        assert!(default.merge_ranges(&[3 << 30; 21]) >= 2);
    }
}
