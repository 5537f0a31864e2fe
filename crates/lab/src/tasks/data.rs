//! User data: a directory with `labels.csv` (`file,label,split`) and one spike list CSV
//! (`t_s,channel`) per presentation.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Presentation, TaskError, TaskSet};
use crate::located::FileError;
use crate::spikelist::{read_spike_list, strip_bom};

/// Name of the index file of a task directory.
pub const LABELS_FILE: &str = "labels.csv";

/// Least time kept after the last spike of all files (s): every spike lies inside the presentation.
const DURATION_PAD: f64 = 1e-3;

/// Fraction of a user presentation left silent after the latest spike by default, as in the
/// built-in patterns (input in the first 70 %): the time the network has to answer the last input.
pub const ANSWER_FRACTION: f64 = 0.3;

/// One row of labels.csv.
struct Row {
    line: usize,
    path: PathBuf,
    label: String,
    train: bool,
}

/// Class names in index order: sorted numerically when every label is an integer (`2` before
/// `10`), otherwise sorted as strings.
fn class_names(rows: &[Row]) -> Vec<String> {
    let mut names: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    names.sort();
    names.dedup();
    if names.iter().all(|n| n.parse::<i64>().is_ok()) {
        names.sort_by_key(|n| n.parse::<i64>().expect("checked"));
    }
    names
}

fn parse_labels(dir: &Path, file: &str, text: &str) -> Result<Vec<Row>, FileError> {
    let mut rows: Vec<Row> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    // The same file under another name (`./a.csv`, an absolute path, a link): (line, name).
    let mut first_of_file: HashMap<PathBuf, (usize, String)> = HashMap::new();
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let ln = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            if fields != ["file", "label", "split"] {
                return Err(FileError::new(
                    file,
                    ln,
                    "",
                    format!("header must be `file,label,split`, found `{line}`"),
                ));
            }
            continue;
        }
        if fields.len() != 3 {
            return Err(FileError::new(
                file,
                ln,
                "",
                format!(
                    "expected 3 fields `file,label,split`, found {} in `{line}`",
                    fields.len()
                ),
            ));
        }
        let (name, label, split) = (fields[0], fields[1], fields[2]);
        if name.is_empty() {
            return Err(FileError::new(file, ln, "file", "is empty"));
        }
        if label.is_empty() {
            return Err(FileError::new(file, ln, "label", "is empty"));
        }
        let train = match split {
            "train" => true,
            "test" => false,
            other => {
                return Err(FileError::new(
                    file,
                    ln,
                    "split",
                    format!("`{other}` is not a split; expected `train` or `test`"),
                ))
            }
        };
        if let Some(first) = first_line.insert(name.to_string(), ln) {
            return Err(FileError::new(
                file,
                ln,
                "file",
                format!("`{name}` is listed twice (first on line {first})"),
            ));
        }
        let path = dir.join(name);
        if path.is_dir() {
            return Err(FileError::new(
                file,
                ln,
                "file",
                format!(
                    "`{name}` is a directory ({}); expected a spike list file `t_s,channel`",
                    path.display()
                ),
            ));
        }
        if !path.is_file() {
            return Err(FileError::new(
                file,
                ln,
                "file",
                format!("`{name}` not found (looked for {})", path.display()),
            ));
        }
        let same = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if let Some((first, first_name)) = first_of_file.insert(same, (ln, name.to_string())) {
            return Err(FileError::new(
                file,
                ln,
                "file",
                format!(
                    "`{name}` is the file `{first_name}` of line {first} again; each file may be listed only once (a test presentation that is also a training one would not test anything)"
                ),
            ));
        }
        rows.push(Row {
            line: ln,
            path,
            label: label.to_string(),
            train,
        });
    }
    if !header_seen {
        return Err(FileError::new(
            file,
            0,
            "",
            "empty; expected a header `file,label,split` and one row per presentation",
        ));
    }
    Ok(rows)
}

/// Load user data from `dir`: `dir/labels.csv` with header `file,label,split` lists one spike list
/// per presentation (path relative to `dir`, a CSV `t_s,channel`), its label (any string) and its
/// split (`train` or `test`).
///
/// Classes are the distinct labels, sorted (numerically when all are integers); `n_channels` is
/// the largest channel index in any file plus one; `duration` is the latest spike time in any file
/// divided by `1 - ANSWER_FRACTION` (so the last 30 % of a presentation is silent, as in the
/// built-in patterns; at least 1 ms after the latest spike). Errors name the file, line and column:
/// missing or malformed `labels.csv`, unknown split, missing or malformed spike file, a file
/// listed twice, an empty split, a single class, or a class without train or test presentations.
pub fn load_dir(dir: &Path) -> Result<TaskSet, TaskError> {
    load_dir_with(dir, None)
}

