//! Per-synapse weight tables of a network file and their writers: `connect = "dense"` reads a matrix
//! CSV (one line per pre neuron, one column per post neuron, amperes; `#` comment lines allowed),
//! `connect = "explicit"` a CSV with the header `pre,post,weight_a` (one synapse per line). Paths are
//! relative to the network file. Errors name the CSV file, its line and the constraint.

use std::path::Path;

use crate::located::FileError;

fn read(path: &Path) -> Result<(String, String), FileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError::new(&file, 0, "", format!("cannot read weight table: {e}")))?;
    Ok((file, crate::spikelist::strip_bom(&text).to_string()))
}

fn weight(file: &str, line: usize, key: &str, s: &str) -> Result<f64, FileError> {
    let w: f64 = s.parse().map_err(|_| {
        FileError::new(
            file,
            line,
            key,
            format!("`{s}` is not a number (weights are in A)"),
        )
    })?;
    if !(w.is_finite() && w >= 0.0) {
        return Err(FileError::new(
            file,
            line,
            key,
            format!("weight = {s} A must be finite and >= 0 (inhibition is a synapse type)"),
        ));
    }
    Ok(w)
}

/// Read a dense matrix `w[pre][post]` (row-major, `n_pre * n_post` entries) from `path`.
pub fn read_dense(path: &Path, n_pre: usize, n_post: usize) -> Result<Vec<f64>, FileError> {
    let (file, text) = read(path)?;
    let mut w = Vec::with_capacity(n_pre * n_post);
    let mut rows = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        rows += 1;
        if rows > n_pre {
            return Err(FileError::new(
                &file,
                i + 1,
                "",
                format!("more than {n_pre} rows: the matrix has one row per pre neuron"),
            ));
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != n_post {
            return Err(FileError::new(
                &file,
                i + 1,
                "",
                format!(
                    "{} columns, expected {n_post} (one per post neuron)",
                    cols.len()
                ),
            ));
        }
        for (c, s) in cols.iter().enumerate() {
            w.push(weight(&file, i + 1, &format!("column {}", c + 1), s)?);
        }
    }
    if rows != n_pre {
        return Err(FileError::new(
            &file,
            0,
            "",
            format!("{rows} rows, expected {n_pre} (one per pre neuron)"),
        ));
    }
    Ok(w)
}

/// Read explicit synapses `(pre, post, weight A)` from a CSV `pre,post,weight_a`.
pub fn read_explicit(
    path: &Path,
    n_pre: usize,
    n_post: usize,
) -> Result<Vec<(u32, u32, f64)>, FileError> {
    let (file, text) = read(path)?;
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            if cols != ["pre", "post", "weight_a"] {
                return Err(FileError::new(
                    &file,
                    i + 1,
                    "",
                    format!("header must be `pre,post,weight_a`, found `{line}`"),
                ));
            }
            continue;
        }
        if cols.len() != 3 {
            return Err(FileError::new(
                &file,
                i + 1,
                "",
                format!("{} columns, expected 3 (pre,post,weight_a)", cols.len()),
            ));
        }
        let index = |key: &str, s: &str, n: usize, what: &str| -> Result<u32, FileError> {
            let v: usize = s.parse().map_err(|_| {
                FileError::new(&file, i + 1, key, format!("`{s}` is not a neuron index"))
            })?;
            if v >= n {
                return Err(FileError::new(
                    &file,
                    i + 1,
                    key,
                    format!("{v} out of range: the {what} population has {n} neurons"),
                ));
            }
            Ok(v as u32)
        };
        let pre = index("pre", cols[0], n_pre, "pre")?;
        let post = index("post", cols[1], n_post, "post")?;
        out.push((pre, post, weight(&file, i + 1, "weight_a", cols[2])?));
    }
    if !header_seen {
        return Err(FileError::new(
            &file,
            0,
            "",
            "empty: expected the header `pre,post,weight_a`",
        ));
    }
    Ok(out)
}

/// A weight as written to CSV: the shortest text that parses back to the same number.
pub fn fmt_weight(w: f64) -> String {
    if w == 0.0 {
        "0".into()
    } else {
        format!("{w:e}")
    }
}

/// The CSV text of a dense matrix (`comment` becomes a leading `#` line).
pub fn dense_csv(w: &[f64], n_post: usize, comment: &str) -> String {
    let mut s = format!("# {comment}\n");
    for row in w.chunks(n_post.max(1)) {
        let cells: Vec<String> = row.iter().map(|&x| fmt_weight(x)).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

/// The CSV text of explicit synapses.
pub fn explicit_csv(t: &[(u32, u32, f64)]) -> String {
    let mut s = String::from("pre,post,weight_a\n");
    for &(a, b, w) in t {
        s.push_str(&format!("{a},{b},{}\n", fmt_weight(w)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mixsig-weights-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn dense_round_trips_exactly() {
        let w = vec![
            1.0e-10,
            0.0,
            3.0000000000000004e-10,
            7.123456789e-12,
            2e-9,
            1e-15,
        ];
        let p = tmp("d.csv", &dense_csv(&w, 3, "rows pre, columns post"));
        assert_eq!(read_dense(&p, 2, 3).unwrap(), w);
    }

    #[test]
    fn explicit_round_trips_exactly() {
        let t = vec![(0, 1, 2.5e-10), (1, 0, 1.0000000000000002e-11)];
        let p = tmp("e.csv", &explicit_csv(&t));
        assert_eq!(read_explicit(&p, 2, 2).unwrap(), t);
    }

    #[test]
    fn bad_tables_name_file_line_and_constraint() {
        let p = tmp("d1.csv", "1e-10,2e-10\n1e-10\n");
        let e = read_dense(&p, 2, 2).unwrap_err().to_string();
        assert!(
            e.contains("d1.csv:2") && e.contains("1 columns, expected 2"),
            "{e}"
        );
        let p = tmp("d2.csv", "1e-10,2e-10\n");
        let e = read_dense(&p, 2, 2).unwrap_err().to_string();
        assert!(e.contains("1 rows, expected 2"), "{e}");
        let p = tmp("d3.csv", "1e-10,-2e-10\n1,1\n");
        let e = read_dense(&p, 2, 2).unwrap_err().to_string();
        assert!(e.contains("d3.csv:1") && e.contains(">= 0"), "{e}");
        let p = tmp("e1.csv", "pre,post,w\n");
        let e = read_explicit(&p, 2, 2).unwrap_err().to_string();
        assert!(e.contains("e1.csv:1") && e.contains("header"), "{e}");
        let p = tmp("e2.csv", "pre,post,weight_a\n0,5,1e-10\n");
        let e = read_explicit(&p, 2, 2).unwrap_err().to_string();
        assert!(
            e.contains("e2.csv:2") && e.contains("`post`") && e.contains("out of range"),
            "{e}"
        );
        let p = tmp("e3.csv", "pre,post,weight_a\n0,1,abc\n");
        let e = read_explicit(&p, 2, 2).unwrap_err().to_string();
        assert!(e.contains("e3.csv:2") && e.contains("not a number"), "{e}");
        let e = read_dense(Path::new("/nonexistent/w.csv"), 1, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/nonexistent/w.csv") && e.contains("cannot read"),
            "{e}"
        );
    }
}
