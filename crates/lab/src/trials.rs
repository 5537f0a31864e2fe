//! Running many independent trials safely: in parallel (rayon), each finished trial appended at once
//! to a JSON-lines log (so a crash or Ctrl-C loses only the trials in flight), resuming from that
//! log, and deterministic sharding (`--shard I/N`) for job arrays.
//!
//! A trial is identified by its index in the plan (`0..total`). Shard `I/N` (1-based `I`) owns the
//! trials with `index % N == I - 1`: round-robin, so every shard gets a similar mix of the plan's
//! axes. Results never depend on the thread count or the shard split because every trial is a pure
//! function of its index (identity-keyed random streams); the log's line order does, so readers
//! key records by index ([`read_log`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One slice of a plan: shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based shard number, `1..=count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A bad `--shard` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--shard {value:?}: {constraint}")]
pub struct ShardError {
    /// The value as given.
    pub value: String,
    /// What it breaks.
    pub constraint: String,
}

impl Shard {
    /// Parse `I/N` with `1 <= I <= N`.
    pub fn parse(s: &str) -> Result<Shard, ShardError> {
        let bad = |c: &str| ShardError {
            value: s.to_string(),
            constraint: c.to_string(),
        };
        let (i, n) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| bad("write it as I/N, e.g. 2/8 for the second of 8 shards"))?;
        let i: usize = i
            .trim()
            .parse()
            .map_err(|_| bad("the shard number I of I/N must be a positive integer"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| bad("the shard count N of I/N must be a positive integer"))?;
        if n == 0 {
            return Err(bad("the shard count N must be at least 1"));
        }
        if i == 0 || i > n {
            return Err(bad(&format!(
                "the shard number I must be in 1..={n} (shards are numbered from 1)"
            )));
        }
        Ok(Shard { index: i, count: n })
    }

    /// Whether trial `index` belongs to this shard.
    pub fn owns(&self, trial: usize) -> bool {
        trial % self.count == self.index - 1
    }

    /// The trials of `0..total` this shard owns, ascending.
    pub fn trials(&self, total: usize) -> Vec<usize> {
        (0..total).filter(|&t| self.owns(t)).collect()
    }
}

/// Errors of the trial log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// I/O on the log.
    #[error("{path}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A complete line that is not a trial record.
    #[error("{path}:{line}: not a trial record of this run: {message}")]
    Format {
        /// The log file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Parser message.
        message: String,
    },
}

/// A record in a trial log: anything serializable that knows its trial index.
pub trait TrialRecord: Serialize + DeserializeOwned + Send {
    /// The trial index in the plan.
    fn trial(&self) -> usize;
}

/// Read the records of a log (missing file: none). A last line without its newline (a write cut by
/// a crash) is ignored; any other bad line is an error. Later records of the same trial replace
/// earlier ones.
pub fn read_log<R: TrialRecord>(path: &Path) -> Result<BTreeMap<usize, R>, LogError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(LogError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut out = BTreeMap::new();
    let complete = if text.ends_with('\n') {
        text.as_str()
    } else {
        // The unterminated tail is a trial cut short by a crash: run it again.
        text.rsplit_once('\n').map_or("", |(a, _)| a)
    };
    for (i, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: R = serde_json::from_str(line).map_err(|e| LogError::Format {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        out.insert(r.trial(), r);
    }
    Ok(out)
}

/// Rewrite a log to exactly `records` (one line each, by trial index), atomically.
pub fn write_log<R: TrialRecord>(
    path: &Path,
    records: &BTreeMap<usize, R>,
) -> Result<(), crate::output::WriteError> {
    let mut s = String::new();
    for r in records.values() {
        s.push_str(&serde_json::to_string(r).expect("records serialize"));
        s.push('\n');
    }
    crate::output::write_atomic(path, s.as_bytes())
}

/// Run `run(trial)` for every trial of `todo` in parallel, appending each record to `log` as soon as
/// it is finished (one line, flushed) and calling `progress(finished, todo.len())`. Returns the new
/// records by index. The first error stops new trials from starting and is returned; the records
/// already written stay in the log. When `progress` returns `false` no new trial starts (those
/// running finish and are logged): the returned map then has fewer records than `todo`.
pub fn run_trials<R, E>(
    todo: &[usize],
    log: &Path,
    run: impl Fn(usize) -> Result<R, E> + Sync,
    progress: impl Fn(usize, usize) -> bool + Sync,
) -> Result<BTreeMap<usize, R>, E>
where
    R: TrialRecord,
    E: From<LogError> + Send,
{
    if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| {
            E::from(LogError::Io {
                path: dir.to_path_buf(),
                source,
            })
        })?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|source| {
            E::from(LogError::Io {
                path: log.to_path_buf(),
                source,
            })
        })?;
    let file = Mutex::new(file);
    let done = AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let results: Vec<Option<Result<(usize, R), E>>> = todo
        .par_iter()
        .map(|&t| {
            if failed.load(Ordering::Acquire) || stopped.load(Ordering::Acquire) {
                return None;
            }
            let r = run(t).and_then(|rec| {
                let mut line = serde_json::to_string(&rec).expect("records serialize");
                line.push('\n');
                let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
                f.write_all(line.as_bytes())
                    .and_then(|()| f.flush())
                    .map_err(|source| {
                        E::from(LogError::Io {
                            path: log.to_path_buf(),
                            source,
                        })
                    })?;
                drop(f);
                Ok((t, rec))
            });
            if r.is_err() {
                failed.store(true, Ordering::Release);
            } else if !progress(done.fetch_add(1, Ordering::AcqRel) + 1, todo.len()) {
                stopped.store(true, Ordering::Release);
            }
            Some(r)
        })
        .collect();
    let mut out = BTreeMap::new();
    for r in results.into_iter().flatten() {
        let (t, rec) = r?;
        out.insert(t, rec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Rec {
        trial: usize,
        x: f64,
    }
    impl TrialRecord for Rec {
        fn trial(&self) -> usize {
            self.trial
        }
    }

    #[test]
    fn shards_partition_the_plan() {
        let total = 23;
        let mut seen = vec![0; total];
        for i in 1..=4 {
            for t in Shard::parse(&format!("{i}/4")).unwrap().trials(total) {
                seen[t] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
    }

    #[test]
    fn bad_shards_say_why() {
        for (s, needle) in [
            ("0/4", "1..=4"),
            ("5/4", "1..=4"),
            ("1/0", "at least 1"),
            ("x/4", "positive integer"),
            ("3", "I/N"),
        ] {
            let e = Shard::parse(s).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains(s), "{s}: {e}");
        }
    }

    #[test]
    fn a_cut_last_line_is_dropped() {
        let dir = std::env::temp_dir().join(format!("mixsig-trials-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.jsonl");
        std::fs::write(
            &p,
            "{\"trial\":0,\"x\":1.5}\n{\"trial\":1,\"x\":2.5}\n{\"trial\":2,\"x",
        )
        .unwrap();
        let r: BTreeMap<usize, Rec> = read_log(&p).unwrap();
        assert_eq!(r.keys().copied().collect::<Vec<_>>(), vec![0, 1]);
        std::fs::write(&p, "{\"trial\":0,\"x\":1.5}\ngarbage\n").unwrap();
        let e = read_log::<Rec>(&p).unwrap_err().to_string();
        assert!(e.contains(":2:"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
