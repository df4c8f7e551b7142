//! Writing an index file safely: to a temporary file beside the target,
//! flushed to disk, then renamed over it. A crash at any point leaves
//! either the old index or the new one, never a mix.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use quarry::format::{assemble_header, SectionKind};

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
    if path.is_dir() {
        return Err(IndexError::OutputIsDirectory {
            path: path.to_path_buf(),
        });
    }
    let err = |source| IndexError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = write_then_rename(&tmp, path, &dir, sections);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

fn write_then_rename(
    tmp: &Path,
    path: &Path,
    dir: &Path,
    sections: &[(SectionKind, Vec<u8>)],
) -> std::io::Result<u64> {
    let refs: Vec<(SectionKind, &[u8])> =
        sections.iter().map(|(k, b)| (*k, b.as_slice())).collect();
    let header = assemble_header(&refs);
    let file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(&header)?;
    let mut size = header.len() as u64;
    for (_, bytes) in sections {
        w.write_all(bytes)?;
        size += bytes.len() as u64;
    }
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, path)?;
    // Make the rename itself durable; not every platform can sync a directory.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(size)
}
