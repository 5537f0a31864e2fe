//! Shared harness of the end-to-end tests: the `mixsig` binary (which belongs to package
//! `mixsig-cli`, so `CARGO_BIN_EXE_mixsig` is not available here) is found next to the test
//! executable and (re)built for the same profile first, so a stale binary is never tested (after
//! `cargo test --workspace` that build compiles the binary alone: crates/cli/Cargo.toml unifies its
//! features with the test build's); set `MIXSIG_BIN=/path/to/mixsig` to test a given binary.
//! Also: a run's exit code and output, and temporary directories removed on drop.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `mixsig` binary, built once per test process.
pub fn mixsig_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(locate_or_build)
}

pub fn locate_or_build() -> PathBuf {
    if let Some(p) = std::env::var_os("MIXSIG_BIN") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "MIXSIG_BIN={} is not a file", p.display());
        return p;
    }
    // This executable is target[/<triple>]/<profile>/deps/cli-<hash>.
    let exe = std::env::current_exe().expect("path of the test executable");
    let mut profile_dir = exe.parent().expect("exe has a parent").to_path_buf();
    if profile_dir.file_name().is_some_and(|n| n == "deps") {
        profile_dir.pop();
    }
    let bin = profile_dir.join(format!("mixsig{}", std::env::consts::EXE_SUFFIX));
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_string();
    let above = profile_dir.parent().map(Path::to_path_buf);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(manifest_dir()).args([
        "build",
        "--quiet",
        "-p",
        "mixsig-cli",
        "--bin",
        "mixsig",
    ]);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    if let Some(above) = &above {
        // target/<triple>/<profile>: the target root (with CACHEDIR.TAG) is one level higher.
        let is_root = |d: &Path| d.join("CACHEDIR.TAG").exists();
        match above.parent() {
            Some(root) if !is_root(above) && is_root(root) => {
                let triple = above.file_name().unwrap().to_string_lossy().to_string();
                cmd.arg("--target")
                    .arg(triple)
                    .arg("--target-dir")
                    .arg(root);
            }
            _ => {
                cmd.arg("--target-dir").arg(above);
            }
        }
    }
    let out = cmd.output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) if bin.is_file() => eprintln!(
            "warning: `cargo build -p mixsig-cli` failed; testing the existing {} (may be stale):\n{}",
            bin.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(o) => panic!(
            "cannot build the mixsig binary ({:?}):\n{}",
            cmd,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if bin.is_file() => {
            eprintln!("warning: cannot run cargo ({e}); testing the existing {}", bin.display())
        }
        Err(e) => panic!("cannot run cargo to build the mixsig binary: {e}"),
    }
    assert!(
        bin.is_file(),
        "built mixsig-cli but {} does not exist",
        bin.display()
    );
    bin
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn mixsig(args: &[&str]) -> Run {
    mixsig_in(&manifest_dir(), args)
}

/// Run `mixsig <args>` with working directory `cwd`.
pub fn mixsig_in(cwd: &Path, args: &[&str]) -> Run {
    let o = Command::new(mixsig_bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run mixsig");
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A unique, not yet existing directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "mixsig-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn s(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }

    pub fn join(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }

    pub fn read(&self, f: &str) -> String {
        std::fs::read_to_string(self.join(f))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", self.join(f).display()))
    }

    pub fn files(&self) -> Vec<String> {
        match std::fs::read_dir(&self.0) {
            Err(_) => Vec::new(),
            Ok(rd) => {
                let mut v: Vec<String> = rd
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                v.sort();
                v
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
