//! Network file format: the examples parse and build, quantities parse with and without units, and
//! every malformed file is rejected with an error that names the file, the line (`file:LINE:`), the
//! key and the constraint (docs/network-format.md).
//!
//! Malformed fixtures live in tests/data/networks/bad_*.toml (and bad_*.csv for spike lists); the
//! comment above each table row says what is wrong.

use std::path::{Path, PathBuf};

use mixsig::circuits::{Feedback, NeuronParams, SynapseType};
use mixsig::engine::spec::{Connectivity, ModelKind, SourceKind};
use mixsig::engine::Network;
use mixsig::lab::netfile::{load, parse, FileError};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/data/networks").join(name)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn parse_ok(text: &str) -> mixsig::lab::netfile::NetworkFile {
    parse(text, "inline.toml", None).unwrap_or_else(|e| panic!("should parse: {e}\n{text}"))
}

fn parse_err(text: &str, file: &str) -> FileError {
    match parse(text, file, None) {
        Ok(_) => panic!("{file} should be rejected:\n{text}"),
        Err(e) => e,
    }
}

/// The error's Display has `file:line:`, the key and every phrase; `e.line` agrees.
fn assert_located(e: &FileError, file: &str, line: usize, key: &str, phrases: &[&str]) {
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("{file}:{line}: ")),
        "error should be located at {file}:{line}: got\n  {msg}"
    );
    assert_eq!(e.line, line, "{msg}");
    assert!(msg.contains(key), "error should name key {key:?}: {msg}");
    for p in phrases {
        assert!(msg.contains(p), "error should say {p:?}: {msg}");
    }
}

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

#[test]
fn every_example_network_parses_and_builds() {
    let dir = root().join("examples/networks");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "examples: {files:?}");
    for f in &files {
        let nf = load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let dt = nf.sim.dt.unwrap_or(1e-5);
        let net = Network::build(&nf.spec, dt, nf.sim.seed.unwrap_or(1))
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(net.n_neurons() > 0, "{}", f.display());
        assert!(!net.schedule().is_empty());
    }
}

#[test]
fn ei_balanced_example_reads_as_documented() {
    let nf = load(&root().join("examples/networks/ei_balanced.toml")).unwrap();
    let s = &nf.spec;
    assert!(close(nf.sim.dt.unwrap(), 1e-5));
    assert!(close(nf.sim.duration.unwrap(), 1.0));
    assert_eq!(nf.sim.seed, Some(1));
    assert_eq!(s.sources.len(), 1);
    assert_eq!(s.sources[0].size, 64);
    assert_eq!(s.sources[0].kind, SourceKind::Poisson { rate: 20.0 });
    let exc = &s.populations[0];
    assert_eq!((exc.name.as_str(), exc.size), ("exc", 200));
    assert_eq!(exc.model, ModelKind::Physical(Feedback::Exponential));
    assert!(close(exc.params.i_gain_mem, 106e-12));
    assert!(close(exc.params.i_pulse_ahp, 350e-12));
    assert!(close(exc.params.i_tau_nmda, 10.9e-12));
    // Untouched parameters keep their defaults.
    assert_eq!(exc.params.c_mem, NeuronParams::default().c_mem);
    assert_eq!(s.projections.len(), 5);
    let p0 = &s.projections[0];
    assert_eq!(p0.connect, Connectivity::Random { p: 0.25 });
    assert!(close(p0.weight, 300e-12));
    assert_eq!(p0.delay, 0.0);
    assert_eq!(s.projections[3].synapse, SynapseType::Gaba);
    assert_eq!(s.projections[4].synapse, SynapseType::Shunt);
    assert!(close(s.projections[2].delay, 1e-3));
    assert_eq!(s.record.stride, 10);
    assert!(close(s.record.rate_bin.unwrap(), 0.01));
    assert_eq!(s.record.probes.len(), 5);
    assert_eq!(s.record.probes[0].neurons, Some(vec![0, 1, 2]));
}

