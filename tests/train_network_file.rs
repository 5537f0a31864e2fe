//! The `mixsig train` network as a network file (`mixsig_lab::train::netspec`): exporting the preset
//! and importing it gives back exactly the preset's spec (populations, per-neuron parameters,
//! projections with every weight, learning circuits) and the same learning curve; an edited size
//! trains without code changes; a file that does not fit the task is rejected naming file, line and
//! key; the command line exports, trains from a file and refuses options the file decides.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use mixsig::circuits::learning::{UpdateMode, WeightStorage};
use mixsig::engine::plasticity::dense_mut;
use mixsig::engine::spec::Connectivity;
use mixsig::engine::Network;
use mixsig::lab::tasks::Pattern;
use mixsig::lab::train::netspec::{self, NETWORK_FILE};
use mixsig::lab::train::network::FeedbackMode;
use mixsig::lab::train::protocol::TeacherAnchor;
use mixsig::lab::train::run::{self, TaskSource, TrainError, TrainOptions};

fn ideal() -> TrainOptions {
    TrainOptions {
        profile: None,
        presentations: 20,
        n_test: 10,
        test_every: 10,
        ..TrainOptions::default()
    }
}

fn export(opts: &TrainOptions, dir: &TempDir) -> PathBuf {
    netspec::export(opts, dir.path()).unwrap();
    dir.join(NETWORK_FILE)
}

/// `opts` training the network of `file` (whose `[train]` table has the learning-rate decay).
fn from_file(opts: &TrainOptions, file: &Path) -> TrainOptions {
    TrainOptions {
        network: Some(file.to_path_buf()),
        eta_decay: None,
        ..opts.clone()
    }
}

