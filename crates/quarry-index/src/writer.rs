//! Writing an index file safely: to a temporary file beside the target,
//! flushed to disk, then renamed over it. A crash at any point leaves
//! either the old index or the new one, never a mix.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use quarry::format::SectionKind;
use quarry::sections::SectionWriter;

use crate::error::IndexError;

/// Writes `sections` as an index file at `path`, atomically. Returns the
/// file's size in bytes.
///
/// # Errors
/// [`IndexError::OutputIsDirectory`] or [`IndexError::Write`]; in either
/// case whatever was at `path` before is untouched and no temporary file
/// is left behind.
pub fn write_index_file(
    path: &Path,
    sections: &[(SectionKind, Vec<u8>)],
) -> Result<u64, IndexError> {
    write_index_with(path, |out, _| {
        for (kind, bytes) in sections {
            out.begin(*kind);
            out.write_all(bytes).map_err(|source| IndexError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        }
        Ok(())
    })
}

/// The stream an index file is written through.
pub(crate) type IndexFileWriter = SectionWriter<BufWriter<File>>;

/// Writes an index file at `path`, atomically: `write` writes every
/// section through the writer it is given, and may make scratch files
/// with the [`Scratch`] it is given. Returns the file's size in bytes.
///
/// # Errors
/// [`IndexError::OutputIsDirectory`], [`IndexError::OutputDirectoryMissing`],
/// [`IndexError::Write`], or what `write` returns; in every case whatever
/// was at `path` before is untouched and no temporary file is left behind.
pub(crate) fn write_index_with(
    path: &Path,
    write: impl FnOnce(&mut IndexFileWriter, &Scratch) -> Result<(), IndexError>,
) -> Result<u64, IndexError> {
    if path.is_dir() {
        return Err(IndexError::OutputIsDirectory {
            path: path.to_path_buf(),
        });
    }
    let err = |source| IndexError::Write {
        path: path.to_path_buf(),
        source,
    };
    let (dir, name) = dir_and_name(path);
    if !dir.is_dir() {
        return Err(IndexError::OutputDirectoryMissing { path: dir });
    }
    let (tmp, file) = create_temp(&dir, &name).map_err(err)?;
    // From here the temporary file is ours: remove it on any failure.
    let result = (|| {
        let scratch = Scratch {
            dir: &dir,
            name: &name,
        };
        // The page checksums of a large file go to a scratch file as they
        // are gathered (64 KiB at a time).
        let sums = Box::new(scratch.file().map_err(err)?);
        let mut out = SectionWriter::with_spill(BufWriter::with_capacity(1 << 20, file), sums)
            .map_err(err)?;
        write(&mut out, &scratch)?;
        let (w, size) = out.finish().map_err(err)?;
        let file = w.into_inner().map_err(|e| err(e.into_error()))?;
        sync_then_rename(file, &tmp, path, &dir).map_err(err)?;
        Ok(size)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Makes scratch files beside an output: created under a temporary name
/// and unlinked at once, so the system removes them when they are closed,
/// however the process ends.
pub(crate) struct Scratch<'a> {
    dir: &'a Path,
    name: &'a str,
}

impl Scratch<'_> {
    /// A new, empty scratch file, open for reading and writing.
    pub(crate) fn file(&self) -> std::io::Result<File> {
        let (path, file) = create_temp(self.dir, self.name)?;
        // Where an open file cannot be unlinked (not on Unix), the build's
        // sweep of stale temporary files removes it later.
        let _ = std::fs::remove_file(&path);
        Ok(file)
    }
}

/// The directory `path` lies in (`.` for a bare name) and its file name.
pub(crate) fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    (dir, name)
}

/// Removes temporary files a killed build left beside `output`: names
/// `.NAME.PID-N.tmp`, and `..NAME.PID-N.tmp.PID-M.tmp` (the temporaries
/// of the segment an update builds, itself the temporary
/// `.NAME.PID-N.tmp`), whose process no longer runs. Only where running
/// processes can be listed (`/proc`); elsewhere nothing is removed.
pub(crate) fn sweep_stale(output: &Path) {
    let (dir, name) = dir_and_name(output);
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(pid) = file.to_str().and_then(|f| stale_pid(f, &name)) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The process id in `file` if it is the name of a temporary file of
/// output `name` (see [`sweep_stale`]).
fn stale_pid(file: &str, name: &str) -> Option<u32> {
    let pid_of = |rest: &str| rest.split_once('-')?.0.parse::<u32>().ok();
    let own = file
        .strip_prefix('.')
        .and_then(|f| f.strip_prefix(name))
        .and_then(|f| f.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(".tmp"));
    if let Some(rest) = own {
        // `PID-N` (or anything after it: the first id decides).
        return pid_of(rest);
    }
    // `..NAME.PID-N.tmp.PID-M.tmp`: the segment's temporaries. Both ids
    // are the same process; the first decides.
    let rest = file
        .strip_prefix("..")
        .and_then(|f| f.strip_prefix(name))
        .and_then(|f| f.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(".tmp"))?;
    let (segment, _) = rest.split_once(".tmp.")?;
    pid_of(segment)
}

/// Numbers temporary files within this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates a new temporary file beside the target, named
/// `.NAME.PID-N.tmp`, with a name no other writer (process or thread) holds.
pub(crate) fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    let mut last_err = None;
    for _ in 0..64 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.expect("the loop ran"))
}