#[test]
fn dynapsim_example_weight_is_a_multiple_of_i_scale() {
    let nf = load(&root().join("examples/networks/dynapsim_single.toml")).unwrap();
    let pop = &nf.spec.populations[0];
    assert_eq!(pop.model, ModelKind::Dynapsim);
    assert!(close(
        nf.spec.projections[0].weight,
        1.0 * pop.params.i_scale
    ));
    assert_eq!(nf.spec.record.stride, 1);
}

// ---------------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------------

const UNITS: &str = r#"
[simulation]
dt = "5 us"
duration = 0.25          # bare SI: seconds
seed = 42

[[source]]
name = "in"
kind = "regular"
size = 2
rate = "1 kHz"
phase = "2.5ms"          # no space

[[source]]
name = "bg"
kind = "poisson"
size = 3
rate = 20                # bare SI: Hz

[[population]]
name = "a"
size = 4
[population.params]
c_mem = "3 pF"
i_tau_mem = "5.3 pA"
i_gain_mem = 1.06e-10    # bare SI: A
i_scale = "5 nA"
c_syn = "20 pF"          # alias: all four synapse capacitances
kappa_n = 0.7

[[population]]
name = "b"
size = 4
model = "physical-sigmoid"

[[projection]]
from = "in"
to = "a"
synapse = "ampa"
weight = 2               # plain number: 2 x the target's i_scale (5 nA) = 10 nA
delay = "20 ms"

[[projection]]
from = "bg"
to = "a"
synapse = "gaba_b"
connect = "random"
p = "50 %"
weight = "300 pA"
delay = 0.001            # bare SI: s

[[projection]]
from = "a"
to = "b"
synapse = "shunt"
connect = "one_to_one"
weight = 0.5             # 0.5 x b's default i_scale (10 nA)

[[dc]]
population = "b"
neurons = [1, 3]
schedule = [["0 ms", "0 pA"], ["100 ms", 2e-10], [0.2, "-5 pA"]]

[record]
spikes = ["a", "b"]
rate_bin = "10 ms"
stride = 4
[[record.state]]
population = "a"
vars = ["imem", "igaba"]
neurons = [0]
"#;