#[test]
fn exported_preset_imports_to_the_same_network() {
    let variants: Vec<(&str, TrainOptions)> = vec![
        ("order mirrored", ideal()),
        (
            "random feedback",
            TrainOptions {
                feedback: FeedbackMode::Random,
                ..ideal()
            },
        ),
        (
            "no feedback",
            TrainOptions {
                feedback: FeedbackMode::None,
                ..ideal()
            },
        ),
        (
            "no hidden",
            TrainOptions {
                no_hidden: true,
                ..ideal()
            },
        ),
        (
            "4-bit, xor, seed 5, eta sigma",
            TrainOptions {
                storage: WeightStorage::NBit { bits: 4 },
                task: TaskSource::Pattern(Pattern::Xor),
                seed: 5,
                eta_sigma_ln: Some(0.1),
                ..ideal()
            },
        ),
        (
            "sync preset (teacher window anchored on the first input spike)",
            TrainOptions {
                task: TaskSource::Pattern(Pattern::Sync),
                ..ideal()
            },
        ),
        (
            "frozen-poisson preset (signed readout)",
            TrainOptions {
                task: TaskSource::Pattern(Pattern::FrozenPoisson),
                ..ideal()
            },
        ),
        (
            "frozen-poisson, feedback none (no hidden error pairs)",
            TrainOptions {
                task: TaskSource::Pattern(Pattern::FrozenPoisson),
                feedback: FeedbackMode::None,
                ..ideal()
            },
        ),
        (
            "no hidden, eta_decay 0 (written 0.0)",
            TrainOptions {
                no_hidden: true,
                eta_decay: Some(0.0),
                ..ideal()
            },
        ),
        (
            "frozen-poisson, eta_decay 250 (the signed readout's)",
            TrainOptions {
                task: TaskSource::Pattern(Pattern::FrozenPoisson),
                eta_decay: Some(250.0),
                ..ideal()
            },
        ),
        (
            "continuous update, twin sigma",
            TrainOptions {
                update: UpdateMode::Continuous { tau_err: 0.02 },
                twin_sigma_ln: Some(0.05),
                ..ideal()
            },
        ),
    ];
    for (what, opts) in variants {
        let dir = TempDir::new("netspec-rt");
        let file = export(&opts, &dir);
        let preset = run::prepare(&opts).unwrap();
        let imported = run::prepare(&from_file(&opts, &file)).unwrap();
        // Not vacuous: the preset has plastic dense projections with distinct weights.
        assert!(!preset.spec.learning.is_empty(), "{what}");
        let w2 = &preset.spec.projections[preset.layout.w2];
        match &w2.connect {
            Connectivity::Dense(w) => assert!(w.windows(2).any(|p| p[0] != p[1]), "{what}"),
            other => panic!("{what}: W2 is {other:?}"),
        }
        assert_eq!(imported.spec.sources, preset.spec.sources, "{what}");
        // The protocol the file implies (teacher window and its anchor) is the preset's.
        assert_eq!(imported.protocol, preset.protocol, "{what}");
        if what.starts_with("sync") {
            // Not vacuous: the sync preset's teacher window follows the first input spike.
            assert_eq!(preset.protocol.teacher_anchor, TeacherAnchor::FirstInput);
            assert!(preset.protocol.teacher_window.is_some());
        }
        assert_eq!(imported.spec.populations, preset.spec.populations, "{what}");
        for (i, (a, b)) in imported
            .spec
            .projections
            .iter()
            .zip(&preset.spec.projections)
            .enumerate()
        {
            assert_eq!(a, b, "{what}: projection #{i}");
        }
        assert_eq!(
            imported.spec.projections.len(),
            preset.spec.projections.len()
        );
        assert_eq!(imported.spec.learning, preset.spec.learning, "{what}");
        assert_eq!(imported.spec, preset.spec, "{what}");
        assert_eq!(imported.layout, preset.layout, "{what}");
        let (a, b) = (&imported.cfg, &preset.cfg);
        // A file's detector layer is one population: sequence, coincidence and integrator neurons.
        assert_eq!(
            (a.n_hidden, a.n_per_class, a.storage),
            (b.n_hidden + b.n_coinc + b.n_integ, b.n_per_class, b.storage),
            "{what}"
        );
        assert_eq!(
            (a.calcium, a.calcium_out),
            (b.calcium, b.calcium_out),
            "{what}"
        );
        // The `xor` preset's conjunction layer and W1's own rule read back from the file.
        assert_eq!(
            (
                a.n_conj,
                a.w_conj_max,
                a.w1_zero_sum,
                a.tau_pre_w1,
                a.w1_calcium
            ),
            (
                b.n_conj,
                b.w_conj_max,
                b.w1_zero_sum,
                b.tau_pre_w1,
                b.w1_calcium
            ),
            "{what}"
        );
        assert_eq!(b.n_conj > 0, what.contains("xor"), "{what}");
        // Without a hidden layer the preset keeps the requested mode; the file has no feedback.
        if b.n_hidden > 0 {
            assert_eq!(a.feedback, b.feedback, "{what}");
        }
        assert_eq!(
            (
                a.w1_max,
                a.w2_max,
                a.eta1,
                a.eta2,
                a.rate_teacher,
                a.eta_sigma_ln
            ),
            (
                b.w1_max,
                b.w2_max,
                b.eta1,
                b.eta2,
                b.rate_teacher,
                b.eta_sigma_ln
            ),
            "{what}"
        );
        assert_eq!(a.hidden_thresholds.0, b.hidden_thresholds.0, "{what}");
        assert_eq!(
            (a.teacher_window, a.teacher_anchor),
            (b.teacher_window, b.teacher_anchor),
            "{what}"
        );
        // The learning-rate decay reads back (not vacuous: `sync` and `frozen-poisson` decay
        // slower than the default) and reaches the protocol.
        assert_eq!(a.learning_rate_decay(), b.learning_rate_decay(), "{what}");
        assert_eq!(preset.protocol.eta_decay, b.learning_rate_decay(), "{what}");
        assert_eq!(
            b.learning_rate_decay() != 100.0,
            what.starts_with("frozen-poisson")
                || what.starts_with("sync")
                || what.contains("eta_decay"),
            "{what}"
        );
        assert_eq!(
            (a.update, a.twin_sigma_ln),
            (b.update, b.twin_sigma_ln),
            "{what}"
        );
        // The dead zones (the effective one of each error population: `xor` has its own, 0, on
        // the hidden pairs) and the error neurons' time constants read back from the file.
        // The base dead zone itself reads back too (a file without hidden error pairs has no
        // other place for it than the default).
        assert_eq!(a.dead_zone, b.dead_zone, "{what}");
        let dz = |c: &mixsig::lab::train::network::NetConfig| {
            let d = c.output_dead_zone();
            (
                d,
                c.dead_zone_neg.unwrap_or(d),
                c.hidden_dead_zone.unwrap_or(c.dead_zone),
            )
        };
        assert_eq!(dz(a), dz(b), "{what}");
        // Not vacuous: the file's own hidden dead zone (xor's 0) is read back as such.
        assert_eq!(a.hidden_dead_zone.is_some(), what.contains("xor"), "{what}");
        for (x, y) in [
            (a.error_tau.0, b.error_tau.0),
            (a.error_tau.1, b.error_tau.1),
        ] {
            assert!((x - y).abs() < 1e-9 * y, "{what}: error_tau {x} vs {y}");
        }
        // The readout's pooled error (the `sync` preset's) reads back from `error_group`.
        assert_eq!(a.error_pool, b.error_pool, "{what}");
        assert_eq!(b.error_pool, what.starts_with("sync"), "{what}");
        // The bias projection's split over synapses and its bound read back from the bias
        // source's size (not vacuous: the `sync` preset splits it).
        assert_eq!(
            (a.bias_rate, a.bias_synapses, a.w_bias_max),
            (b.bias_rate, b.bias_synapses, b.w_bias_max),
            "{what}"
        );
        assert_eq!(b.bias_synapses > 1, what.starts_with("sync"), "{what}");
        // The signed readout (its bound, rate and dead zone) reads back from its learning
        // circuit (not vacuous: the `frozen-poisson` preset has one).
        assert_eq!(a.signed_readout, b.signed_readout, "{what}");
        assert_eq!(
            b.signed_readout.is_some(),
            what.starts_with("frozen-poisson"),
            "{what}"
        );
    }
}

