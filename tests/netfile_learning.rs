//! Network file: per-synapse weight tables (`connect = "dense" | "explicit"`), generated weights
//! (`init = "uniform"`, `connect = "transpose"`), per-neuron parameters, `external` sources, and the
//! `[[learning]]` and `[train]` tables (docs/network-format.md, Learning). A good file reads into the
//! engine spec it describes; every bad value is an error naming the file, the line, the key and the
//! constraint.

mod common;

use common::TempDir;
use mixsig::circuits::learning::{UpdateMode, WeightStorage};
use mixsig::engine::spec::{Connectivity, SourceKind};
use mixsig::lab::netfile::{load, FileError, NetworkFile};
use mixsig::lab::train::protocol::TeacherAnchor;

const BASE: &str = r#"[[source]]
name = "in"
size = 3
kind = "external"

[[population]]
name = "out"
size = 2

[[population]]
name = "ep"
size = 2

[[population]]
name = "en"
size = 2

[[population]]
name = "hp"
size = 3
[population.per_neuron]
i_spkthr = { logspace = ["100 pA", "400 pA"] }
i_tau_mem = ["5 pA", "6 pA", "7 pA"]

[[projection]]
name = "w"
from = "in"
to = "out"
synapse = "ampa"
connect = "dense"
weights = "w.csv"

[[projection]]
name = "b"
from = "ep"
to = "hp"
synapse = "ampa"
connect = "transpose"
of = "w"

[[projection]]
name = "fixed"
from = "in"
to = "out"
synapse = "gaba"
connect = "explicit"
weights = "x.csv"

[[projection]]
name = "u"
from = "hp"
to = "out"
synapse = "nmda"
connect = "all_to_all"
init = "uniform"
weight = "50 pA"

[[learning]]
projection = "w"
err_pos = "ep"
err_neg = "en"
tau_pre = "20 ms"
eta = "1 pA"
w_max = "1 nA"
storage = "nbit:4"
mirrors = ["b"]
[learning.calcium]
tau = "50 ms"
low = -1
high = 15

[train]
n_per_class = 1
rate_teacher = "100 Hz"
w2 = "w"
"#;

const W: &str = "# in x out\n1e-10,2e-10\n3e-10,4e-10\n5e-10,6e-10\n";
const X: &str = "pre,post,weight_a\n0,1,7e-11\n2,0,8e-11\n";

fn write(dir: &TempDir, text: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.join("w.csv"), W).unwrap();
    std::fs::write(dir.join("x.csv"), X).unwrap();
    let f = dir.join("net.toml");
    std::fs::write(&f, text).unwrap();
    f
}