#[test]
fn quantities_parse_with_and_without_units() {
    let nf = parse_ok(UNITS);
    let s = &nf.spec;
    assert!(close(nf.sim.dt.unwrap(), 5e-6));
    assert!(close(nf.sim.duration.unwrap(), 0.25));
    assert_eq!(nf.sim.seed, Some(42));
    assert_eq!(
        s.sources[0].kind,
        SourceKind::Regular {
            rate: 1000.0,
            phase: 2.5e-3
        }
    );
    assert_eq!(s.sources[1].kind, SourceKind::Poisson { rate: 20.0 });
    let a = &s.populations[0].params;
    assert!(close(a.c_mem, 3e-12));
    assert!(close(a.i_tau_mem, 5.3e-12));
    assert!(close(a.i_gain_mem, 1.06e-10));
    assert!(close(a.i_scale, 5e-9));
    for c in [a.c_ampa, a.c_nmda, a.c_gaba, a.c_shunt] {
        assert!(close(c, 20e-12));
    }
    assert_eq!(a.kappa_n, 0.7);
    assert_eq!(
        s.populations[1].model,
        ModelKind::Physical(Feedback::Sigmoid)
    );
    let p = &s.projections;
    assert!(close(p[0].weight, 10e-9), "2 x 5 nA, got {}", p[0].weight);
    assert!(close(p[0].delay, 0.02));
    assert_eq!(p[1].synapse, SynapseType::Gaba);
    assert_eq!(p[1].connect, Connectivity::Random { p: 0.5 });
    assert!(close(p[1].weight, 300e-12));
    assert!(close(p[1].delay, 1e-3));
    assert_eq!(p[2].connect, Connectivity::OneToOne);
    assert!(close(p[2].weight, 0.5 * NeuronParams::default().i_scale));
    assert_eq!(s.dc[0].neurons, Some(vec![1, 3]));
    let st = &s.dc[0].steps;
    assert_eq!(st.len(), 3);
    assert!(st[0].0 == 0.0 && st[0].1 == 0.0);
    assert!(close(st[1].0, 0.1) && close(st[1].1, 2e-10));
    assert!(close(st[2].0, 0.2) && close(st[2].1, -5e-12));
    assert_eq!(
        s.record.spikes,
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert_eq!(s.record.stride, 4);
    assert!(close(s.record.rate_bin.unwrap(), 0.01));
    assert_eq!(s.record.probes.len(), 2);
    assert_eq!(s.record.probes[1].var, "igaba");
    // And it builds.
    Network::build(s, nf.sim.dt.unwrap(), 42).unwrap();
}

#[test]
fn a_minimal_file_gets_the_documented_defaults() {
    let nf = parse_ok("[[population]]\nname = \"n\"\nsize = 1\n");
    assert_eq!(nf.sim.dt, None);
    assert_eq!(nf.sim.duration, None);
    assert_eq!(nf.sim.seed, None);
    let p = &nf.spec.populations[0];
    assert_eq!(p.model, ModelKind::Physical(Feedback::Exponential));
    assert_eq!(p.params, NeuronParams::default());
    assert_eq!(nf.spec.record.spikes, None, "default: all spikes");
    assert!(nf.spec.record.probes.is_empty(), "default: no state");
    assert_eq!(nf.spec.record.stride, 10);
}

#[test]
fn list_sources_read_spike_csv_relative_to_the_file() {
    let text = "[[source]]\nname = \"l\"\nkind = \"list\"\nfile = \"spikes_ok.csv\"\n\n\
                [[population]]\nname = \"n\"\nsize = 1\n";
    let dir = root().join("tests/data/networks");
    let nf = parse(text, "list.toml", Some(&dir)).unwrap();
    assert_eq!(nf.spec.sources[0].size, 2, "size = highest channel + 1");
    assert_eq!(
        nf.spec.sources[0].kind,
        SourceKind::List {
            times: vec![vec![0.01, 0.03], vec![0.02]]
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed files
// ---------------------------------------------------------------------------------------------

/// (fixture, line, key, phrases): the located error each malformed fixture must give.
const BAD_FILES: &[(&str, usize, &str, &[&str])] = &[
    // `duraton = ...` before any table.
    (
        "bad_unknown_top_key.toml",
        2,
        "duraton",
        &["unknown field", "simulation"],
    ),
    // `colour = "red"` in a [[population]].
    (
        "bad_unknown_population_key.toml",
        4,
        "colour",
        &["unknown field", "size"],
    ),
    // `i_bogus` in [population.params]: the valid names are listed.
    (
        "bad_unknown_param.toml",
        6,
        "population[1].params.i_bogus",
        &["unknown parameter", "valid names", "i_tau_mem", "c_mem"],
    ),
    // c_mem = "3 ms".
    (
        "bad_wrong_unit.toml",
        7,
        "population[1].params.c_mem",
        &["\"3 ms\"", "capacitance", "pF"],
    ),
    // c_mem = "-3 pF".
    (
        "bad_negative_capacitance.toml",
        5,
        "population[1].params.c_mem",
        &["capacitance must be > 0"],
    ),
    // The second population (header on line 5) has no size.
    ("bad_missing_size.toml", 5, "size", &["missing field"]),
    // A projection (header on line 11, `from` on 12) without weight (optional with connect = dense,
    // explicit or transpose, so it is checked after the table is read: located at `from`).
    ("bad_missing_weight.toml", 12, "weight", &["missing field"]),
    // to = "ghost".
    (
        "bad_dangling_reference.toml",
        13,
        "projection[1].to",
        &["ghost", "no neuron population", "known: in, n"],
    ),
    // synapse = "glutamate".
    (
        "bad_synapse_type.toml",
        14,
        "projection[1].synapse",
        &["glutamate", "not a synapse type", "ampa, nmda, gaba, shunt"],
    ),
    // p = 1.5.
    (
        "bad_p_above_one.toml",
        16,
        "projection[1].p",
        &["1.5", "[0, 1]"],
    ),
    // size = 0 in a population.
    (
        "bad_zero_size.toml",
        3,
        "population[1].size",
        &["must be > 0"],
    ),
];

#[test]
fn malformed_files_give_located_errors() {
    for &(name, line, key, phrases) in BAD_FILES {
        let path = fixture(name);
        let e = match load(&path) {
            Ok(_) => panic!("{name} should be rejected"),
            Err(e) => e,
        };
        let file = path.display().to_string();
        assert_eq!(e.file, file);
        assert_located(&e, &file, line, key, phrases);
        // The same text through `parse` with another name gives the same location.
        let text = std::fs::read_to_string(&path).unwrap();
        let e2 = parse_err(&text, "renamed.toml");
        assert_located(&e2, "renamed.toml", line, key, phrases);
    }
}

#[test]
fn zero_source_size_is_located_at_the_size_line() {
    // size = 0 is on line 5; the name on line 2.
    let path = fixture("bad_zero_source_size.toml");
    let e = load(&path).unwrap_err();
    assert_located(
        &e,
        &path.display().to_string(),
        5,
        "source[1].size",
        &["must be > 0"],
    );
}

#[test]
fn malformed_inline_values_give_located_errors() {
    let base = "[[population]]\nname = \"n\"\nsize = 2\n"; // lines 1-3
    let cases: &[(&str, usize, &str, &[&str])] = &[
        // line 4 in each case
        ("size2 = 3\n", 4, "size2", &["unknown field"]),
        ("model = \"hodgkin\"\n", 4, "population[1].model", &["hodgkin", "not a model"]),
        ("[population.params]\nkappa_n = 1.2\n", 5, "population[1].params.kappa_n", &["(0, 1)"]),
        ("[population.params]\ni_tau_mem = \"5 pF\"\n", 5, "population[1].params.i_tau_mem", &["current"]),
        ("[population.params]\ni_tau_mem = \"five pA\"\n", 5, "population[1].params.i_tau_mem", &["five pA"]),
        ("[population.params]\ni_tau_mem = true\n", 5, "population[1].params.i_tau_mem", &["boolean"]),
        ("[population.params]\ni_ref = 0\n", 5, "population[1].params.i_ref", &["must be > 0"]),
        (
            "[simulation]\ndt = \"10 pA\"\n",
            5,
            "simulation.dt",
            &["time", "pA"],
        ),
        ("[simulation]\nduration = \"-1 s\"\n", 5, "simulation.duration", &["must be > 0"]),
        ("[record]\nstride = 2\nrate_bin = \"10 mV\"\n", 6, "record.rate_bin", &["time"]),
        ("[record]\nstrid = 2\n", 5, "strid", &["unknown field"]),
        (
            "[[record.state]]\npopulation = \"m\"\nvars = [\"imem\"]\n",
            5,
            "record.state[1].population",
            &["`m`", "known: n"],
        ),
        ("[[dc]]\npopulation = \"n\"\nschedule = [[\"0 s\", \"1 ms\"]]\n", 6, "dc[1].schedule[1].i", &["current"]),
        ("[[dc]]\npopulation = \"nn\"\nschedule = []\n", 5, "dc[1].population", &["`nn`"]),
        (
            "[[source]]\nname = \"s\"\nkind = \"poisson\"\nsize = 2\nrate = \"-3 Hz\"\n",
            8,
            "source[1].rate",
            &["must be >= 0"],
        ),
        ("[[source]]\nname = \"s\"\nkind = \"bursty\"\nsize = 2\n", 6, "source[1].kind", &["bursty", "poisson, regular, list"]),
        ("[[source]]\nname = \"s\"\nkind = \"poisson\"\nsize = 2\n", 5, "source[1].rate", &["missing"]),
        (
            "[[projection]]\nfrom = \"n\"\nto = \"n\"\nsynapse = \"ampa\"\nweight = \"-1 pA\"\n",
            8,
            "projection[1].weight",
            &["must be >= 0"],
        ),
        (
            "[[projection]]\nfrom = \"n\"\nto = \"n\"\nsynapse = \"ampa\"\nweight = -0.5\n",
            8,
            "projection[1].weight",
            &["must be >= 0"],
        ),
        (
            "[[projection]]\nfrom = \"n\"\nto = \"n\"\nsynapse = \"ampa\"\nweight = \"1 ms\"\n",
            8,
            "projection[1].weight",
            &["current"],
        ),
        (
            "[[projection]]\nfrom = \"n\"\nto = \"n\"\nsynapse = \"ampa\"\nweight = 1\ndelay = \"-1 ms\"\n",
            9,
            "projection[1].delay",
            &["must be >= 0"],
        ),
        (
            "[[projection]]\nfrom = \"n\"\nto = \"n\"\nsynapse = \"ampa\"\nconnect = \"random\"\np = -0.1\nweight = 1\n",
            9,
            "projection[1].p",
            &["must be >= 0"],
        ),
        (
            "[[projection]]\nfrom = \"n\"\nto = \"n\"\nsynapse = \"ampa\"\nconnect = \"ring\"\nweight = 1\n",
            8,
            "projection[1].connect",
            &["ring", "all_to_all, one_to_one, random"],
        ),
        (
            "[[projection]]\nfrom = \"x\"\nto = \"n\"\nsynapse = \"ampa\"\nweight = 1\n",
            5,
            "projection[1].from",
            &["`x`", "known: n"],
        ),
    ];
    for &(extra, line, key, phrases) in cases {
        let text = format!("{base}{extra}");
        let e = parse_err(&text, "case.toml");
        assert_located(&e, "case.toml", line, key, phrases);
    }
    // A value of the wrong type is located by the toml reader.
    let e = parse_err("[[population]]\nname = \"n\"\nsize = -2\n", "neg.toml");
    assert!(e.to_string().starts_with("neg.toml:3: "), "{e}");
    // A TOML syntax error too.
    let e = parse_err("[[population]]\nname = \"n\nsize = 2\n", "syntax.toml");
    assert!(e.to_string().starts_with("syntax.toml:2: "), "{e}");
}

#[test]
fn bad_spike_lists_are_located_in_the_csv() {
    let csv = fixture("bad_spikes_header.csv").display().to_string();
    let e = load(&fixture("bad_spike_list_header.toml")).unwrap_err();
    assert_located(
        &e,
        &csv,
        1,
        "",
        &["header must be `t_s,channel`", "step_index"],
    );

    // channel 2 on line 4 of the CSV, for a source of size 2.
    let csv = fixture("bad_spikes_channel.csv").display().to_string();
    let e = load(&fixture("bad_spike_list_channel.toml")).unwrap_err();
    assert_located(&e, &csv, 4, "channel", &["out of range", "2 channels"]);

    // A missing spike file names the file.
    let e = parse(
        "[[source]]\nname = \"l\"\nkind = \"list\"\nfile = \"no_such.csv\"\n",
        "x.toml",
        Some(&root().join("tests/data/networks")),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no_such.csv"), "{e}");
    assert!(e.to_string().contains("cannot read"), "{e}");
}

#[test]
fn bad_spike_list_rows_are_located() {
    let dir = std::env::temp_dir().join(format!("mixsig-netfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: &[(&str, usize, &str, &[&str])] = &[
        (
            "t_s,channel\n0.01,0\nsoon,1\n",
            3,
            "t_s",
            &["`soon` is not a number"],
        ),
        (
            "t_s,channel\n0.01,0\n\n0.02,-1\n",
            4,
            "channel",
            &["`-1` is not a channel index"],
        ),
        ("t_s,channel\n-0.01,0\n", 2, "t_s", &[">= 0"]),
        (
            "t_s,chan\n0.01,0\n",
            1,
            "",
            &["header must be `t_s,channel`"],
        ),
    ];
    for (i, &(csv, line, key, phrases)) in cases.iter().enumerate() {
        let name = format!("case{i}.csv");
        std::fs::write(dir.join(&name), csv).unwrap();
        let text = format!("[[source]]\nname = \"l\"\nkind = \"list\"\nfile = \"{name}\"\n");
        let e = parse(&text, "x.toml", Some(&dir)).unwrap_err();
        let file = dir.join(&name).display().to_string();
        assert_located(&e, &file, line, key, phrases);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn spike_list_may_start_with_a_comment() {
    let dir = std::env::temp_dir().join(format!("mixsig-netfile-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("c.csv"),
        "# recorded 2026-11-28\nt_s,channel\n0.01,0\n",
    )
    .unwrap();
    let text = "[[source]]\nname = \"l\"\nkind = \"list\"\nfile = \"c.csv\"\n";
    let r = parse(text, "x.toml", Some(&dir));
    std::fs::remove_dir_all(&dir).ok();
    let nf = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        nf.spec.sources[0].kind,
        SourceKind::List {
            times: vec![vec![0.01]]
        }
    );
}

#[test]
fn missing_file_names_the_file() {
    let p = fixture("does_not_exist.toml");
    let e = load(&p).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("does_not_exist.toml"), "{m}");
    assert!(m.contains("cannot read"), "{m}");
}

/// Errors the engine would catch at build time are already located by the file reader: the
/// user edits a file, not a `NetworkSpec` (the docs promise file, line, key and constraint for
/// references to populations that do not exist and for non-physical values).
#[test]
fn semantic_errors_are_located_in_the_file() {
    let base = "[[source]]\nname = \"in\"\nkind = \"poisson\"\nsize = 3\nrate = 10\n\n\
                [[population]]\nname = \"d\"\nsize = 2\nmodel = \"dynapsim\"\n"; // lines 1-10
    let cases: &[(&str, usize, &[&str])] = &[
        // record.spikes names a population that does not exist (a dangling reference).
        ("[record]\nspikes = [\"d\", \"ghost\"]\n", 13, &["ghost", "record.spikes"]),
        // dynapsim targets have one lumped AMPA synapse.
        (
            "[[projection]]\nfrom = \"in\"\nto = \"d\"\nsynapse = \"nmda\"\nweight = 1\n",
            15,
            &["projection[1].synapse", "dynapsim", "ampa"],
        ),
        // one_to_one with sizes 3 -> 2.
        (
            "[[projection]]\nfrom = \"in\"\nto = \"d\"\nsynapse = \"ampa\"\nconnect = \"one_to_one\"\nweight = 1\n",
            16,
            &["projection[1].connect", "one_to_one", "3", "2"],
        ),
        // A duplicate name.
        ("[[population]]\nname = \"in\"\nsize = 1\n", 13, &["population[2].name", "duplicate"]),
        // A probe of a variable the model does not have.
        (
            "[[record.state]]\npopulation = \"d\"\nvars = [\"inmda\"]\n",
            14,
            &["record.state[1].vars", "inmda", "isyn"],
        ),
        // A DC neuron index out of range.
        ("[[dc]]\npopulation = \"d\"\nneurons = [5]\nschedule = [[0, 1e-10]]\n", 14, &["dc[1].neurons", "5"]),
    ];
    let mut failures = Vec::new();
    for &(extra, line, phrases) in cases {
        let text = format!("{base}\n{extra}");
        match parse(&text, "sem.toml", None) {
            Ok(nf) => failures.push(format!(
                "accepted by parse (build says: {:?}):\n{extra}",
                Network::build(&nf.spec, 1e-5, 1)
                    .err()
                    .map(|e| e.to_string())
            )),
            Err(e) => {
                let m = e.to_string();
                if !m.starts_with(&format!("sem.toml:{line}: "))
                    || phrases.iter().any(|p| !m.contains(p))
                {
                    failures.push(format!("want line {line} and {phrases:?}, got {m}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn fixture_paths_exist() {
    // Guard against a renamed fixture silently dropping a case.
    for &(name, ..) in BAD_FILES {
        assert!(Path::new(&fixture(name)).exists(), "{name}");
    }
}
