//! `quarry index`: building an index, or bringing one up to date, with
//! warnings and progress on the terminal.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::{human_bytes, progress, Failure, Outcome};

/// Warnings printed one by one before the rest are only counted.
const MAX_WARNINGS_SHOWN: u64 = 20;

/// Set by Ctrl-C or SIGTERM: a build stops and removes its temporary files.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A size such as `512M`, `2G`, `1GiB` or plain bytes.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a size; write e.g. 512M or 2G"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("{text:?}: unknown unit; use K, M, G or T")),
    };
    let bytes = n
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))?;
    if bytes < quarry_index::MIN_MEMORY {
        return Err(format!("{text:?} is below the least budget, 64M"));
    }
    Ok(bytes)
}

pub(crate) fn index(
    inputs: &[PathBuf],
    output: &Path,
    quiet: bool,
    options: &quarry_index::BuildOptions,
) -> Result<Outcome, Failure> {
    let s = with_reporting(quiet, |on_warning, on_progress| {
        quarry_index::build_index_with(inputs, output, options, &STOP, on_warning, on_progress)
    })?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "indexed {} documents ({} skipped, {} warnings) from {} in {:.2} s -> {} ({})",
        s.input.documents,
        s.input.skipped,
        s.input.warnings,
        human_bytes(s.input.bytes),
        s.seconds,
        output.display(),
        human_bytes(s.index_bytes),
    )?;
    Ok(Outcome::Matched)
}

/// `quarry index --update INDEX INPUT…`: reads only what changed.
pub(crate) fn update(
    index: &Path,
    inputs: &[PathBuf],
    quiet: bool,
    options: &quarry_index::BuildOptions,
) -> Result<Outcome, Failure> {
    let s = with_reporting(quiet, |on_warning, on_progress| {
        quarry_index::update_index(index, inputs, options, &STOP, on_warning, on_progress)
    })?;
    let mut out = io::stdout().lock();
    if s.written {
        writeln!(
            out,
            "updated {}: {} added, {} changed, {} removed, {} unchanged files; read {} ({} skipped, {} warnings) in {:.2} s -> {} documents ({})",
            index.display(),
            s.added,
            s.updated,
            s.removed,
            s.unchanged,
            human_bytes(s.input.bytes),
            s.input.skipped,
            s.input.warnings,
            s.seconds,
            s.documents,
            human_bytes(s.index_bytes),
        )?;
    } else {
        writeln!(
            out,
            "{} is up to date: {} unchanged files, {} documents ({}), checked in {:.2} s",
            index.display(),
            s.unchanged,
            s.documents,
            human_bytes(s.index_bytes),
            s.seconds,
        )?;
    }
    Ok(Outcome::Matched)
}

/// Runs a build or an update with Ctrl-C and SIGTERM stopping it, its
/// warnings printed (the first [`MAX_WARNINGS_SHOWN`], unless `quiet`) and
/// its progress shown on a terminal.
fn with_reporting<T>(
    quiet: bool,
    run: impl FnOnce(
        &mut dyn FnMut(quarry_index::Warning),
        &mut dyn FnMut(quarry_index::BuildProgress),
    ) -> Result<T, quarry_index::IndexError>,
) -> Result<T, Failure> {
    // A second signal while the first is handled ends the process at once.
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let mut shown = 0u64;
    let progress = std::cell::RefCell::new(progress::Progress::new(quiet));
    let mut on_warning = |w: quarry_index::Warning| {
        if !quiet && shown < MAX_WARNINGS_SHOWN {
            progress.borrow_mut().clear();
            eprintln!("quarry: warning: {w}");
        }
        shown += 1;
    };
    let mut on_progress = |p| progress.borrow_mut().update(p);
    let done = run(&mut on_warning, &mut on_progress);
    progress.borrow_mut().clear();
    let done = done?;
    if !quiet && shown > MAX_WARNINGS_SHOWN {
        eprintln!("quarry: … and {} more warnings", shown - MAX_WARNINGS_SHOWN);
    }
    Ok(done)
}