/// [`load_dir`] with the presentation duration given (s; `None`: the default rule). A duration
/// that does not hold every spike (not after the latest spike time) is an error naming the file
/// of the latest spike.
pub fn load_dir_with(dir: &Path, duration: Option<f64>) -> Result<TaskSet, TaskError> {
    let labels_path = dir.join(LABELS_FILE);
    let lf = labels_path.display().to_string();
    let text = std::fs::read_to_string(&labels_path).map_err(|e| {
        FileError::new(
            &lf,
            0,
            "",
            format!(
                "cannot read labels file: {e} (a task directory needs `{LABELS_FILE}` with header `file,label,split`)"
            ),
        )
    })?;
    let rows = parse_labels(dir, &lf, strip_bom(&text))?;
    for (split, train) in [("train", true), ("test", false)] {
        if !rows.iter().any(|r| r.train == train) {
            return Err(FileError::new(
                &lf,
                0,
                "split",
                format!(
                    "no `{split}` presentations; a task needs both train and test presentations"
                ),
            )
            .into());
        }
    }
    let names = class_names(&rows);
    if names.len() < 2 {
        return Err(FileError::new(
            &lf,
            0,
            "label",
            format!(
                "only one class `{}`; a task needs at least two",
                names.join("")
            ),
        )
        .into());
    }
    for name in &names {
        for (split, train) in [("train", true), ("test", false)] {
            if !rows.iter().any(|r| r.train == train && &r.label == name) {
                let first = rows.iter().find(|r| &r.label == name).expect("label seen");
                return Err(FileError::new(
                    &lf,
                    first.line,
                    "label",
                    format!(
                        "class `{name}` has no {split} presentations; every class needs both train and test presentations"
                    ),
                )
                .into());
            }
        }
    }
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();

    let mut loaded: Vec<(bool, Presentation)> = Vec::with_capacity(rows.len());
    let mut n_channels = 0;
    let mut t_max: f64 = 0.0;
    let mut latest = rows[0].path.as_path();
    // Each presentation's last spike, to spot one that stretches every presentation.
    let mut last_spikes: Vec<f64> = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut channels = read_spike_list(&r.path, None)?;
        let mut last: f64 = 0.0;
        for ch in &mut channels {
            ch.sort_by(f64::total_cmp);
            if let Some(&t) = ch.last() {
                last = last.max(t);
                if t > t_max {
                    t_max = t;
                    latest = &r.path;
                }
            }
        }
        last_spikes.push(last);
        n_channels = n_channels.max(channels.len());
        loaded.push((
            r.train,
            Presentation {
                channels,
                label: index[r.label.as_str()],
            },
        ));
    }
    if n_channels == 0 {
        return Err(FileError::new(&lf, 0, "", "no spikes in any listed file").into());
    }
    let duration_given = duration.is_some();
    let duration = match duration {
        None => (t_max / (1.0 - ANSWER_FRACTION)).max(t_max + DURATION_PAD),
        Some(d) if d.is_finite() && d > t_max => d,
        Some(d) => {
            return Err(FileError::new(
                &latest.display().to_string(),
                0,
                "t_s",
                format!(
                    "a spike at {t_max} s lies outside the requested presentation duration {d} s; the duration must be later than every spike"
                ),
            )
            .into())
        }
    };
    let mut notes = Vec::new();
    let given = duration_given;
    last_spikes.sort_by(f64::total_cmp);
    let median = last_spikes[last_spikes.len() / 2];
    if !given && t_max > OUTLIER_FACTOR * median && median > 0.0 {
        notes.push(format!(
            "every presentation lasts {duration} s because of a spike at {t_max} s in {}, while half of the presentations end by {median} s: check that file, or give the duration (--duration)",
            latest.display()
        ));
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (is_train, mut p) in loaded {
        p.channels.resize(n_channels, Vec::new());
        if is_train {
            train.push(p);
        } else {
            test.push(p);
        }
    }
    Ok(TaskSet {
        name: format!("data:{}", dir.display()),
        n_channels,
        n_classes: names.len(),
        class_names: names,
        duration,
        train,
        test,
        notes,
    })
}

/// A latest spike this many times later than the median presentation's last one gets a warning.
const OUTLIER_FACTOR: f64 = 4.0;
