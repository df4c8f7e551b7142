//! The binary's own usage surface. (Having an integration test here also
//! makes `cargo test --workspace` build the `quarry` binary, which the
//! workspace-level tests in `tests/` drive.)

use std::process::Command;

fn quarry(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(args)
        .output()
        .expect("run quarry")
}

#[test]
fn help_lists_every_subcommand() {
    let out = quarry(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["index", "search", "stats", "verify"] {
        assert!(text.contains(cmd), "--help lacks {cmd}:\n{text}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = quarry(&["search"]);
    assert_eq!(out.status.code(), Some(2));
    let out = quarry(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}