fn sync_then_rename(file: File, tmp: &Path, path: &Path, dir: &Path) -> std::io::Result<()> {
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, path)?;
    // Make the rename itself durable; not every platform can sync a directory.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IndexBuilder;

    #[test]
    fn steps_around_temp_files_it_did_not_create_and_leaves_them() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("i.qidx");
        // Someone else's temporary files, with the names this process would try next.
        let next = COUNTER.load(Ordering::Relaxed);
        let foreign: Vec<PathBuf> = (next..next + 3)
            .map(|n| {
                dir.path()
                    .join(format!(".i.qidx.{}-{n}.tmp", std::process::id()))
            })
            .collect();
        for f in &foreign {
            std::fs::write(f, b"not ours").unwrap();
        }
        let mut b = IndexBuilder::default();
        b.add("a", "", "alpha").unwrap();
        write_index_file(&target, &b.finish()).unwrap();
        quarry::Index::open(&target).unwrap().verify().unwrap();
        for f in &foreign {
            assert_eq!(
                std::fs::read(f).unwrap(),
                b"not ours",
                "{} was touched",
                f.display()
            );
        }
        let ours: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !foreign.contains(p) && p != &target)
            .collect();
        assert!(ours.is_empty(), "left behind: {ours:?}");
    }

    #[test]
    fn stale_names_are_the_output_s_and_its_update_segment_s() {
        let pid = |f| stale_pid(f, "i.qidx");
        assert_eq!(pid(".i.qidx.12-0.tmp"), Some(12));
        assert_eq!(pid("..i.qidx.12-0.tmp.12-3.tmp"), Some(12));
        // Another output's, and names that only look alike.
        assert_eq!(pid(".j.qidx.12-0.tmp"), None);
        assert_eq!(pid("..i.qidx.12-0.tmp"), None);
        assert_eq!(pid(".i.qidx"), None);
        assert_eq!(pid("i.qidx.12-0.tmp"), None);
        assert_eq!(pid(".i.qidx.x-0.tmp"), None);
    }

    #[test]
    fn a_failed_write_leaves_the_old_index_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("i.qidx");
        let mut b = IndexBuilder::default();
        b.add("a", "", "alpha").unwrap();
        write_index_file(&target, &b.finish()).unwrap();
        let before = std::fs::read(&target).unwrap();
        // The rename fails: the target's name now belongs to a non-empty directory.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("inner")).unwrap();
        let mut b = IndexBuilder::default();
        b.add("b", "", "beta").unwrap();
        assert!(write_index_file(&blocked, &b.finish()).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), before);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }
}