fn good() -> NetworkFile {
    let dir = TempDir::new("nl-good");
    load(&write(&dir, BASE)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_learning_network_reads_as_written() {
    let nf = good();
    let s = &nf.spec;
    assert_eq!(s.sources[0].kind, SourceKind::List { times: Vec::new() });
    assert_eq!(
        s.projections[0].connect,
        Connectivity::Dense(vec![1e-10, 2e-10, 3e-10, 4e-10, 5e-10, 6e-10])
    );
    // b = w transposed: b[o][i] = w[i][o].
    assert_eq!(
        s.projections[1].connect,
        Connectivity::Dense(vec![1e-10, 3e-10, 5e-10, 2e-10, 4e-10, 6e-10])
    );
    assert_eq!(
        s.projections[2].connect,
        Connectivity::Explicit(vec![(0, 1, 7e-11), (2, 0, 8e-11)])
    );
    match &s.projections[3].connect {
        Connectivity::Dense(w) => {
            assert_eq!(w.len(), 6);
            assert!(w.iter().all(|&x| (0.0..50e-12).contains(&x)));
            assert!(w.windows(2).any(|p| p[0] != p[1]));
        }
        other => panic!("{other:?}"),
    }
    let hp = &s.populations[3];
    let per = hp.per_neuron.as_ref().unwrap();
    assert_eq!(per.len(), 3);
    assert_eq!(per[0].i_spkthr, 100e-12);
    assert!((per[1].i_spkthr / 200e-12 - 1.0).abs() < 1e-12);
    assert!((per[2].i_spkthr / 400e-12 - 1.0).abs() < 1e-12);
    assert!((per[2].i_tau_mem / 7e-12 - 1.0).abs() < 1e-12);
    assert_eq!(per[0].c_mem, hp.params.c_mem);
    assert_eq!(nf.projection_names[3].as_deref(), Some("u"));

    assert_eq!(s.learning.len(), 1);
    let l = &s.learning[0];
    assert_eq!((l.projection, l.mirrors.clone()), (0, vec![1]));
    assert_eq!((l.err_pos.as_str(), l.err_neg.as_str()), ("ep", "en"));
    assert_eq!((l.pre_trace.tau, l.pre_trace.jump), (0.02, 1.0));
    let c = l.calcium.unwrap();
    assert_eq!(
        (c.trace.tau, c.trace.jump, c.theta_low, c.theta_high),
        (0.05, 1.0, -1.0, 15.0)
    );
    // No direction thresholds: the symmetric window.
    assert_eq!((c.theta_up, c.theta_down), (None, None));
    assert_eq!((l.eta, l.w_max), (1e-12, 1e-9));
    assert_eq!(l.storage, WeightStorage::NBit { bits: 4 });
    assert_eq!((l.eta_sigma_ln, l.twin_sigma_ln), (0.0, 0.0));
    assert_eq!(
        (nf.sigmas_given[0].eta, nf.sigmas_given[0].twin),
        (false, false)
    );
    assert_eq!(l.update, UpdateMode::Event);
    // No error_group: each error pair trains only its own post neuron.
    assert_eq!(l.error_group, 1);
    let t = nf.train.unwrap();
    assert_eq!(
        (t.n_per_class, t.rate_teacher, t.w2, t.w1, t.feedback),
        (1, 100.0, 0, None, None)
    );
    // No teacher_on/teacher_off: the teacher fires for the whole presentation.
    assert_eq!(t.teacher_window, None);
}

/// Apply `edit` (from, to) to BASE; the file must fail at the line of `at` (in the edited text) with
/// `key` and every phrase.
fn bad(edit: (&str, &str), at: &str, key: &str, phrases: &[&str]) {
    assert!(BASE.contains(edit.0), "fixture lacks {:?}", edit.0);
    let text = BASE.replacen(edit.0, edit.1, 1);
    let dir = TempDir::new("nl-bad");
    let f = write(&dir, &text);
    let e: FileError = match load(&f) {
        Ok(_) => panic!("should be rejected: {edit:?}"),
        Err(e) => e,
    };
    let msg = e.to_string();
    let line = text[..text.find(at).unwrap_or_else(|| panic!("no {at:?}"))]
        .lines()
        .count()
        + 1;
    assert!(
        msg.contains(&format!("net.toml:{line}: ")),
        "{edit:?}: expected line {line}: {msg}"
    );
    assert!(msg.contains(key), "{edit:?}: key {key}: {msg}");
    for p in phrases {
        assert!(msg.contains(p), "{edit:?}: should say {p:?}: {msg}");
    }
}

#[test]
fn a_pooled_error_group_reads() {
    let dir = TempDir::new("nl-group");
    let text = BASE.replacen("mirrors = [\"b\"]", "mirrors = [\"b\"]\nerror_group = 2", 1);
    let nf = load(&write(&dir, &text)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(nf.spec.learning[0].error_group, 2);
}

#[test]
fn bad_learning_values_are_located() {
    let k = "key `learning[1].";
    for g in ["0", "3", "-1"] {
        bad(
            (
                "mirrors = [\"b\"]",
                &format!("mirrors = [\"b\"]\nerror_group = {g}"),
            ),
            "error_group",
            &format!("{k}error_group`"),
            &[
                &format!("error_group = {g} must be >= 1 and divide"),
                "post `out`",
            ],
        );
    }
    bad(
        ("projection = \"w\"", "projection = \"zz\""),
        "projection = \"zz\"",
        &format!("{k}projection`"),
        &["no projection named `zz`", "w, b, fixed, u"],
    );
    bad(
        ("projection = \"w\"", "projection = \"fixed\""),
        "projection = \"fixed\"",
        &format!("{k}projection`"),
        &["must be dense"],
    );
    bad(
        ("err_pos = \"ep\"", "err_pos = \"zz\""),
        "err_pos = \"zz\"",
        &format!("{k}err_pos`"),
        &["no neuron population named `zz`"],
    );
    bad(
        ("err_neg = \"en\"", "err_neg = \"hp\""),
        "err_neg = \"hp\"",
        &format!("{k}err_neg`"),
        &["`hp` has 3 neurons", "post `out` (2)"],
    );
    bad(
        ("tau_pre = \"20 ms\"", "tau_pre = \"-20 ms\""),
        "tau_pre",
        &format!("{k}tau_pre`"),
        &["must be > 0"],
    );
    bad(
        ("tau_pre = \"20 ms\"", "tau_pre = \"20 pA\""),
        "tau_pre",
        &format!("{k}tau_pre`"),
        &["pA"],
    );
    bad(
        ("tau_pre = \"20 ms\"", "tau_pre = \"20 ms\"\ntrace_jump = 0"),
        "trace_jump",
        &format!("{k}trace_jump`"),
        &["must be > 0"],
    );
    bad(
        ("high = 15", "high = -2"),
        "high = -2",
        &format!("{k}calcium.high`"),
        &["must be > low"],
    );
    bad(
        ("tau = \"50 ms\"", "tau = 0"),
        "tau = 0",
        &format!("{k}calcium.tau`"),
        &["must be > 0"],
    );
    bad(
        ("low = -1", "low = -1\njump = -3"),
        "jump = -3",
        &format!("{k}calcium.jump`"),
        &["must be > 0"],
    );
    bad(
        ("eta = \"1 pA\"", "eta = \"-1 pA\""),
        "eta =",
        &format!("{k}eta`"),
        &["must be >= 0"],
    );
    bad(
        ("w_max = \"1 nA\"", "w_max = 0"),
        "w_max",
        &format!("{k}w_max`"),
        &["must be > 0"],
    );
    bad(
        ("w_max = \"1 nA\"", "w_max = \"300 pA\""),
        "w_max",
        &format!("{k}w_max`"),
        &["below the initial weight", "6e-10"],
    );
    bad(
        ("storage = \"nbit:4\"", "storage = \"nbit:20\""),
        "storage",
        &format!("{k}storage`"),
        &["1..=16"],
    );
    bad(
        ("storage = \"nbit:4\"", "storage = \"flash\""),
        "storage",
        &format!("{k}storage`"),
        &["unknown weight storage `flash`", "analog, nbit:N"],
    );
    bad(
        ("mirrors = [\"b\"]", "mirrors = [\"zz\"]"),
        "mirrors",
        &format!("{k}mirrors`"),
        &["no projection named `zz`"],
    );
    bad(
        ("mirrors = [\"b\"]", "mirrors = [\"u\"]"),
        "mirrors",
        &format!("{k}mirrors`"),
        &["`u` is 3 x 2", "transpose", "2 x 3"],
    );
    bad(
        ("mirrors = [\"b\"]", "mirrors = [\"b\", \"b\"]"),
        "mirrors",
        &format!("{k}mirrors`"),
        &["listed twice"],
    );
    bad(
        (
            "storage = \"nbit:4\"",
            "storage = \"nbit:4\"\neta_sigma_ln = -0.1",
        ),
        "eta_sigma_ln",
        &format!("{k}eta_sigma_ln`"),
        &["must be >= 0"],
    );
    bad(
        (
            "storage = \"nbit:4\"",
            "storage = \"nbit:4\"\ntwin_sigma_ln = \"x\"",
        ),
        "twin_sigma_ln",
        &format!("{k}twin_sigma_ln`"),
        &["x"],
    );
    bad(
        (
            "storage = \"nbit:4\"",
            "storage = \"nbit:4\"\nupdate = \"sometimes\"",
        ),
        "update",
        &format!("{k}update`"),
        &["`sometimes` is not an update mode (event, continuous)"],
    );
    bad(
        (
            "storage = \"nbit:4\"",
            "storage = \"nbit:4\"\nupdate = \"continuous\"\ntau_err = \"-2 ms\"",
        ),
        "tau_err",
        &format!("{k}tau_err`"),
        &["must be > 0"],
    );
    bad(
        (
            "storage = \"nbit:4\"",
            "storage = \"nbit:4\"\ntau_err = \"2 ms\"",
        ),
        "tau_err",
        &format!("{k}tau_err`"),
        &["only with update = \"continuous\""],
    );
    bad(
        ("storage = \"nbit:4\"", "storage = \"nbit:4\"\netaa = 1"),
        "etaa",
        "unknown field `etaa`",
        &["expected one of"],
    );
    bad(
        (
            "[train]",
            "[[learning]]\nprojection = \"b\"\nerr_pos = \"hp\"\nerr_neg = \"hp\"\ntau_pre = \"1 ms\"\neta = 0\nw_max = \"1 nA\"\n\n[train]",
        ),
        "projection = \"b\"",
        "key `learning[2]`",
        &["`b` is already updated by learning[1]"],
    );
}

#[test]
fn direction_specific_calcium_thresholds_read_and_are_checked() {
    let dir = TempDir::new("nl-updown");
    let text = BASE.replacen("high = 15", "high = 15\nup = 2.5\ndown = 0.25", 1);
    let nf = load(&write(&dir, &text)).unwrap_or_else(|e| panic!("{e}"));
    let c = nf.spec.learning[0].calcium.unwrap();
    assert_eq!((c.theta_up, c.theta_down), (Some(2.5), Some(0.25)));
    assert_eq!((c.theta_low, c.theta_high), (-1.0, 15.0));
    let k = "key `learning[1].calcium.";
    bad(
        ("high = 15", "high = 15\nup = 15"),
        "up = 15",
        &format!("{k}up`"),
        &["up = 15 must lie inside the window", "potentiation"],
    );
    bad(
        ("high = 15", "high = 15\ndown = -3"),
        "down = -3",
        &format!("{k}down`"),
        &["down = -3 must lie inside the window", "depression"],
    );
    bad(
        ("high = 15", "high = 15\nup = \"2 pA\""),
        "up = ",
        &format!("{k}up`"),
        &["pA"],
    );
    bad(
        ("high = 15", "high = 15\nupp = 2"),
        "upp = 2",
        "upp",
        &["unknown field"],
    );
}

#[test]
fn bad_train_values_are_located() {
    bad(
        ("n_per_class = 1", "n_per_class = 0"),
        "n_per_class",
        "key `train.n_per_class`",
        &["must be > 0"],
    );
    bad(
        ("rate_teacher = \"100 Hz\"", "rate_teacher = \"-5 Hz\""),
        "rate_teacher",
        "key `train.rate_teacher`",
        &["must be >= 0"],
    );
    bad(
        ("w2 = \"w\"", "w2 = \"zz\""),
        "w2 =",
        "key `train.w2`",
        &["no projection named `zz`"],
    );
    bad(
        ("w2 = \"w\"", "w2 = \"w\"\nw1 = \"fixed\""),
        "w1 =",
        "key `train.w1`",
        &["must be dense"],
    );
    bad(
        ("w2 = \"w\"", "w2 = \"w\"\nfeedback = [\"b\", \"b\", \"b\"]"),
        "feedback",
        "key `train.feedback`",
        &["3 projection(s)", "pair"],
    );
    bad(
        ("w2 = \"w\"", "w2 = \"w\"\nteacher_on = \"40 ms\""),
        "teacher_on",
        "key `train.teacher_on`",
        &["both teacher_on and teacher_off"],
    );
    bad(
        (
            "w2 = \"w\"",
            "w2 = \"w\"\nteacher_on = \"90 ms\"\nteacher_off = \"40 ms\"",
        ),
        "teacher_off",
        "key `train.teacher_off`",
        &["must be after teacher_on"],
    );
    bad(
        (
            "w2 = \"w\"",
            "w2 = \"w\"\nteacher_on = \"40 Hz\"\nteacher_off = \"90 ms\"",
        ),
        "teacher_on",
        "key `train.teacher_on`",
        &["Hz"],
    );
    bad(
        (
            "w2 = \"w\"",
            "w2 = \"w\"\nteacher_on = \"10 ms\"\nteacher_off = \"60 ms\"\nteacher_anchor = \"volley\"",
        ),
        "teacher_anchor",
        "key `train.teacher_anchor`",
        &["\"volley\"", "\"start\"", "\"first_input\""],
    );
    bad(
        ("w2 = \"w\"", "w2 = \"w\"\nteacher_anchor = \"first_input\""),
        "teacher_anchor",
        "key `train.teacher_anchor`",
        &["needs a teacher window"],
    );
}

#[test]
fn a_teacher_window_anchored_on_the_first_input_spike_reads() {
    let text = BASE.replacen(
        "w2 = \"w\"",
        "w2 = \"w\"\nteacher_on = \"10 ms\"\nteacher_off = \"60 ms\"\nteacher_anchor = \"first_input\"",
        1,
    );
    let dir = TempDir::new("nl-anchor");
    let t = load(&write(&dir, &text)).unwrap().train.unwrap();
    assert_eq!(t.teacher_window, Some((0.01, 0.06)));
    assert_eq!(t.teacher_anchor, TeacherAnchor::FirstInput);
    // Without the key the window counts from the presentation start.
    let text = BASE.replacen(
        "w2 = \"w\"",
        "w2 = \"w\"\nteacher_on = \"10 ms\"\nteacher_off = \"60 ms\"",
        1,
    );
    let t = load(&write(&dir, &text)).unwrap().train.unwrap();
    assert_eq!(t.teacher_anchor, TeacherAnchor::Start);
}

#[test]
fn bad_weights_and_generators_are_located() {
    let k = |i: usize, f: &str| format!("key `projection[{i}].{f}`");
    bad(
        (
            "weights = \"w.csv\"",
            "weights = \"w.csv\"\nweight = \"1 pA\"",
        ),
        "weight = \"1 pA\"",
        &k(1, "weight"),
        &["not used with connect = dense", "`weights` file"],
    );
    bad(
        ("weights = \"w.csv\"\n", ""),
        "connect = \"dense\"",
        &k(1, "weights"),
        &["missing", "CSV"],
    );
    bad(
        ("weight = \"50 pA\"", ""),
        "from = \"hp\"",
        &k(4, "weight"),
        &["missing", "needs a weight"],
    );
    bad(
        (
            "init = \"uniform\"",
            "init = \"uniform\"\nweights = \"w.csv\"",
        ),
        "weights = \"w.csv\"\nweight",
        &k(4, "weights"),
        &["read only with connect = dense or explicit"],
    );
    bad(
        ("init = \"uniform\"", "init = \"gaussian\""),
        "init",
        &k(4, "init"),
        &["`gaussian` is not an initialization (constant, uniform)"],
    );
    bad(
        (
            "weights = \"x.csv\"",
            "weights = \"x.csv\"\ninit = \"uniform\"",
        ),
        "init = \"uniform\"\n\n",
        &k(3, "init"),
        &["read only with connect = all_to_all"],
    );
    bad(
        ("of = \"w\"", "of = \"zz\""),
        "of = \"zz\"",
        &k(2, "of"),
        &["no earlier projection named `zz`"],
    );
    bad(
        ("of = \"w\"", "of = \"u\""),
        "of = \"u\"",
        &k(2, "of"),
        &["no earlier projection named `u`"],
    );
    bad(
        ("of = \"w\"\n", ""),
        "connect = \"transpose\"",
        &k(2, "of"),
        &["missing"],
    );
    bad(
        ("weights = \"w.csv\"", "weights = \"w.csv\"\nof = \"w\""),
        "of = \"w\"\n\n[[projection]]\nname = \"b\"",
        &k(1, "of"),
        &["read only with connect = transpose"],
    );
    bad(
        ("connect = \"dense\"", "connect = \"sparse\""),
        "connect = \"sparse\"",
        &k(1, "connect"),
        &[
            "`sparse` is not a connectivity",
            "dense, explicit, transpose",
        ],
    );
    bad(
        ("name = \"fixed\"", "name = \"w\""),
        "name = \"w\"\nfrom = \"in\"\nto = \"out\"\nsynapse = \"gaba\"",
        &k(3, "name"),
        &["unique"],
    );
    // A table of the wrong shape: the CSV file and its line are named.
    let dir = TempDir::new("nl-csv");
    let f = write(&dir, &BASE.replacen("size = 3\nkind", "size = 4\nkind", 1));
    let e = load(&f).unwrap_err().to_string();
    assert!(
        e.contains("w.csv") && e.contains("3 rows, expected 4"),
        "{e}"
    );
    std::fs::write(dir.join("w.csv"), "1e-10,2e-10\n3e-10\n5e-10,6e-10\n").unwrap();
    let e = load(&dir.join("net.toml")).unwrap_err().to_string();
    assert!(
        e.contains("w.csv:2") && e.contains("1 columns, expected 2"),
        "{e}"
    );
}

#[test]
fn bad_per_neuron_values_and_sources_are_located() {
    let k = "key `population[4].per_neuron.";
    bad(
        ("[\"5 pA\", \"6 pA\", \"7 pA\"]", "[\"5 pA\", \"6 pA\"]"),
        "i_tau_mem =",
        &format!("{k}i_tau_mem`"),
        &["2 values for a population of 3"],
    );
    bad(
        (
            "[\"5 pA\", \"6 pA\", \"7 pA\"]",
            "[\"5 pA\", \"-6 pA\", \"7 pA\"]",
        ),
        "i_tau_mem =",
        &format!("{k}i_tau_mem[1]`"),
        &["must be > 0"],
    );
    bad(
        ("i_tau_mem =", "i_tau_memm ="),
        "i_tau_memm",
        &format!("{k}i_tau_memm`"),
        &["unknown parameter"],
    );
    bad(
        (
            "{ logspace = [\"100 pA\", \"400 pA\"] }",
            "{ geomspace = [\"100 pA\", \"400 pA\"] }",
        ),
        "i_spkthr",
        &format!("{k}i_spkthr`"),
        &["`geomspace` is not a spread (logspace, linspace)"],
    );
    bad(
        (
            "{ logspace = [\"100 pA\", \"400 pA\"] }",
            "{ logspace = [\"100 pA\"] }",
        ),
        "i_spkthr",
        &format!("{k}i_spkthr`"),
        &["needs a pair [lo, hi]"],
    );
    bad(
        ("{ logspace = [\"100 pA\", \"400 pA\"] }", "\"100 pA\""),
        "i_spkthr",
        &format!("{k}i_spkthr`"),
        &["expected an array of 3 values"],
    );
    bad(
        ("size = 3\nkind = \"external\"", "kind = \"external\""),
        "name = \"in\"",
        "key `source[1].size`",
        &["missing"],
    );
}
