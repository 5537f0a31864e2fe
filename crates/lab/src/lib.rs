//! mixsig-lab: what sits between the engine and a user: network files, run outputs (CSV, JSON),
//! plots, and experiments composed of simulations (F–I curves, ...).
#![deny(missing_docs)]

pub mod calibrate;
pub mod chipcmd;
pub mod chipnet;
pub mod fi;
pub mod located;
pub mod netfile;
pub mod output;
pub mod plot;
pub mod report;
pub mod sim;
pub mod spikelist;
pub mod sweep;
pub mod tasks;
pub mod train;
pub mod trials;
pub mod tune;

/// An error and its causes, joined by `: ` as `anyhow`'s `{:#}` does, leaving out a cause whose
/// text is already there (an error that names its cause in its own message would otherwise print
/// it twice). The command line and the Python package print errors with it, so both say the same.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        src = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn causes_are_joined_and_a_cause_already_named_is_left_out() {
        let e = E(
            "chip profile x",
            Some(Box::new(E(
                "cannot read x: gone",
                Some(Box::new(E("gone", None))),
            ))),
        );
        assert_eq!(error_chain(&e), "chip profile x: cannot read x: gone");
        let e = E("outer", Some(Box::new(E("inner", None))));
        assert_eq!(error_chain(&e), "outer: inner");
    }
}