/// Exported for a chip whose neurons cannot hold the signed readout's fan-in, the file is the
/// network `--profile` trains there: `frozen-poisson` without the twin.
#[test]
fn an_export_for_dynapse2_is_the_network_trained_there() {
    let opts = TrainOptions {
        profile: Some("dynapse2".into()),
        task: TaskSource::Pattern(Pattern::FrozenPoisson),
        ..ideal()
    };
    let dir = TempDir::new("netspec-fp-die");
    let (files, notes) = netspec::export(&opts, dir.path()).unwrap();
    let file = files.last().unwrap().clone();
    // The export says what fitting changed, and so does the file.
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("signed readout"), "{}", notes[0]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("Fitted to the profile `dynapse2`: the signed readout"),
        "{}",
        &text[..600.min(text.len())]
    );
    let preset = run::prepare(&opts).unwrap();
    let imported = run::prepare(&from_file(&opts, &file)).unwrap();
    assert_eq!(preset.cfg.signed_readout, None);
    assert!(
        preset.warnings.iter().any(|w| w.contains("signed readout")),
        "{:?}",
        preset.warnings
    );
    assert_eq!(imported.cfg.signed_readout, None);
    // The protocol too: the default learning-rate decay, not the twin's.
    assert_eq!(imported.protocol, preset.protocol);
    assert_eq!(preset.protocol.eta_decay, 100.0);
    assert_eq!(imported.spec.learning, preset.spec.learning);
    assert_eq!(imported.spec.projections, preset.spec.projections);
}

/// A file whose neurons receive more synapses than the chip has fails before anything runs, naming
/// the file, the population's line and the counts.
#[test]
fn a_file_too_wide_for_the_chip_is_rejected_with_its_line() {
    let ideal_fp = TrainOptions {
        task: TaskSource::Pattern(Pattern::FrozenPoisson),
        ..ideal()
    };
    let dir = TempDir::new("netspec-wide");
    let file = export(&ideal_fp, &dir);
    let on_die = TrainOptions {
        profile: Some("dynapse2".into()),
        ..from_file(&ideal_fp, &file)
    };
    let e = run::prepare(&on_die).unwrap_err().to_string();
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text.lines().position(|l| l == "name = \"out\"").unwrap() + 1;
    for want in [
        format!("{}:{line}:", file.display()),
        "population `out`".into(),
        "101 synapses".into(),
        "dynapse2 neuron has 64".into(),
    ] {
        assert!(e.contains(&want), "{e}\nmissing: {want}");
    }
    // On ideal circuits the same file trains.
    assert!(run::prepare(&from_file(&ideal_fp, &file)).is_ok());
}

/// Write the network `cfg` builds (16 inputs, 2 classes, seed 1) as a network file in `dir`.
fn file_of(cfg: &mixsig::lab::train::network::NetConfig, dir: &TempDir) -> PathBuf {
    use mixsig::lab::netfile::GivenSigmas;
    let (spec, layout) = mixsig::lab::train::network::build(16, 2, cfg, 1);
    let (text, tables) = netspec::to_files(
        &spec,
        &layout,
        cfg,
        None,
        GivenSigmas::default(),
        "a test network",
        "",
    );
    std::fs::create_dir_all(dir.path()).unwrap();
    for (name, t) in &tables {
        std::fs::write(dir.join(name), t).unwrap();
    }
    std::fs::write(dir.join(NETWORK_FILE), text).unwrap();
    dir.join(NETWORK_FILE)
}

/// The error neurons' own knobs (`NetConfig::error_tau`, `dead_zone_neg`, `hidden_dead_zone`) read
/// back from a file written from a network built with other values than any preset has.
#[test]
fn error_neuron_knobs_read_back_from_a_network_file() {
    use mixsig::lab::train::network::NetConfig;
    let preset = run::prepare(&ideal()).unwrap();
    let cfg = NetConfig {
        error_tau: (5.0, 2.0),
        dead_zone_neg: Some(7e-11),
        hidden_dead_zone: Some(1e-11),
        ..preset.cfg.clone()
    };
    let dir = TempDir::new("netspec-err");
    let file = file_of(&cfg, &dir);
    let a = run::prepare(&from_file(&ideal(), &file)).unwrap().cfg;
    assert_eq!(
        (a.dead_zone, a.dead_zone_neg, a.hidden_dead_zone),
        (cfg.dead_zone, Some(7e-11), Some(1e-11))
    );
    assert!((a.error_tau.0 - 5.0).abs() < 1e-9 && (a.error_tau.1 - 2.0).abs() < 1e-9);
    // The preset's own values read back as "no override".
    let p = run::prepare(&from_file(
        &ideal(),
        &export(&ideal(), &TempDir::new("netspec-err0")),
    ))
    .unwrap()
    .cfg;
    assert_eq!((p.dead_zone_neg, p.hidden_dead_zone), (None, None));
    assert!((p.error_tau.0 - 3.0).abs() < 1e-9 && (p.error_tau.1 - 1.0).abs() < 1e-9);
}

/// With a signed readout the output pairs' dead zone is the readout's and the hidden pairs' the
/// base one, also when the two are equal (then no pair differs from another in the file).
#[test]
fn a_signed_readout_file_reads_back_both_dead_zones() {
    use mixsig::lab::train::config::SignedReadout;
    use mixsig::lab::train::network::NetConfig;
    let sr = SignedReadout {
        w_max: 4e-10,
        eta: 1.2e-11,
        dead_zone: 6e-11,
        eta_decay: 500.0,
    };
    for hidden in [3e-11, 6e-11, 8e-11] {
        let cfg = NetConfig {
            signed_readout: Some(sr),
            dead_zone: hidden,
            ..NetConfig::for_task("order")
        };
        let dir = TempDir::new("netspec-sr-dz");
        let a = run::prepare(&from_file(&ideal(), &file_of(&cfg, &dir)))
            .unwrap()
            .cfg;
        assert_eq!(a.signed_readout, Some(sr), "hidden {hidden}");
        assert_eq!(
            (
                a.output_dead_zone(),
                a.hidden_dead_zone.unwrap_or(a.dead_zone)
            ),
            (6e-11, hidden),
            "hidden {hidden}"
        );
    }
}

