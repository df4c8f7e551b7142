//! `quarry`: the command line. Parses arguments and prints; everything else
//! is in the `quarry` (search) and `quarry-index` (build) crates.

mod bench;
mod indexing;
mod output;
mod progress;
mod search;
mod seeds;
mod sigbus;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quarry::{Bm25, Index, Operator, SearchOptions};

use output::{ColorChoice, Style};

/// Quarry: full-text search over articles, ranked by BM25.
///
/// Without -i, commands use a built-in index of the seed articles.
#[derive(Parser)]
#[command(name = "quarry", version, about, long_about = None, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build an index from directories, text files and JSON Lines files.
    Index {
        /// Directories (walked for .txt, .md, .text files), text files, or .jsonl/.ndjson files.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// Where to write the index file.
        #[arg(short, long, value_name = "INDEX", required_unless_present = "update")]
        output: Option<PathBuf>,
        /// Bring INDEX up to date with the inputs instead: only files whose
        /// size or modification time changed are read again, documents of
        /// files that are gone are dropped, the rest is carried over; the
        /// result is what a fresh build of the inputs writes. Give the same
        /// inputs (and walk options) as the build that made it.
        #[arg(long, value_name = "INDEX", conflicts_with = "output")]
        update: Option<PathBuf>,
        /// Print no per-file warnings, only the summary.
        #[arg(short, long)]
        quiet: bool,
        /// Threads that invert documents (default: every core).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        threads: Option<u16>,
        /// Memory budget for the build, e.g. 512M or 2G (default 1G, least 64M).
        /// Past it, documents are inverted in chunks written to temporary
        /// files beside the output and merged at the end; the index is the
        /// same whatever the budget and the threads.
        #[arg(long, value_name = "SIZE", value_parser = indexing::parse_size)]
        memory: Option<u64>,
        /// Also index hidden files and folders (names starting with `.`).
        #[arg(long)]
        hidden: bool,
        /// Also index what .gitignore, .ignore and .git/info/exclude leave out.
        #[arg(long)]
        no_ignore: bool,
        /// Follow symbolic links in folders (by default a link is skipped, so a linked file is indexed once, where it lies).
        #[arg(long)]
        follow: bool,
    },
    /// Merge indexes into one, as if their inputs were indexed one after another in this order.
    Merge {
        /// The indexes to merge, in order (their documents are numbered in this order).
        #[arg(required = true, value_name = "INDEX")]
        inputs: Vec<PathBuf>,
        /// Where to write the merged index (may be one of the inputs: it is replaced atomically).
        #[arg(short, long, value_name = "INDEX")]
        output: PathBuf,
    },
    /// Search an index; exits 0 if something matched, 1 if nothing did.
    Search {
        /// The index file (default: the built-in seed articles); give -i
        /// several times to search several indexes as one, with scores
        /// equal to those of their merged index.
        #[arg(short, long, value_name = "INDEX")]
        index: Vec<PathBuf>,
        #[command(flatten)]
        top: TopArgs,
        /// One JSON object per hit per line.
        #[arg(long)]
        json: bool,
        /// BM25 term-frequency saturation.
        #[arg(long, default_value_t = 1.2, value_name = "K1")]
        k1: f64,
        /// BM25 length normalization, 0 to 1.
        #[arg(long, default_value_t = 0.75, value_name = "B")]
        b: f64,
        /// Score multiplier for title matches.
        #[arg(long, default_value_t = 1.0, value_name = "X")]
        title_boost: f64,
        /// Score multiplier for body matches.
        #[arg(long, default_value_t = 1.0, value_name = "X")]
        body_boost: f64,
        /// Print only the number of matching documents.
        #[arg(long, conflicts_with = "json")]
        count: bool,
        /// When to colour the output.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
        color: ColorChoice,
        /// Skip this many hits first (paging: `-k 10 --offset 10` shows ranks 11-20).
        #[arg(long, default_value_t = 0, value_name = "N")]
        offset: usize,
        /// Read the query as plain words: no operators, quotes or fields (for pasted text).
        #[arg(long)]
        literal: bool,
        /// Show how each hit's score is made, down to every term and field.
        #[arg(long, conflicts_with = "count")]
        explain: bool,
        /// The query, in the query language (README.md, "The query
        /// language"): words (any may match; all with --and), +required,
        /// -excluded, AND/OR/NOT (or && || !), (groups), "phrases",
        /// "phrases"~slop, title:/body: fields, word^boost, prefix*,
        /// fuzzy~1 or ~2 (`word~` means ~2), backslash escapes; --literal
        /// reads plain words. Everything after the options is the query, so
        /// `quarry search putin -modi` works; an option typed after the
        /// query is refused unless `--` comes before the query.
        #[arg(required = true, value_name = "QUERY", trailing_var_arg = true,
              allow_hyphen_values = true, num_args = 1..)]
        query: Vec<String>,
    },
    /// Time a file of queries, one per line, in the query language.
    ///
    /// Prints `query-index<TAB>rank<TAB>id<TAB>score` per hit on stdout and
    /// one line `queries N total S mean_us M p50_us P p99_us Q` on stderr.
    /// Each query is timed alone, from parsed query to top-k document ids;
    /// stored ids are read after timing.
    Bench {
        /// The index file (default: the built-in seed articles); give -i
        /// several times to search several indexes as one, with scores
        /// equal to those of their merged index.
        #[arg(short, long, value_name = "INDEX")]
        index: Vec<PathBuf>,
        /// The query file.
        #[arg(long, value_name = "FILE")]
        queries: PathBuf,
        #[command(flatten)]
        top: TopArgs,
        /// Count matches instead of ranking (prints `query-index<TAB>count<TAB>N`).
        #[arg(long)]
        count: bool,
        /// Evaluate every matching document (no pruning), for comparison.
        #[arg(long)]
        exhaustive: bool,
    },
    /// Show what an index holds.
    Stats {
        /// The index file (default: the built-in seed articles).
        #[arg(short, long, value_name = "INDEX")]
        index: Option<PathBuf>,
    },
    /// Check every checksum and structure of an index.
    Verify {
        /// The index file (default: the built-in seed articles).
        #[arg(short, long, value_name = "INDEX")]
        index: Option<PathBuf>,
    },
}

