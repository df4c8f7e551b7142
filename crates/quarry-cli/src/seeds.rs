//! The default index: the seed articles, indexed on first use into a cache
//! file whose name is a hash of their contents and the format version, so
//! it is rebuilt whenever either changes.

use std::path::PathBuf;

use quarry::Index;
use quarry_index::{input::text_document, IndexBuilder};

include!(concat!(env!("OUT_DIR"), "/seeds.rs"));

/// FNV-1a, 64 bits: a stable hash for the cache key.
fn fnv1a(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

fn cache_dir() -> PathBuf {
    let from_env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = from_env("QUARRY_CACHE_DIR") {
        return d;
    }
    if let Some(d) = from_env("XDG_CACHE_HOME") {
        return d.join("quarry");
    }
    if let Some(h) = from_env("HOME") {
        return h.join(".cache").join("quarry");
    }
    std::env::temp_dir().join("quarry-cache")
}

/// Where the seed index lives for this build of quarry.
pub fn seed_index_path() -> PathBuf {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    fnv1a(&mut h, &quarry::format::VERSION.to_le_bytes());
    // The crate version too: analysis can change within a format version.
    fnv1a(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
    for (name, text) in SEEDS {
        fnv1a(&mut h, name.as_bytes());
        fnv1a(&mut h, &[0]);
        fnv1a(&mut h, text.as_bytes());
        fnv1a(&mut h, &[0]);
    }
    cache_dir().join(format!("seeds-{h:016x}.qidx"))
}

/// Opens the seed index, building it first if it is missing or unusable.
pub fn open_seed_index() -> Result<Index, String> {
    let path = seed_index_path();
    // The seed index is a few dozen kilobytes: verifying it on every open is
    // cheap, and any damage is repaired here rather than reported to a user
    // who never built it.
    let note = match Index::open(&path) {
        Ok(index) if index.verify().is_ok() => return Ok(index),
        Ok(_) => format!(
            "the seed index {} is damaged; rebuilding it",
            path.display()
        ),
        Err(quarry::Error::Io { .. }) => format!(
            "first run: indexing the {} built-in seed articles into {}",
            SEEDS.len(),
            path.display()
        ),
        Err(_) => format!(
            "the seed index {} is unreadable; rebuilding it",
            path.display()
        ),
    };
    let mut builder = IndexBuilder::default();
    for (name, text) in SEEDS {
        if let Some(doc) = text_document((*name).to_string(), text) {
            builder
                .add(&doc.id, &doc.title, &doc.body)
                .map_err(|e| e.to_string())?;
        }
    }
    eprintln!("quarry: {note}");
    // The cache directory is ours to create (an index's -o directory is not).
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "{}: cannot create the cache directory: {e} (set QUARRY_CACHE_DIR to a writable directory, or pass -i INDEX)",
                dir.display()
            )
        })?;
    }
    quarry_index::write_index_file(&path, &builder.finish()).map_err(|e| {
        format!("{e} (set QUARRY_CACHE_DIR to a writable directory, or pass -i INDEX)")
    })?;
    Index::open(&path).map_err(|e| e.to_string())
}