#[test]
fn an_export_with_calibrate_carries_it_in_the_chip_table() {
    let task = run::load_task(&ideal()).unwrap();
    for calibrate in [false, true] {
        let dir = TempDir::new("netspec-calibrate");
        let file = export(
            &TrainOptions {
                calibrate,
                ..ideal()
            },
            &dir,
        );
        let n = netspec::import(&file, &task, 1, (None, 0.0), (None, 0.0)).unwrap();
        assert_eq!(n.calibrate, calibrate);
    }
}

#[test]
fn mismatch_spreads_come_from_the_file_the_profile_default_or_the_command_line() {
    let task = run::load_task(&ideal()).unwrap();
    let dir = TempDir::new("netspec-sigma");
    // Exported without --eta-sigma/--twin-sigma: the keys are omitted, the default applies.
    let file = export(&ideal(), &dir);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("eta_sigma_ln") && !text.contains("twin_sigma_ln"));
    let n = netspec::import(&file, &task, 1, (None, 0.2), (None, 0.03)).unwrap();
    assert!(n
        .spec
        .learning
        .iter()
        .all(|l| (l.eta_sigma_ln, l.twin_sigma_ln) == (0.2, 0.03)));
    // Given in the file: the file wins over the default, the command line over the file.
    let given = TrainOptions {
        eta_sigma_ln: Some(0.1),
        twin_sigma_ln: Some(0.05),
        ..ideal()
    };
    let file = export(&given, &dir);
    let n = netspec::import(&file, &task, 1, (None, 0.2), (None, 0.03)).unwrap();
    assert!(n
        .spec
        .learning
        .iter()
        .all(|l| (l.eta_sigma_ln, l.twin_sigma_ln) == (0.1, 0.05)));
    let n = netspec::import(&file, &task, 1, (Some(0.0), 0.2), (Some(0.4), 0.03)).unwrap();
    assert!(n
        .spec
        .learning
        .iter()
        .all(|l| (l.eta_sigma_ln, l.twin_sigma_ln) == (0.0, 0.4)));
}

#[test]
fn training_from_the_exported_file_gives_the_preset_learning_curve() {
    let opts = ideal();
    let dir = TempDir::new("netspec-train");
    let file = export(&opts, &dir);
    let a = run::train(&opts, |_, _| {}).unwrap();
    let b = run::train(&from_file(&opts, &file), |_, _| {}).unwrap();
    let curve = |o: &run::TrainOutcome| serde_json::to_string(&o.result.curve).unwrap();
    assert_eq!(a.result.curve.len(), 3);
    assert_eq!(curve(&a), curve(&b));
    // The weights moved, so equal curves are not two untrained networks agreeing.
    assert_ne!(a.result.curve[0].w2_mean, a.result.curve[2].w2_mean);
    assert_eq!(b.options.network.as_deref(), Some(file.as_path()));
    // The `order` preset gates its teacher: the file carries the window (an import that dropped it
    // would train with the teacher on for the whole presentation, and the curves above would differ).
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("teacher_on = ") && text.contains("teacher_off = "));
}

#[test]
fn on_a_die_the_file_network_gets_the_same_biases_and_curve() {
    let opts = TrainOptions {
        profile: Some("dynapse2".into()),
        presentations: 6,
        n_test: 4,
        test_every: 3,
        ..TrainOptions::default()
    };
    let dir = TempDir::new("netspec-die");
    let file = export(&opts, &dir);
    let a = run::train(&opts, |_, _| {}).unwrap();
    let b = run::train(&from_file(&opts, &file), |_, _| {}).unwrap();
    let (ca, cb) = (a.chip.as_ref().unwrap(), b.chip.as_ref().unwrap());
    let codes = |c: &run::ChipInfo| -> Vec<String> {
        c.biases
            .iter()
            .map(|x| format!("{} {} {:?}", x.core, x.report.bias, x.report.code))
            .collect()
    };
    assert!(!ca.biases.is_empty());
    assert_eq!(codes(ca), codes(cb));
    assert_eq!(
        serde_json::to_string(&ca.placement).unwrap(),
        serde_json::to_string(&cb.placement).unwrap()
    );
    let curve = |o: &run::TrainOutcome| serde_json::to_string(&o.result.curve).unwrap();
    assert_eq!(curve(&a), curve(&b));

    // `core = N` in the file overrides the placement by role: `out` and the hidden error neurons
    // (cores 1 and 3 by role) swap cores.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut moved = text.replacen(
        "name = \"out\"\nsize = 8\n",
        "name = \"out\"\nsize = 8\ncore = 3\n",
        1,
    );
    for eh in ["eh_p", "eh_n"] {
        moved = moved.replacen(
            &format!("name = \"{eh}\"\n"),
            &format!("name = \"{eh}\"\ncore = 1\n"),
            1,
        );
    }
    assert_eq!(moved.matches("core = ").count(), 3);
    std::fs::write(&file, moved).unwrap();
    let prep = run::prepare(&from_file(&opts, &file)).unwrap();
    let placed = &prep.chip.unwrap().placement;
    let core_of = |n: &str| {
        placed
            .iter()
            .find(|p| p.population == n)
            .unwrap()
            .cores
            .clone()
    };
    assert_eq!(core_of("out"), vec![3]);
    assert_eq!(core_of("eh_p"), vec![1]);
    assert_eq!(core_of("hid"), vec![0]);
    let by_role = ca.placement.iter().find(|p| p.population == "out").unwrap();
    assert_eq!(by_role.cores, vec![1]);
}

