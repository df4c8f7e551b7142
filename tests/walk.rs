//! Folder walks as ripgrep users expect: hidden and ignored files left out
//! unless asked, links not followed unless asked, an unreadable folder a
//! warning.

mod util;

use util::Sandbox;

/// The ids of an index of the folder `docs`, within it, sorted.
fn ids(s: &Sandbox, index: &str) -> Vec<String> {
    let index = quarry::Index::open(s.path(index)).unwrap();
    let mut ids: Vec<String> = (0..index.doc_count())
        .map(|d| {
            let id = index.document(d).unwrap().id;
            id.strip_prefix("docs/")
                .expect("ids start with the folder")
                .to_string()
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn hidden_and_ignored_files_are_left_out_unless_asked() {
    let s = Sandbox::new();
    s.write("docs/a.txt", "alpha");
    s.write("docs/.secret.txt", "hidden file");
    s.write("docs/.cache/b.txt", "hidden folder");
    s.write("docs/build/c.txt", "ignored by git");
    s.write("docs/notes/d.txt", "ignored by .ignore");
    s.write("docs/.gitignore", "build/\n");
    s.write("docs/.ignore", "notes/d.txt\n");
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    assert_eq!(ids(&s, "i.qidx"), ["a.txt"]);
    s.run(&["index", "docs", "-o", "h.qidx", "--hidden"])
        .expect_code(0);
    assert_eq!(ids(&s, "h.qidx"), [".cache/b.txt", ".secret.txt", "a.txt"]);
    s.run(&["index", "docs", "-o", "n.qidx", "--no-ignore"])
        .expect_code(0);
    assert_eq!(ids(&s, "n.qidx"), ["a.txt", "build/c.txt", "notes/d.txt"]);
}

#[cfg(unix)]
#[test]
fn links_are_not_followed_unless_asked_and_an_unreadable_folder_is_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::new();
    s.write("docs/a.txt", "alpha");
    s.write("docs/sub/b.txt", "beta");
    std::os::unix::fs::symlink(s.path("docs/a.txt"), s.path("docs/link.txt")).unwrap();
    std::os::unix::fs::symlink(s.path("docs/sub"), s.path("docs/linkdir")).unwrap();
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    assert_eq!(ids(&s, "i.qidx"), ["a.txt", "sub/b.txt"]);
    s.run(&["index", "docs", "-o", "f.qidx", "--follow"])
        .expect_code(0);
    assert_eq!(
        ids(&s, "f.qidx"),
        ["a.txt", "link.txt", "linkdir/b.txt", "sub/b.txt"]
    );
    // An unreadable folder (not for root, who reads everything).
    let locked = s.path("docs/locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("c.txt"), "gamma").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&locked).is_ok();
    let r = s.run(&["index", "docs", "-o", "u.qidx"]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.expect_code(0);
    if !readable {
        assert!(r.stderr.contains("locked"), "{}", r.stderr);
        assert_eq!(ids(&s, "u.qidx"), ["a.txt", "sub/b.txt"]);
    }
}

/// An unreadable folder as a user who cannot read it sees it, also when
/// the tests run as root (who reads everything): then `quarry` is run as
/// `nobody` through `setpriv`. The build goes on without the folder.
#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_a_warning_for_a_user_who_cannot_read_it() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::new();
    s.write("docs/a.txt", "alpha");
    s.write("docs/locked/c.txt", "gamma");
    std::fs::create_dir(s.path("out")).unwrap();
    let open = |p: &std::path::Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    // Let another user through the sandbox and write the output.
    let mut dir = Some(s.path("docs"));
    while let Some(d) = dir {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode();
        if d.parent().is_some() && mode & 0o005 != 0o005 {
            open(&d, mode | 0o005);
        }
        dir = d.parent().map(std::path::Path::to_path_buf);
    }
    open(&s.path("docs/a.txt"), 0o644);
    open(&s.path("out"), 0o777);
    open(&s.path("docs/locked"), 0o000);
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(util::quarry_bin());
        c
    } else {
        std::process::Command::new(util::quarry_bin())
    };
    let out = cmd
        .current_dir(s.path("."))
        .args(["index", "docs", "-o", "out/u.qidx"])
        .output();
    open(&s.path("docs/locked"), 0o755);
    let out = out.expect("quarry runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if root && stderr.contains("setpriv") {
        eprintln!("setpriv cannot change user here: {stderr}");
        return;
    }
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("locked") && stderr.contains("cannot read"),
        "{stderr}"
    );
    assert_eq!(ids(&s, "out/u.qidx"), ["a.txt"]);
}

/// FIFOs, sockets and devices are never read, in a walk, behind a link or
/// named: reading one could block forever (a FIFO with no writer) or never
/// end (`/dev/zero`). Each is a warning. The read runs on a thread so that
/// a regression fails here instead of hanging the suite.
#[test]
fn special_files_are_skipped_with_a_warning_not_read() {
    let s = Sandbox::new();
    s.write("docs/a.txt", "alpha");
    let made = std::process::Command::new("mkfifo")
        .arg(s.path("docs/pipe.txt"))
        .arg(s.path("named.jsonl"))
        .status()
        .is_ok_and(|st| st.success());
    assert!(made, "mkfifo is on every Unix");
    std::os::unix::fs::symlink("/dev/zero", s.path("docs/zero.txt")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", s.path("zero.jsonl")).unwrap();
    for follow in [false, true] {
        let paths = vec![s.path("docs"), s.path("named.jsonl"), s.path("zero.jsonl")];
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut ids = Vec::new();
            let mut warnings = Vec::new();
            let opts = quarry_index::WalkOptions {
                follow_links: follow,
                ..Default::default()
            };
            let stats = quarry_index::input::read_inputs_with(
                &paths,
                opts,
                &mut |d| {
                    ids.push(d.id);
                    Ok(())
                },
                &mut |w| warnings.push(w.to_string()),
            );
            let _ = tx.send((stats.is_ok(), ids, warnings));
        });
        let (ok, ids, warnings) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("reading special files must not block");
        assert!(ok);
        assert_eq!(ids.len(), 1, "{ids:?}");
        let fifo = warnings.iter().filter(|w| w.contains("a FIFO")).count();
        let device = warnings.iter().filter(|w| w.contains("a device")).count();
        // The link in the folder is skipped as a link unless followed.
        assert_eq!((fifo, device), (2, 1 + usize::from(follow)), "{warnings:?}");
    }
}