/// How many hits, and how words combine: shared by `search` and `bench`.
#[derive(clap::Args)]
struct TopArgs {
    /// Number of results (for `bench`: per query); `-n N` too, as `head` has it.
    #[arg(short = 'k', visible_short_alias = 'n', long = "limit", default_value_t = 10, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    limit: u32,
    /// Require every word (default: any word).
    #[arg(long)]
    and: bool,
    /// Most index terms one prefix* or fuzzy~ pattern expands to (the most
    /// frequent words are kept; the search reports what was cut).
    #[arg(long, default_value_t = 256, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    max_expansions: u32,
}

impl TopArgs {
    /// Default options with this limit and operator.
    fn options(&self) -> SearchOptions {
        SearchOptions {
            limit: self.limit as usize,
            operator: if self.and {
                Operator::And
            } else {
                Operator::Or
            },
            max_expansions: self.max_expansions as usize,
            ..SearchOptions::default()
        }
    }
}

/// How a command ended, short of an error.
enum Outcome {
    Matched,
    NoMatch,
}

fn main() -> ExitCode {
    // A mapped index changed in place: one line and exit 2, not a bare SIGBUS.
    sigbus::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: print and succeed.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `quarry` alone: the help, as a usage error.
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("quarry: error: {} (see `quarry --help`)", one_line(&e));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(Outcome::Matched) => ExitCode::SUCCESS,
        Ok(Outcome::NoMatch) => ExitCode::from(1),
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(msg)) => {
            eprintln!("quarry: error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Interrupted(msg)) => {
            eprintln!("quarry: error: {msg}");
            // As a shell reports a process ended by SIGINT.
            ExitCode::from(130)
        }
    }
}

/// The options of `search`, as they would be typed.
const SEARCH_OPTIONS: &[&str] = &[
    "-i",
    "--index",
    "-k",
    "-n",
    "--limit",
    "--and",
    "--json",
    "--k1",
    "--b",
    "--title-boost",
    "--body-boost",
    "--count",
    "--color",
    "--offset",
    "--literal",
    "--explain",
    "--max-expansions",
    "-h",
    "--help",
];

/// Everything after the options is the query, so `putin -modi` works; but
/// an option typed after the query (`putin -k 5`) would silently become
/// query words. Unless `--` marked where the query starts, that is refused.
fn refuse_options_in_query(query: &[String]) -> Result<(), Failure> {
    if std::env::args_os().any(|a| a == "--") {
        return Ok(());
    }
    for word in query {
        let name = word.split('=').next().unwrap_or(word);
        if SEARCH_OPTIONS.contains(&name) {
            return Err(Failure::Message(format!(
                "`{word}` after the query looks like an option: put options before the query, \
                 or put `--` before the query to search for it"
            )));
        }
    }
    Ok(())
}

/// A clap error as one line: its paragraph before usage, lines joined.
fn one_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let mut parts: Vec<&str> = Vec::new();
    for line in rendered.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("Usage:") || line.starts_with("For more information")
        {
            break;
        }
        parts.push(line);
    }
    let joined = parts.join(" ");
    let joined = joined
        .strip_prefix("error: ")
        .unwrap_or(&joined)
        .to_string();
    if joined.is_empty() {
        "invalid arguments".to_string()
    } else {
        joined
    }
}

enum Failure {
    /// The reader of our output went away: not an error.
    BrokenPipe,
    Message(String),
    /// Stopped by Ctrl-C or SIGTERM.
    Interrupted(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Message(format!("cannot write output: {e}"))
        }
    }
}