/// Replace the `connect`/`weights` lines of projection `name` in an exported file by `with`.
fn regenerate(text: &str, name: &str, with: &str) -> String {
    let head = format!("[[projection]]\nname = \"{name}\"\n");
    let start = text
        .find(&head)
        .unwrap_or_else(|| panic!("no projection {name}"));
    let c = start + text[start..].find("connect = \"dense\"").unwrap();
    let end = c + text[c..].find('\n').unwrap() + 1;
    let end = end + text[end..].find('\n').unwrap() + 1; // the weights line
    format!("{}{with}\n{}", &text[..c], &text[end..])
}

#[test]
fn editing_the_hidden_size_trains_without_code_changes() {
    let opts = TrainOptions {
        presentations: 6,
        n_test: 4,
        test_every: 3,
        ..ideal()
    };
    let dir = TempDir::new("netspec-resize");
    let file = export(&opts, &dir);
    let text = std::fs::read_to_string(&file).unwrap();
    let resized = text.replace("size = 32\n", "size = 12\n");
    assert_eq!(resized.matches("size = 12\n").count(), 3, "hid, eh_p, eh_n");

    // Sizes alone: the tables no longer fit, and the error says which and where.
    std::fs::write(&file, &resized).unwrap();
    let e = run::prepare(&from_file(&opts, &file))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("per_neuron.i_spkthr") && e.contains("32 values for a population of 12"),
        "{e}"
    );

    // The documented edit: spreads and generators instead of the tables that depend on the size.
    let start = resized.find("i_spkthr = [\n").unwrap();
    let end = start + resized[start..].find("]\n").unwrap() + 2;
    let mut t = format!(
        "{}i_spkthr = {{ logspace = [\"150 pA\", \"1.2 nA\"] }}\n{}",
        &resized[..start],
        &resized[end..]
    );
    for (name, w) in [
        ("w1", "100 pA"),
        ("in_hid_nmda", "1 nA"),
        ("in_hid_gaba", "200 pA"),
        ("w2", "200 pA"),
    ] {
        t = regenerate(
            &t,
            name,
            &format!("connect = \"all_to_all\"\ninit = \"uniform\"\nweight = \"{w}\""),
        );
    }
    for name in ["b_p", "b_n"] {
        t = regenerate(&t, name, "connect = \"transpose\"\nof = \"w2\"");
    }
    std::fs::write(&file, &t).unwrap();
    let prep = run::prepare(&from_file(&opts, &file)).unwrap_or_else(|e| panic!("{e}\n{t}"));
    let hid = prep
        .spec
        .populations
        .iter()
        .find(|p| p.name == "hid")
        .unwrap();
    assert_eq!(hid.size, 12);
    let thr: Vec<f64> = hid
        .per_neuron
        .as_ref()
        .unwrap()
        .iter()
        .map(|p| p.i_spkthr)
        .collect();
    assert_eq!(thr[0], 150e-12);
    assert!((thr[11] / 1.2e-9 - 1.0).abs() < 1e-12 && thr.windows(2).all(|w| w[1] > w[0]));
    assert_eq!(prep.cfg.n_hidden, 12);
    // The mirrored feedback starts as the transpose of W2.
    let mut net = Network::build(&prep.spec, 1e-4, 1).unwrap();
    let w2 = dense_mut(&mut net.projections[prep.layout.w2]).to_vec();
    let (bp, _) = prep.layout.feedback.unwrap();
    let b = dense_mut(&mut net.projections[bp]).to_vec();
    let n_o = 8;
    assert_eq!(w2.len(), 12 * n_o);
    for h in 0..12 {
        for o in 0..n_o {
            assert_eq!(w2[h * n_o + o], b[o * 12 + h]);
        }
    }
    assert!(w2.iter().all(|&w| (0.0..200e-12).contains(&w)));
    // The run's seed draws the uniform weights, whatever the file's `[simulation] seed` says: a
    // sweep over seeds starts from different weights, and the same seed from the same ones.
    let w2_of = |seed: u64, text: &str| {
        std::fs::write(&file, text).unwrap();
        let prep = run::prepare(&TrainOptions {
            seed,
            ..from_file(&opts, &file)
        })
        .unwrap();
        let mut net = Network::build(&prep.spec, 1e-4, 1).unwrap();
        dense_mut(&mut net.projections[prep.layout.w2]).to_vec()
    };
    let with_file_seed = format!("{t}\n[simulation]\nseed = 5\n");
    assert_eq!(w2_of(1, &t), w2);
    assert_eq!(w2_of(1, &with_file_seed), w2);
    assert_ne!(w2_of(2, &t), w2);
    assert_eq!(w2_of(2, &t), w2_of(2, &with_file_seed));
    std::fs::write(&file, &t).unwrap();
    let o = run::train(&from_file(&opts, &file), |_, _| {}).unwrap();
    assert_eq!(o.result.curve.len(), 3);
    assert_eq!(o.network.n_hidden, 12);
    assert_eq!(o.neurons, 12 * 3 + 8 * 3);
}

