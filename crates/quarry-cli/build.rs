//! Embeds the seed articles (`seeds/` at the workspace root) in the binary,
//! so `quarry search` works out of the box wherever the binary runs.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let seeds = manifest.join("../../seeds");
    println!("cargo:rerun-if-changed={}", seeds.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .unwrap_or_else(|e| panic!("the seed articles must be in {}: {e}", seeds.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    assert!(!files.is_empty(), "no seed articles in {}", seeds.display());
    files.sort();
    let mut code = String::from(
        "/// The seed articles: (file name, text).\npub const SEEDS: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file").to_string_lossy();
        let abs = f.canonicalize().expect("seed file exists");
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write to string");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("seeds.rs");
    std::fs::write(out, code).expect("write seeds.rs");
}