impl From<quarry::Error> for Failure {
    fn from(e: quarry::Error) -> Self {
        Failure::Message(e.to_string())
    }
}

impl From<quarry_index::IndexError> for Failure {
    fn from(e: quarry_index::IndexError) -> Self {
        match e {
            quarry_index::IndexError::Interrupted => Failure::Interrupted(e.to_string()),
            e => Failure::Message(e.to_string()),
        }
    }
}

/// The indexes at `paths` as one set; none: the seed index.
fn open_set(paths: Vec<PathBuf>) -> Result<quarry::IndexSet, Failure> {
    if paths.is_empty() {
        return Ok(quarry::IndexSet::new(vec![open(None)?])?);
    }
    Ok(quarry::IndexSet::open(&paths)?)
}

fn open(index: Option<PathBuf>) -> Result<Index, Failure> {
    match index {
        Some(path) => Ok(Index::open(path)?),
        None => seeds::open_seed_index().map_err(Failure::Message),
    }
}

fn run(cli: Cli) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Index {
            inputs,
            output,
            update,
            quiet,
            threads,
            memory,
            hidden,
            no_ignore,
            follow,
        } => {
            let mut options = quarry_index::BuildOptions {
                walk: quarry_index::WalkOptions {
                    hidden,
                    no_ignore,
                    follow_links: follow,
                },
                ..quarry_index::BuildOptions::default()
            };
            if let Some(t) = threads {
                options.threads = usize::from(t);
            }
            if let Some(m) = memory {
                options.memory = m;
            }
            match (update, output) {
                (Some(index), _) => indexing::update(&index, &inputs, quiet, &options),
                (None, Some(output)) => indexing::index(&inputs, &output, quiet, &options),
                (None, None) => unreachable!("clap requires -o or --update"),
            }
        }
        Command::Merge { inputs, output } => {
            let s = quarry_index::merge_index_files(&inputs, &output)?;
            writeln!(
                io::stdout().lock(),
                "merged {} indexes ({} documents) in {:.2} s -> {} ({})",
                s.members,
                s.documents,
                s.seconds,
                output.display(),
                human_bytes(s.index_bytes)
            )?;
            Ok(Outcome::Matched)
        }
        Command::Search {
            index,
            top,
            json,
            k1,
            b,
            title_boost,
            body_boost,
            count,
            color,
            offset,
            literal,
            explain,
            query,
        } => {
            refuse_options_in_query(&query)?;
            let options = SearchOptions {
                bm25: Bm25 { k1, b },
                title_boost,
                body_boost,
                offset,
                literal,
                ..top.options()
            };
            let output = if count {
                search::Output::Count
            } else if json {
                search::Output::Json
            } else {
                search::Output::Text(Style::new(color))
            };
            search::run(
                &open_set(index)?,
                &query.join(" "),
                &options,
                output,
                explain,
            )
        }
        Command::Bench {
            index,
            queries,
            top,
            count,
            exhaustive,
        } => {
            let options = SearchOptions {
                pruning: !exhaustive,
                ..top.options()
            };
            bench::run(&open_set(index)?, &queries, &options, count)?;
            Ok(Outcome::Matched)
        }
        Command::Stats { index } => stats(&open(index)?),
        Command::Verify { index } => verify(&open(index)?),
    }
}

fn stats(index: &Index) -> Result<Outcome, Failure> {
    let meta = index.meta();
    let terms = index.term_counts()?;
    let mut out = io::stdout().lock();
    writeln!(out, "index       {}", index.path().display())?;
    writeln!(out, "format      version {}", quarry::format::VERSION)?;
    writeln!(
        out,
        "size        {} ({} bytes)",
        human_bytes(index.size_bytes()),
        index.size_bytes()
    )?;
    writeln!(
        out,
        "analyzer    {} (Snowball stemming)",
        meta.language.name()
    )?;
    writeln!(out, "documents   {}", meta.doc_count)?;
    for field in quarry::Field::ALL {
        writeln!(
            out,
            "{:<11} {} terms, {} tokens, {:.1} tokens per document",
            field.name(),
            terms[field as usize],
            meta.total_tokens[field as usize],
            index.avg_field_len(field)
        )?;
    }
    for s in index.sections() {
        writeln!(
            out,
            "section     {:<12} {:>12} bytes  crc32 {:08x}",
            s.kind.name(),
            s.len,
            s.crc32
        )?;
    }
    Ok(Outcome::Matched)
}

fn verify(index: &Index) -> Result<Outcome, Failure> {
    let r = index.verify()?;
    writeln!(
        io::stdout().lock(),
        "ok: {} — {} section checksums, {} terms, {} postings, {} documents",
        index.path().display(),
        r.sections,
        r.terms,
        r.postings,
        r.documents
    )?;
    Ok(Outcome::Matched)
}

pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