fn expect_network_error(opts: &TrainOptions, file: &Path, phrases: &[&str]) {
    match run::prepare(&from_file(opts, file)) {
        Err(TrainError::Network(e)) => {
            let msg = e.to_string();
            assert!(msg.contains(&file.display().to_string()), "{msg}");
            for p in phrases {
                assert!(msg.contains(p), "error should say {p:?}: {msg}");
            }
        }
        Err(e) => panic!("wrong error kind: {e}"),
        Ok(_) => panic!("{} should be rejected ({phrases:?})", file.display()),
    }
}

#[test]
fn a_file_that_does_not_fit_the_task_is_rejected_with_file_line_and_key() {
    let opts = ideal();
    let dir = TempDir::new("netspec-bad");
    let file = export(&opts, &dir);
    let text = std::fs::read_to_string(&file).unwrap();
    let line_of = |t: &str, needle: &str| t[..t.find(needle).unwrap()].lines().count() + 1;

    // Task with 8 channels on a 16-channel `in`.
    let mut eight = opts.clone();
    eight.pattern_config.n_channels = 8;
    let l = line_of(&text, "name = \"in\"");
    expect_network_error(
        &eight,
        &file,
        &[
            &format!(":{l}:"),
            "source `in`.size",
            "16 channels",
            "8 channels",
        ],
    );

    let edit = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    };
    // Teacher size vs classes.
    edit(
        "name = \"teacher\"\nsize = 2",
        "name = \"teacher\"\nsize = 3",
    );
    expect_network_error(
        &opts,
        &file,
        &["source `teacher`.size", "3 channels", "2 classes"],
    );
    // `in` must be presented on.
    edit(
        "name = \"in\"\nsize = 16\nkind = \"external\"",
        "name = \"in\"\nsize = 16\nkind = \"poisson\"\nrate = \"5 Hz\"",
    );
    expect_network_error(&opts, &file, &["source `in`.kind", "external"]);
    // Output population sized for another n_per_class.
    edit("n_per_class = 4", "n_per_class = 3");
    expect_network_error(
        &opts,
        &file,
        &[
            "population `out`.size",
            "8 neurons",
            "n_per_class = 3 x 2 classes",
            "needs 6",
        ],
    );
    // A negative learning-rate decay.
    edit("eta_decay = 100.0", "eta_decay = -5");
    let l = line_of(&text, "eta_decay = 100.0");
    expect_network_error(
        &opts,
        &file,
        &[
            &format!(":{l}:"),
            "train.eta_decay = -5: dimensionless number must be >= 0",
        ],
    );
    // A role that is not there.
    edit("w2 = \"w2\"", "w2 = \"nope\"");
    expect_network_error(&opts, &file, &["train.w2", "no projection named `nope`"]);
    // w2 must project onto `out`.
    edit("w2 = \"w2\"", "w2 = \"w1\"");
    expect_network_error(&opts, &file, &["train.w2", "onto `hid`", "onto `out`"]);
    // Feedback pair.
    edit("feedback = [\"b_p\", \"b_n\"]", "feedback = [\"b_p\"]");
    expect_network_error(&opts, &file, &["train.feedback", "1 projection(s)", "pair"]);
    edit(
        "feedback = [\"b_p\", \"b_n\"]",
        "feedback = [\"w2\", \"b_n\"]",
    );
    expect_network_error(
        &opts,
        &file,
        &["train.feedback", "`w2` is 32 x 8", "8 x 32"],
    );
    // The protocol counts `out` spikes.
    edit(
        "spikes = [\"out\", \"eo_p\", \"eo_n\"]",
        "spikes = [\"eo_p\", \"eo_n\"]",
    );
    expect_network_error(&opts, &file, &["record.spikes", "must include `out`"]);
    // No [train] table.
    let cut = text.find("[train]").unwrap();
    std::fs::write(&file, &text[..cut]).unwrap();
    expect_network_error(&opts, &file, &["train", "missing", "[train] table"]);
    // A negative size: the key and what it must be, not the parser's Rust type.
    edit("size = 32\n", "size = -32\n");
    expect_network_error(
        &opts,
        &file,
        &["key `size`", "integer `-32`, expected a whole number >= 0"],
    );
    // A missing group.
    edit("name = \"eo_n\"", "name = \"eo_neg\"");
    expect_network_error(&opts, &file, &["no neuron population named `eo_n`"]);
}

/// The CSV tables in `dir`, comma-separated.
fn csv_names(dir: &Path) -> String {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    v.sort();
    v.join(",")
}

