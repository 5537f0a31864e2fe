//! Writing a [`NetworkSpec`] as a network file: the TOML text and the CSV tables it refers to
//! (dense and explicit weights, spike lists), such that [`super::parse`] reads back exactly the same
//! spec. Quantities are written with a unit and an engineering prefix when that text parses back to
//! the same number, in SI otherwise.

use mixsig_circuits::learning::UpdateMode;
use mixsig_circuits::units::{parse_quantity, Dimension, SI_PREFIXES};
use mixsig_circuits::NeuronParams;
use mixsig_engine::spec::{Connectivity, NetworkSpec, SourceKind};

use super::weights::{dense_csv, explicit_csv, fmt_weight};
use crate::train::run::storage_name;

/// A quantity as TOML text that [`super::parse`] reads back to exactly `v`.
pub fn exact_quantity(v: f64, d: Dimension) -> String {
    let sym = d.symbol();
    if sym.is_empty() {
        return format!("{v:?}");
    }
    if v == 0.0 {
        return toml_str(&format!("0 {sym}"));
    }
    if d != Dimension::Temperature {
        if let Some((f, p)) = SI_PREFIXES.iter().find(|(f, _)| v.abs() >= f * 0.999_95) {
            let text = format!("{} {p}{sym}", v / f);
            if parse_quantity(&text, d).ok() == Some(v) {
                return toml_str(&text);
            }
        }
    }
    toml_str(&format!("{v:e} {sym}"))
}

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn str_list<'a>(v: impl IntoIterator<Item = &'a String>) -> String {
    let items: Vec<String> = v.into_iter().map(|s| toml_str(s)).collect();
    format!("[{}]", items.join(", "))
}

/// A file the network file refers to: a path relative to it and its content.
pub type Table = (String, String);

