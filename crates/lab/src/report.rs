//! Self-contained HTML reports: one file a person opens in a browser, with the exact command, the
//! tables, the plots embedded (inline SVG, no external files) and the profiles used. Every workflow
//! (`robustness`, `compare`, `tune`) writes one as `report.html` next to its CSV and JSON.

use std::path::{Path, PathBuf};

use crate::output::{write_atomic, WriteError};

/// One block of a report.
#[derive(Debug, Clone)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph of plain text.
    Text(String),
    /// A table: header and rows of cells (plain text).
    Table(Vec<String>, Vec<Vec<String>>),
    /// An SVG file, embedded inline.
    Svg(PathBuf),
    /// Preformatted text (a profile, a bias file), collapsed under a summary line.
    Details(String, String),
}

/// A report under construction.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Page title.
    pub title: String,
    /// The exact command that produced the run.
    pub command: String,
    /// Content.
    pub blocks: Vec<Block>,
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Report {
    /// A report with a title and the command.
    pub fn new(title: &str, command: &str) -> Report {
        Report {
            title: title.into(),
            command: command.into(),
            blocks: Vec::new(),
        }
    }

    /// Append a block.
    pub fn push(&mut self, b: Block) -> &mut Self {
        self.blocks.push(b);
        self
    }

    /// The HTML text. An SVG that cannot be read becomes a note instead of failing the report.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        h.push_str(&format!("<title>{}</title>\n", escape(&self.title)));
        h.push_str("<style>body{font-family:sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}\
th{background:#eee}td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:.6em;overflow-x:auto}\
code{background:#f0f0f0;padding:1px 4px}.plot svg{max-width:100%;height:auto}</style></head><body>\n");
        h.push_str(&format!("<h1>{}</h1>\n", escape(&self.title)));
        h.push_str(&format!(
            "<p>Command:</p><pre>{}</pre>\n<p>mixsig {}</p>\n",
            escape(&self.command),
            env!("CARGO_PKG_VERSION")
        ));
        for b in &self.blocks {
            match b {
                Block::Heading(t) => h.push_str(&format!("<h2>{}</h2>\n", escape(t))),
                Block::Text(t) => h.push_str(&format!("<p>{}</p>\n", escape(t))),
                Block::Table(head, rows) => {
                    h.push_str("<table><tr>");
                    for c in head {
                        h.push_str(&format!("<th>{}</th>", escape(c)));
                    }
                    h.push_str("</tr>\n");
                    for r in rows {
                        h.push_str("<tr>");
                        for c in r {
                            h.push_str(&format!("<td>{}</td>", escape(c)));
                        }
                        h.push_str("</tr>\n");
                    }
                    h.push_str("</table>\n");
                }
                Block::Svg(p) => match std::fs::read_to_string(p) {
                    Ok(svg) => {
                        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
                        h.push_str(&format!("<div class=\"plot\">{body}</div>\n"));
                    }
                    Err(e) => h.push_str(&format!(
                        "<p>(plot {} missing: {})</p>\n",
                        escape(&p.display().to_string()),
                        escape(&e.to_string())
                    )),
                },
                Block::Details(summary, text) => h.push_str(&format!(
                    "<details><summary>{}</summary><pre>{}</pre></details>\n",
                    escape(summary),
                    escape(text)
                )),
            }
        }
        h.push_str("</body></html>\n");
        h
    }

    /// Write `report.html` into `dir` (atomically) and return its path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, WriteError> {
        let p = dir.join("report.html");
        write_atomic(&p, self.to_html().as_bytes())?;
        Ok(p)
    }
}

/// A number for a table: 4 significant digits, `-` for NaN.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if (1e-3..1e5).contains(&a) {
        let digits = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.digits$}")
    } else {
        format!("{x:.3e}")
    }
}