#[test]
fn cli_exports_trains_from_the_file_and_refuses_what_the_file_decides() {
    let dir = TempDir::new("netspec-cli");
    let net = dir.join("net");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--export-network",
        net.to_str().unwrap(),
    ]);
    assert!(r.ok(), "{r}");
    let file = net.join(NETWORK_FILE);
    assert!(file.is_file() && net.join("w2.csv").is_file(), "{r}");
    assert!(r.stdout.contains("--network"), "{r}");
    // Exported again without a hidden layer: the tables it no longer uses are named.
    let again = dir.join("again");
    for extra in [&[][..], &["--no-hidden"][..]] {
        let r = mixsig(
            &[
                &["train", "--profile", "none", "--export-network"][..],
                &[again.to_str().unwrap()][..],
                extra,
            ]
            .concat(),
        );
        assert!(r.ok(), "{r}");
    }
    assert!(
        csv_names(&again).contains("w1.csv"),
        "the first export's W1 table is still there"
    );
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--no-hidden",
        "--export-network",
        again.to_str().unwrap(),
    ]);
    assert!(
        r.stderr.contains("are from an earlier export") && r.stderr.contains("w1.csv"),
        "{r}"
    );
    // A directory where the network file goes: refused before any table is written.
    let blocked = dir.join("blocked");
    std::fs::create_dir_all(blocked.join(NETWORK_FILE)).unwrap();
    let r = mixsig(&["train", "--export-network", blocked.to_str().unwrap()]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("is a directory"), "{r}");
    assert_eq!(
        std::fs::read_dir(&blocked).unwrap().count(),
        1,
        "nothing written"
    );
    let out = dir.join("out");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--network",
        file.to_str().unwrap(),
        "--presentations",
        "4",
        "--n-test",
        "2",
        "--test-every",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.ok(), "{r}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["options"]["network"].as_str(),
        Some(file.to_str().unwrap())
    );
    let r = mixsig(&[
        "train",
        "--network",
        file.to_str().unwrap(),
        "--feedback",
        "none",
    ]);
    assert!(!r.ok() && r.stderr.contains("--feedback"), "{r}");
    let r = mixsig(&[
        "train",
        "--network",
        file.to_str().unwrap(),
        "--eta-decay",
        "5",
    ]);
    assert!(!r.ok() && r.stderr.contains("--eta-decay"), "{r}");
    // A broken file: non-zero exit, file and line named, nothing written.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[source]]\nname = \"in\"\nsize = 0\nkind = \"external\"\n",
    )
    .unwrap();
    let out2 = dir.join("out2");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--network",
        bad.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(!r.ok(), "{r}");
    assert!(
        r.stderr.contains("bad.toml:3") && r.stderr.contains("source[1].size"),
        "{r}"
    );
    assert!(!out2.exists());
}

#[test]
fn on_a_die_a_file_keeps_the_chip_design_rules() {
    // What `mixsig sim` refuses on a die, `mixsig train` refuses too (it used to drop the first
    // silently and only warn about the second).
    let opts = TrainOptions {
        profile: Some("dynapse2".into()),
        ..ideal()
    };
    let dir = TempDir::new("netspec-die-rules");
    let file = export(&opts, &dir);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(run::prepare(&from_file(&opts, &file)).is_ok());
    let line_of = |t: &str, needle: &str| t[..t.find(needle).unwrap()].lines().count() + 1;
    // A capacitance is the chip's, not a bias.
    let at = text.find("name = \"hid\"").unwrap();
    let params = at + text[at..].find("[population.params]\n").unwrap() + 20;
    let edited = format!("{}c_mem = \"3 pF\"\n{}", &text[..params], &text[params..]);
    std::fs::write(&file, &edited).unwrap();
    expect_network_error(
        &opts,
        &file,
        &[
            &format!(":{}:", line_of(&edited, "c_mem =")),
            "params.c_mem",
            "fixed by chip profile `dynapse2`",
        ],
    );
    // On ideal circuits it is a parameter like any other.
    assert!(run::prepare(&from_file(&ideal(), &file)).is_ok());
    // A core the chip does not have, and a weight table that is not there: the file's line.
    let edited = text.replacen("name = \"hid\"\n", "name = \"hid\"\ncore = 7\n", 1);
    std::fs::write(&file, &edited).unwrap();
    expect_network_error(
        &opts,
        &file,
        &[
            &format!(":{}:", line_of(&edited, "name = \"hid\"")),
            "population[1].core",
            "core 7 does not exist: profile `dynapse2` has 4 cores",
        ],
    );
    let edited = text.replacen("weights = \"w1.csv\"", "weights = \"w1x.csv\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).unwrap();
    expect_network_error(
        &opts,
        &file,
        &[
            &format!(":{}:", line_of(&edited, "weights = \"w1x.csv\"")),
            ".weights",
            "weight table `w1x.csv` not found",
        ],
    );
    // eo_p and eo_n share core 2: one of them asking for another bias breaks the design rule.
    let at = text.find("name = \"eo_p\"").unwrap();
    let tau = at + text[at..].find("i_tau_ampa = ").unwrap();
    let end = tau + text[tau..].find('\n').unwrap();
    let edited = format!("{}i_tau_ampa = \"40 pA\"{}", &text[..tau], &text[end..]);
    std::fs::write(&file, &edited).unwrap();
    expect_network_error(
        &opts,
        &file,
        &[
            &format!(":{}:", line_of(&edited, "name = \"eo_n\"")),
            "design rule: core 2",
            "`eo_p` asks for i_tau_ampa = 40 pA",
        ],
    );
    // The same value on both is fine.
    let at = edited.find("name = \"eo_n\"").unwrap();
    let tau = at + edited[at..].find("i_tau_ampa = ").unwrap();
    let end = tau + edited[tau..].find('\n').unwrap();
    let both = format!("{}i_tau_ampa = \"40 pA\"{}", &edited[..tau], &edited[end..]);
    std::fs::write(&file, &both).unwrap();
    if let Err(e) = run::prepare(&from_file(&opts, &file)) {
        panic!("{e}")
    }
}

#[test]
fn a_teacher_window_after_the_presentation_is_refused() {
    let opts = ideal();
    let dir = TempDir::new("netspec-teacher-late");
    let file = export(&opts, &dir);
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text
        .replace("teacher_on = \"40 ms\"", "teacher_on = \"400 ms\"")
        .replace("teacher_off = \"90 ms\"", "teacher_off = \"900 ms\"");
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).unwrap();
    let e = run::prepare(&from_file(&opts, &file))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("teacher_on = 400 ms lies after the end of the 200 ms presentations"),
        "{e}"
    );
    // Closing after the end is fine: the window is cut there.
    std::fs::write(
        &file,
        text.replace("teacher_off = \"90 ms\"", "teacher_off = \"900 ms\""),
    )
    .unwrap();
    assert!(run::prepare(&from_file(&opts, &file)).is_ok());
}

