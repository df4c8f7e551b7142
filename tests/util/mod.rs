//! Shared harness for the integration tests: temporary directories, the
//! `quarry` binary, and small corpus generators.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `quarry` binary cargo built for this test run. `cargo test --workspace`
/// builds it (the CLI crate has integration tests of its own) into the same
/// target directory as this test, before any test runs; `cargo test -p
/// quarry-tests` does not, so the binary is checked to be newer than every
/// source it is built from (once per test process).
pub fn quarry_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(find_fresh_bin) {
        Ok(bin) => bin.clone(),
        Err(msg) => panic!("{msg}"),
    }
}

fn find_fresh_bin() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/..");
    let bin = dir.join(format!("quarry{}", std::env::consts::EXE_SUFFIX));
    let built = match std::fs::metadata(&bin).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(_) => {
            return Err(format!(
                "{} not built: run `cargo test --workspace`",
                bin.display()
            ))
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![root.join("crates/quarry-cli/build.rs")];
    for crate_dir in read_dir(&root.join("crates")) {
        rust_files(&crate_dir.join("src"), &mut sources);
    }
    sources.extend(read_dir(&root.join("seeds")));
    for src in sources {
        let Ok(changed) = std::fs::metadata(&src).and_then(|m| m.modified()) else {
            continue;
        };
        if changed > built {
            return Err(format!(
                "{} is stale: {} changed after it was built. Run `cargo test --workspace` \
                 (which rebuilds it); `cargo test -p quarry-tests` alone does not",
                bin.display(),
                src.strip_prefix(root).unwrap_or(&src).display()
            ));
        }
    }
    Ok(bin)
}

/// The entries of `dir` (none if it cannot be read).
fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// Every `*.rs` under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for p in read_dir(dir) {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// A scratch directory with the files of one test, and a private cache.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// Runs `quarry ARGS` in the sandbox with colour off and the cache inside it.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[("NO_COLOR", "1")])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(quarry_bin());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("QUARRY_CACHE_DIR", self.path("cache"))
            .env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run quarry"), args)
    }
}

/// A finished `quarry` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub args: String,
}

impl Run {
    fn from(o: Output, args: &[&str]) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            args: args.join(" "),
        }
    }

    /// Stdout parsed as JSON Lines (one value per line), as `--json` prints it.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Asserts the exit code, showing the output when it is not the expected one.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "quarry {}\n--- stdout\n{}--- stderr\n{}",
            self.args, self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "panic in quarry {}: {}",
            self.args,
            self.stderr
        );
        self
    }

    /// Asserts an error: exit 2 and exactly one line on stderr containing every `parts`.
    pub fn expect_error(&self, parts: &[&str]) -> &Run {
        self.expect_code(2);
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one error line expected:\n{}",
            self.stderr
        );
        for p in parts {
            assert!(
                self.stderr.contains(p),
                "stderr lacks {p:?}:\n{}",
                self.stderr
            );
        }
        self
    }
}

/// A small deterministic generator (xorshift), so tests need no extra crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