/// The network file of `spec`: TOML text plus its CSV tables. `names` gives every projection a
/// unique name (tables are written as `NAME.csv`; learning tables refer to projections by name);
/// `sigmas_given[k]` says which mismatch spreads learning spec `k` writes (omitted: the chip profile
/// decides in `mixsig train`). Tables go to `table_dir` (relative to the network file, `""`
/// or ending in `/`). The chip binding is not written.
pub fn network_toml(
    spec: &NetworkSpec,
    names: &[String],
    sigmas_given: &[super::GivenSigmas],
    table_dir: &str,
) -> (String, Vec<Table>) {
    let mut t = String::new();
    let mut tables = Vec::new();
    let q = exact_quantity;
    let size_of = |n: &str| spec.node_size(n).unwrap_or(0);

    for s in &spec.sources {
        t.push_str(&format!(
            "[[source]]\nname = {}\nsize = {}\n",
            toml_str(&s.name),
            s.size
        ));
        match &s.kind {
            SourceKind::Regular { rate, phase } => {
                t.push_str(&format!(
                    "kind = \"regular\"\nrate = {}\n",
                    q(*rate, Dimension::Frequency)
                ));
                if *phase != 0.0 {
                    t.push_str(&format!("phase = {}\n", q(*phase, Dimension::Time)));
                }
            }
            SourceKind::Poisson { rate } => t.push_str(&format!(
                "kind = \"poisson\"\nrate = {}\n",
                q(*rate, Dimension::Frequency)
            )),
            SourceKind::List { times } if times.is_empty() => {
                t.push_str("kind = \"external\"   # spike times supplied by the program (mixsig train presents the task here)\n");
            }
            SourceKind::List { times } => {
                let file = format!("{table_dir}{}_spikes.csv", s.name);
                let mut csv = String::from("t_s,channel\n");
                for (c, ts) in times.iter().enumerate() {
                    for &x in ts {
                        csv.push_str(&format!("{},{c}\n", fmt_weight(x)));
                    }
                }
                t.push_str(&format!("kind = \"list\"\nfile = {}\n", toml_str(&file)));
                tables.push((file, csv));
            }
        }
        t.push('\n');
    }

    let defaults = NeuronParams::default();
    for p in &spec.populations {
        t.push_str(&format!(
            "[[population]]\nname = {}\nsize = {}\nmodel = {}\n",
            toml_str(&p.name),
            p.size,
            toml_str(p.model.name())
        ));
        let changed: Vec<_> = NeuronParams::FIELDS
            .iter()
            .filter(|f| p.params.field(f.name) != defaults.field(f.name))
            .collect();
        // A parameter that varies over the neurons is set by `per_neuron`; its `params` value only
        // stands for the population where one value is needed (a bias shared on a die uses the
        // neurons' geometric mean instead), which the comment says.
        let per_neuron_varies = |name: &str| {
            p.per_neuron
                .as_ref()
                .is_some_and(|per| per.iter().any(|n| n.field(name) != p.params.field(name)))
        };
        if !changed.is_empty() {
            t.push_str("[population.params]\n");
            for f in changed {
                let v = p.params.field(f.name).expect("field");
                let note = if per_neuron_varies(f.name) {
                    "   # each neuron's value is in [population.per_neuron]"
                } else {
                    ""
                };
                t.push_str(&format!("{} = {}{note}\n", f.name, q(v, f.dim)));
            }
        }
        if let Some(per) = &p.per_neuron {
            let varied: Vec<_> = NeuronParams::FIELDS
                .iter()
                .filter(|f| {
                    per.iter()
                        .any(|n| n.field(f.name) != p.params.field(f.name))
                })
                .collect();
            if !varied.is_empty() {
                t.push_str("[population.per_neuron]   # one value per neuron (or { logspace = [lo, hi] })\n");
                for f in varied {
                    let vals: Vec<String> = per
                        .iter()
                        .map(|n| q(n.field(f.name).expect("field"), f.dim))
                        .collect();
                    let rows: Vec<String> = vals
                        .chunks(4)
                        .map(|c| format!("  {},\n", c.join(", ")))
                        .collect();
                    t.push_str(&format!("{} = [\n{}]\n", f.name, rows.concat()));
                }
            }
        }
        t.push('\n');
    }

    for (i, pr) in spec.projections.iter().enumerate() {
        let name = &names[i];
        t.push_str(&format!(
            "[[projection]]\nname = {}\nfrom = {}\nto = {}\nsynapse = {}\n",
            toml_str(name),
            toml_str(&pr.from),
            toml_str(&pr.to),
            toml_str(pr.synapse.name())
        ));
        let (n_pre, n_post) = (size_of(&pr.from), size_of(&pr.to));
        match &pr.connect {
            Connectivity::AllToAll => t.push_str(&format!(
                "connect = \"all_to_all\"\nweight = {}\n",
                q(pr.weight, Dimension::Current)
            )),
            Connectivity::OneToOne => t.push_str(&format!(
                "connect = \"one_to_one\"\nweight = {}\n",
                q(pr.weight, Dimension::Current)
            )),
            Connectivity::Random { p } => t.push_str(&format!(
                "connect = \"random\"\np = {p:?}\nweight = {}\n",
                q(pr.weight, Dimension::Current)
            )),
            Connectivity::Dense(w) => {
                let file = format!("{table_dir}{name}.csv");
                t.push_str(&format!(
                    "connect = \"dense\"\nweights = {}   # {n_pre} rows (pre `{}`) x {n_post} columns (post `{}`), A\n",
                    toml_str(&file),
                    pr.from,
                    pr.to
                ));
                let comment = format!(
                    "{name}: weights in A, one row per pre neuron of `{}` ({n_pre}), one column per post neuron of `{}` ({n_post})",
                    pr.from, pr.to
                );
                tables.push((file, dense_csv(w, n_post, &comment)));
            }
            Connectivity::Explicit(x) => {
                let file = format!("{table_dir}{name}.csv");
                t.push_str(&format!(
                    "connect = \"explicit\"\nweights = {}   # pre,post,weight_a\n",
                    toml_str(&file)
                ));
                tables.push((file, explicit_csv(x)));
            }
        }
        if pr.delay != 0.0 {
            t.push_str(&format!("delay = {}\n", q(pr.delay, Dimension::Time)));
        }
        t.push('\n');
    }

    for d in &spec.dc {
        t.push_str(&format!(
            "[[dc]]\npopulation = {}\n",
            toml_str(&d.population)
        ));
        if let Some(ns) = &d.neurons {
            t.push_str(&format!("neurons = {ns:?}\n"));
        }
        let steps: Vec<String> = d
            .steps
            .iter()
            .map(|&(a, b)| format!("[{}, {}]", q(a, Dimension::Time), q(b, Dimension::Current)))
            .collect();
        t.push_str(&format!("schedule = [{}]\n\n", steps.join(", ")));
    }

    let r = &spec.record;
    t.push_str("[record]\n");
    if let Some(sp) = &r.spikes {
        t.push_str(&format!("spikes = {}\n", str_list(sp)));
    }
    if let Some(b) = r.rate_bin {
        t.push_str(&format!("rate_bin = {}\n", q(b, Dimension::Time)));
    }
    t.push_str(&format!("stride = {}\n", r.stride));
    // Probes of one population and neuron set are written one variable per entry.
    for p in &r.probes {
        t.push_str(&format!(
            "[[record.state]]\npopulation = {}\nvars = [{}]\n",
            toml_str(&p.population),
            toml_str(&p.var)
        ));
        if let Some(ns) = &p.neurons {
            t.push_str(&format!("neurons = {ns:?}\n"));
        }
    }
    t.push('\n');

    for (k, l) in spec.learning.iter().enumerate() {
        t.push_str(&format!(
            "[[learning]]\nprojection = {}\nerr_pos = {}\nerr_neg = {}\ntau_pre = {}\ntrace_jump = {}\neta = {}\nw_max = {}\nstorage = {}\n",
            toml_str(&names[l.projection]),
            toml_str(&l.err_pos),
            toml_str(&l.err_neg),
            q(l.pre_trace.tau, Dimension::Time),
            q(l.pre_trace.jump, Dimension::Dimensionless),
            q(l.eta, Dimension::Current),
            q(l.w_max, Dimension::Current),
            toml_str(&storage_name(&l.storage)),
        ));
        if !l.mirrors.is_empty() {
            t.push_str(&format!(
                "mirrors = {}\n",
                str_list(l.mirrors.iter().map(|&m| &names[m]))
            ));
        }
        let given = sigmas_given.get(k).copied().unwrap_or(super::GivenSigmas {
            eta: true,
            twin: true,
        });
        if given.eta {
            t.push_str(&format!("eta_sigma_ln = {:?}\n", l.eta_sigma_ln));
        }
        if given.twin {
            t.push_str(&format!("twin_sigma_ln = {:?}\n", l.twin_sigma_ln));
        }
        match l.update {
            UpdateMode::Event => t.push_str("update = \"event\"\n"),
            UpdateMode::Continuous { tau_err } => t.push_str(&format!(
                "update = \"continuous\"\ntau_err = {}\n",
                q(tau_err, Dimension::Time)
            )),
        }
        if l.error_group != 1 {
            t.push_str(&format!("error_group = {}\n", l.error_group));
        }
        if l.zero_sum {
            t.push_str("zero_sum = true\n");
        }
        if let Some(c) = &l.calcium {
            t.push_str(&format!(
                "[learning.calcium]\ntau = {}\njump = {}\nlow = {}\nhigh = {}\n",
                q(c.trace.tau, Dimension::Time),
                q(c.trace.jump, Dimension::Dimensionless),
                q(c.theta_low, Dimension::Dimensionless),
                q(c.theta_high, Dimension::Dimensionless),
            ));
            if let Some(v) = c.theta_up {
                t.push_str(&format!("up = {}\n", q(v, Dimension::Dimensionless)));
            }
            if let Some(v) = c.theta_down {
                t.push_str(&format!("down = {}\n", q(v, Dimension::Dimensionless)));
            }
        }
        t.push('\n');
    }
    (t, tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_back_exactly() {
        for (v, d) in [
            (3e-10, Dimension::Current),
            (1.2e-9, Dimension::Current),
            (0.1 * 3.0, Dimension::Current),
            (1.0 / 3.0 * 1e-12, Dimension::Current),
            (-3e-11, Dimension::Current),
            (0.02, Dimension::Time),
            (100.0, Dimension::Frequency),
            (0.0, Dimension::Time),
            (-1.0, Dimension::Dimensionless),
            (1e-5, Dimension::Dimensionless),
            (300.0, Dimension::Temperature),
        ] {
            let text = exact_quantity(v, d);
            let value: toml::Value = toml::from_str(&format!("x = {text}")).unwrap();
            let back = match &value["x"] {
                toml::Value::String(s) => parse_quantity(s, d).unwrap(),
                toml::Value::Float(f) => *f,
                toml::Value::Integer(i) => *i as f64,
                other => panic!("{other:?}"),
            };
            assert_eq!(back.to_bits(), v.to_bits(), "{v} {text}");
        }
        assert_eq!(exact_quantity(3e-10, Dimension::Current), "\"300 pA\"");
        assert_eq!(exact_quantity(0.02, Dimension::Time), "\"20 ms\"");
    }
}