#[test]
fn an_export_records_its_task_and_says_how_to_train_it() {
    let dir = TempDir::new("netspec-task");
    let net = dir.join("xor");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--pattern",
        "xor",
        "--export-network",
        net.to_str().unwrap(),
    ]);
    assert!(r.ok(), "{r}");
    let file = net.join(NETWORK_FILE);
    let hint = format!("mixsig train --network {} --profile none`", file.display());
    assert!(r.stdout.contains(&hint), "{r}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\n[train]\ntask = \"xor\"\n"), "{text}");
    let quick = ["--presentations", "4", "--n-test", "2", "--test-every", "4"];
    let train = |extra: &[&str], out: &str| {
        let out = dir.join(out);
        let r = mixsig(
            &[
                &[
                    "train",
                    "--profile",
                    "none",
                    "--network",
                    file.to_str().unwrap(),
                ][..],
                &quick[..],
                extra,
                &["--out", out.to_str().unwrap()][..],
            ]
            .concat(),
        );
        let summary: Option<serde_json::Value> = std::fs::read_to_string(out.join("summary.json"))
            .ok()
            .map(|t| serde_json::from_str(&t).unwrap());
        (r, summary)
    };
    // Without --pattern the file's task is the task.
    let (r, s) = train(&[], "as-made");
    assert!(r.ok(), "{r}");
    assert_eq!(s.unwrap()["task"]["name"], "xor");
    // --pattern decides, and the run says that the network was made for another task.
    let (r, s) = train(&["--pattern", "order"], "other");
    assert!(r.ok(), "{r}");
    assert_eq!(s.unwrap()["task"]["name"], "order");
    assert!(
        r.stderr.contains(
            "the network was made for `xor` (its [train] task) and is trained on `order`"
        ),
        "{r}"
    );
    // An unknown task is an error at its line.
    let line = text[..text.find("task = \"xor\"").unwrap()].lines().count() + 1;
    std::fs::write(&file, text.replace("task = \"xor\"", "task = \"xr\"")).unwrap();
    let (r, s) = train(&[], "bad");
    assert!(!r.ok() && s.is_none(), "{r}");
    assert!(
        r.stderr.contains(&format!("network.toml:{line}"))
            && r.stderr.contains("train.task")
            && r.stderr.contains("not a built-in pattern"),
        "{r}"
    );
    // A network for a task directory of the user's: the hint gives the directory.
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/lab/tests/data/tasks/good");
    let net = dir.join("data");
    let r = mixsig(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--export-network",
        net.to_str().unwrap(),
    ]);
    assert!(r.ok(), "{r}");
    assert!(
        r.stdout.contains(&format!(
            "mixsig train --network {} --data {}`",
            net.join(NETWORK_FILE).display(),
            data.display()
        )),
        "{r}"
    );
    assert!(!std::fs::read_to_string(net.join(NETWORK_FILE))
        .unwrap()
        .contains("\ntask ="));
}

#[test]
fn the_example_is_what_the_export_writes_today() {
    // examples/networks/train_order.toml is documented as this export; it must not go stale.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = TempDir::new("netspec-example");
    let file = dir.join("train_order.toml");
    let r = mixsig(&[
        "train",
        "--profile",
        "none",
        "--export-network",
        file.to_str().unwrap(),
    ]);
    assert!(r.ok(), "{r}");
    let ex = root.join("examples/networks");
    let mut names: Vec<String> = std::fs::read_dir(dir.join("train_order"))
        .unwrap()
        .map(|e| format!("train_order/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    names.push("train_order.toml".into());
    for n in &names {
        let fresh = std::fs::read_to_string(dir.join(n)).unwrap();
        let kept = std::fs::read_to_string(ex.join(n)).unwrap_or_default();
        assert!(
            fresh == kept,
            "examples/networks/{n} differs from a fresh `mixsig train --profile none --export-network examples/networks/train_order.toml`: run it again"
        );
    }
    let kept = std::fs::read_dir(ex.join("train_order")).unwrap().count();
    assert_eq!(
        kept + 1,
        names.len(),
        "stale tables in examples/networks/train_order/"
    );
}

#[test]
fn the_example_trains() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("examples/networks/train_order.toml");
    let opts = TrainOptions {
        presentations: 2,
        n_test: 2,
        test_every: 2,
        ..from_file(&ideal(), &file)
    };
    let o = run::train(&opts, |_, _| {}).unwrap();
    assert_eq!(o.result.curve.len(), 2);
    assert_eq!(o.task.n_channels, 16);
}
