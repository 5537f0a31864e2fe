//! Spike lists: CSV files `t_s,channel` (one header line; blank lines and `#` comments allowed) read
//! into per-channel spike times, with errors naming the file, line and column.

use std::path::Path;

use crate::located::FileError;

/// Largest channel index a spike list may name, plus one (2^20): the per-channel lists are
/// allocated up to the largest index, so a typo such as `99999999999` is refused instead of
/// exhausting memory.
pub const MAX_CHANNELS: usize = 1 << 20;

/// `text` without a leading UTF-8 byte-order mark (spreadsheet programs write one in "CSV UTF-8").
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Read a spike list CSV (`t_s,channel` with a header line) into per-channel times.
pub fn read_spike_list(path: &Path, size: Option<usize>) -> Result<Vec<Vec<f64>>, FileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError::new(&file, 0, "", format!("cannot read spike list: {e}")))?;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); size.unwrap_or(0)];
    let mut header_seen = false;
    for (i, line) in strip_bom(&text).lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            if fields != ["t_s", "channel"] {
                return Err(FileError::new(
                    &file,
                    i + 1,
                    "",
                    format!("header must be `t_s,channel`, found `{line}`"),
                ));
            }
            continue;
        }
        let &[a, b] = fields.as_slice() else {
            return Err(FileError::new(
                &file,
                i + 1,
                "",
                format!(
                    "expected 2 fields `t_s,channel`, found {} in `{line}`",
                    fields.len()
                ),
            ));
        };
        let t: f64 = a
            .parse()
            .map_err(|_| FileError::new(&file, i + 1, "t_s", format!("`{a}` is not a number")))?;
        let c: usize = b.parse().map_err(|_| {
            FileError::new(
                &file,
                i + 1,
                "channel",
                format!("`{b}` is not a channel index (an integer >= 0)"),
            )
        })?;
        if !(t.is_finite() && t >= 0.0) {
            return Err(FileError::new(
                &file,
                i + 1,
                "t_s",
                format!("{t} must be finite and >= 0"),
            ));
        }
        if c >= MAX_CHANNELS {
            return Err(FileError::new(
                &file,
                i + 1,
                "channel",
                format!("{c} is too large: channel indices must be < {MAX_CHANNELS}"),
            ));
        }
        if let Some(n) = size {
            if c >= n {
                return Err(FileError::new(
                    &file,
                    i + 1,
                    "channel",
                    format!("{c} out of range for {n} channels"),
                ));
            }
        }
        if c >= times.len() {
            times.resize(c + 1, Vec::new());
        }
        times[c].push(t);
    }
    if !header_seen {
        return Err(FileError::new(
            &file,
            0,
            "",
            "empty; expected a header `t_s,channel` (and one row per spike; a header alone is a presentation without spikes)",
        ));
    }
    Ok(times)
}
