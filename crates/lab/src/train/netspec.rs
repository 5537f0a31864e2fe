//! The `mixsig train` network as a network file: [`export`] writes the preset of a set of options as
//! `network.toml` plus its weight tables, and [`import`] reads such a file (exported, edited, or
//! written from scratch) into the network spec, the projection [`Layout`] the protocol needs and a
//! [`NetConfig`] describing it.
//!
//! What a training network file must declare (checked against the task, with errors naming file,
//! line and key): the sources `in` (one channel per task channel) and `teacher` (one per class), both
//! `kind = "external"` (the protocol presents on them); the populations `out` (`n_per_class` per
//! class), `eo_p` and `eo_n` (as many as `out`), whose spikes are recorded; and a `[train]` table with
//! `n_per_class`, `rate_teacher` and the roles of the projections by name: `w2` (plastic, onto `out`),
//! optionally `w1` (plastic, input -> hidden) and `feedback` (the pair e+_out -> e+_hid,
//! e-_out -> e-_hid), and optionally the teacher window `teacher_on`/`teacher_off` (both or neither)
//! with what it counts from, `teacher_anchor` (`"start"` or `"first_input"`), and the learning-rate
//! decay `eta_decay` (presentations; default 100, 0 for none).

use std::path::{Path, PathBuf};

use mixsig_engine::spec::{Connectivity, NetworkSpec, SourceKind};

use super::network::{FeedbackMode, Layout, NetConfig};
use super::protocol::TeacherAnchor;
use super::run::{build_fitted, load_task, net_config, storage_name, TrainError, TrainOptions};
use crate::located::FileError;
use crate::netfile::write::{exact_quantity, toml_str};
use crate::netfile::{self};
use crate::output::write_atomic;
use crate::tasks::TaskSet;

/// Name of the network file [`export`] writes.
pub const NETWORK_FILE: &str = "network.toml";

/// Unique projection names for `spec`: the roles `w1`, `w2`, `b_p`, `b_n` of `layout`, and
/// `FROM_TO_SYNAPSE` (with `_2`, `_3`, ... on repeats) for the others.
pub fn projection_names(spec: &NetworkSpec, layout: &Layout) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, p) in spec.projections.iter().enumerate() {
        let role = if Some(i) == layout.w1 {
            Some("w1")
        } else if i == layout.w2 {
            Some("w2")
        } else if layout.feedback.map(|f| f.0) == Some(i) {
            Some("b_p")
        } else if layout.feedback.map(|f| f.1) == Some(i) {
            Some("b_n")
        } else {
            None
        };
        let base = role
            .map(String::from)
            .unwrap_or_else(|| format!("{}_{}_{}", p.from, p.to, p.synapse.name()));
        let mut name = base.clone();
        let mut k = 2;
        while names.contains(&name)
            || ["w1", "w2", "b_p", "b_n"].contains(&name.as_str()) && role.is_none()
        {
            name = format!("{base}_{k}");
            k += 1;
        }
        names.push(name);
    }
    names
}

/// The network file of a training network: the TOML text (with its `[train]` table) and its CSV
/// tables. `sigmas_given`: which mismatch spreads the learning tables carry (`eta_sigma_ln`,
/// `twin_sigma_ln`; otherwise `mixsig train` takes them from the chip profile); `task`: the built-in
/// pattern it was made for (`[train] task`), if any.
#[allow(clippy::too_many_arguments)]
pub fn to_files(
    spec: &NetworkSpec,
    layout: &Layout,
    cfg: &NetConfig,
    task: Option<crate::tasks::Pattern>,
    sigmas_given: netfile::GivenSigmas,
    header: &str,
    table_dir: &str,
) -> (String, Vec<netfile::write::Table>) {
    let names = projection_names(spec, layout);
    let given = vec![sigmas_given; spec.learning.len()];
    let (body, tables) = netfile::write::network_toml(spec, &names, &given, table_dir);
    let mut t = String::new();
    for line in header.lines() {
        t.push_str(&format!("# {line}\n"));
    }
    t.push('\n');
    t.push_str(&body);
    t.push_str("[train]\n");
    if let Some(p) = task {
        t.push_str(&format!("task = {}\n", toml_str(p.name())));
    }
    t.push_str(&format!(
        "n_per_class = {}\nrate_teacher = {}\neta_decay = {:?}\nw2 = {}\n",
        cfg.n_per_class,
        exact_quantity(
            cfg.rate_teacher,
            mixsig_circuits::units::Dimension::Frequency
        ),
        cfg.learning_rate_decay(),
        toml_str(&names[layout.w2])
    ));
    if let Some((on, off)) = cfg.teacher_window {
        let time = mixsig_circuits::units::Dimension::Time;
        t.push_str(&format!(
            "teacher_on = {}\nteacher_off = {}\n",
            exact_quantity(on, time),
            exact_quantity(off, time)
        ));
        if cfg.teacher_anchor != TeacherAnchor::Start {
            t.push_str(&format!(
                "teacher_anchor = {}\n",
                toml_str(cfg.teacher_anchor.name())
            ));
        }
    }
    if let Some(w1) = layout.w1 {
        t.push_str(&format!("w1 = {}\n", toml_str(&names[w1])));
    }
    if let Some((a, b)) = layout.feedback {
        t.push_str(&format!(
            "feedback = [{}, {}]\n",
            toml_str(&names[a]),
            toml_str(&names[b])
        ));
    }
    (t, tables)
}

/// What `mixsig train --network FILE` needs besides the file to train an export of `opts` as it was
/// made: the task when it is a directory of the user's (a built-in pattern is the file's
/// `[train] task`), and the chip profile when it is not the default `dynapse2` (the preset is fitted
/// to it). Starts with a space when not empty.
pub fn retrain_flags(opts: &TrainOptions) -> String {
    let mut f = String::new();
    if let super::run::TaskSource::Data(d) = &opts.task {
        f.push_str(&format!(" --data {}", shell_word(&d.display().to_string())));
        if let Some(t) = opts.data_duration {
            f.push_str(&format!(
                " --duration \"{}\"",
                mixsig_circuits::units::format_quantity(t, mixsig_circuits::units::Dimension::Time)
            ));
        }
    }
    match opts.profile.as_deref() {
        None => f.push_str(" --profile none"),
        Some("dynapse2") => {}
        Some(p) => f.push_str(&format!(" --profile {}", shell_word(p))),
    }
    f
}

/// `s` quoted for a shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:+=,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Write the preset network of `opts` (task, feedback, storage, hidden layer, seed of the initial
/// weights) to `target`: a directory gets `network.toml` and the CSV tables; a path ending in `.toml`
/// is the network file itself, with its tables in the sibling directory named after its stem
/// (`train_order.toml`, `train_order/w1.csv`). Returns the files written. The chip profile is not part
/// of the file (`--profile` places it on a die when training); the learning-rate mismatch is written
/// only when `opts.eta_sigma_ln` gives it; the preset is fitted to the profile's chip
/// ([`build_fitted`]), and what that changed is returned (and written into the file's header).
pub fn export(
    opts: &TrainOptions,
    target: &Path,
) -> Result<(Vec<PathBuf>, Vec<String>), TrainError> {
    super::run::check_knobs(opts)?;
    let (dir, file, table_dir) = match target.extension().and_then(|e| e.to_str()) {
        Some("toml") => {
            let stem = target
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("network");
            (
                target.parent().unwrap_or(Path::new("")).to_path_buf(),
                target.to_path_buf(),
                format!("{stem}/"),
            )
        }
        _ => (
            target.to_path_buf(),
            target.join(NETWORK_FILE),
            String::new(),
        ),
    };
    let task = load_task(opts)?;
    let mut cfg = net_config(opts, opts.eta_sigma_ln.unwrap_or(0.0));
    cfg.twin_sigma_ln = opts.twin_sigma_ln.unwrap_or(0.0);
    // The preset as `--profile` would train it (fitted to the chip's synapses per neuron).
    let limit = opts
        .profile
        .as_deref()
        .map(mixsig_chip::ChipProfile::builtin_or_load)
        .transpose()?
        .map(|p| p.architecture.synapses_per_neuron);
    let mut notes = Vec::new();
    let (spec, layout) = build_fitted(&task, &mut cfg, opts.seed, limit, &mut notes);
    let header = format!(
        "mixsig train network, exported by `mixsig train --export-network` from the preset for task `{}`\n\
         ({} channels, {} classes), feedback {}, storage {}, {}, initial weights of seed {}.\n\
         Train it with `mixsig train --network THIS_FILE{}` (format: docs/network-format.md, section Learning).\n\
         Weight tables (*.csv) are in A: dense ones one row per pre neuron, explicit ones pre,post,weight_a.",
        task.name,
        task.n_channels,
        task.n_classes,
        format!("{:?}", cfg.feedback).to_lowercase(),
        storage_name(&cfg.storage),
        if cfg.n_conj > 0 {
            format!(
                "{} fixed detectors `ds` -> hidden {} (plastic W1)",
                cfg.n_hidden, cfg.n_conj
            )
        } else {
            format!("hidden {}", cfg.n_hidden)
        },
        opts.seed,
        retrain_flags(opts)
    );
    // What fitting the preset to the profile's chip changed.
    let header = notes.iter().fold(header, |h, n| {
        format!(
            "{h}\nFitted to the profile `{}`: {n}.",
            opts.profile.as_deref().unwrap_or_default()
        )
    });
    let pattern = match &opts.task {
        super::run::TaskSource::Pattern(p) => Some(*p),
        super::run::TaskSource::Data(_) => None,
    };
    let (toml_text, tables) = to_files(
        &spec,
        &layout,
        &cfg,
        pattern,
        netfile::GivenSigmas {
            eta: opts.eta_sigma_ln.is_some(),
            twin: opts.twin_sigma_ln.is_some(),
        },
        &header,
        &table_dir,
    );
    // `--calibrate` travels with the network: its `[chip]` table asks `mixsig train --network` (and
    // `mixsig sim`) to calibrate the die.
    let toml_text = if opts.calibrate {
        format!("{toml_text}\n[chip]\ncalibrate = true\n")
    } else {
        toml_text
    };
    // Nothing is written when the network file cannot be: a directory in its place, or a file where
    // a directory must be.
    if file.is_dir() {
        return Err(TrainError::Invalid(format!(
            "--export-network {}: `{}` is a directory; the network file goes there",
            target.display(),
            file.display()
        )));
    }
    let table_path = dir.join(&table_dir);
    if let Some(p) = crate::output::out_dir_blocker(&table_path) {
        return Err(TrainError::Invalid(format!(
            "--export-network {}: `{}` exists and is not a directory",
            target.display(),
            p.display()
        )));
    }
    let mut written = Vec::new();
    // Tables first, the network file last: a network file never refers to a missing table.
    for (name, text) in &tables {
        let p = dir.join(name);
        write_atomic(&p, text.as_bytes())?;
        written.push(p);
    }
    write_atomic(&file, toml_text.as_bytes())?;
    written.push(file);
    // Tables of an earlier export the new file does not use (a re-export with fewer projections).
    let mut stale: Vec<String> = std::fs::read_dir(&table_path)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|e| e == "csv") && p.is_file() && !written.contains(p)
                })
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    if !stale.is_empty() {
        stale.sort();
        notes.push(format!(
            "{} tables in {} are from an earlier export and were left as they were; the network file does not use them: {}",
            stale.len(),
            table_path.display(),
            stale.join(", ")
        ));
    }
    Ok((written, notes))
}

/// A training network read from a file.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The network (not yet on a die).
    pub spec: NetworkSpec,
    /// The roles of its projections.
    pub layout: Layout,
    /// The preset's knobs, with what the file says filled in (sizes, learning rates, bounds, storage,
    /// teacher, hidden thresholds); knobs the file expresses as wiring keep the preset's values.
    pub cfg: NetConfig,
    /// Requested core of each population (`core = N`).
    pub cores: Vec<Option<u32>>,
    /// `[chip] calibrate = true`: calibrate the die before training.
    pub calibrate: bool,
    /// The built-in pattern it was made for (`[train] task`).
    pub task: Option<crate::tasks::Pattern>,
    /// Parameters each population sets in its `params` table, with their lines (as
    /// [`netfile::ChipSection::param_keys`]).
    param_keys: Vec<Vec<(String, usize)>>,
    /// The file it was read from, and the line of each population and source.
    pub file: String,
    group_lines: Vec<(String, usize)>,
}

impl Imported {
    /// Each population's and source's line in the file.
    pub fn group_lines(&self) -> &[(String, usize)] {
        &self.group_lines
    }

    /// Line of population or source `name` in the file (0 when unknown).
    pub fn line_of(&self, name: &str) -> usize {
        self.group_lines
            .iter()
            .find(|(g, _)| g == name)
            .map_or(0, |x| x.1)
    }

    /// On a die only bias currents can be set: a population parameter the chip profile fixes
    /// (a capacitance, `kappa`, ...) is an error naming its line, as in `mixsig sim`.
    pub fn check_params_on_chip(&self, profile: &str) -> Result<(), FileError> {
        for (pi, keys) in self.param_keys.iter().enumerate() {
            for (param, line) in keys {
                if param != "i_scale" && mixsig_chip::names::resolve_bias(param).is_none() {
                    return Err(FileError::new(
                        &self.file,
                        *line,
                        &format!("population[{}].params.{param}", pi + 1),
                        format!(
                            "`{param}` is fixed by chip profile `{profile}` (layout or process), not set by a bias; remove it, or train on ideal circuits (--profile none)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Check that no neuron receives more synapses than a chip with `limit` per neuron has; the
    /// error names the file, the population's line and the count (the engine would refuse the same
    /// network when binding it to the die, without naming the file).
    pub fn check_fan_in(&self, limit: u32, chip: &str) -> Result<(), FileError> {
        for p in &self.spec.populations {
            let n = super::placement::fan_in(&self.spec, &p.name);
            if n > limit as usize {
                let line = self
                    .group_lines
                    .iter()
                    .find(|(g, _)| *g == p.name)
                    .map_or(0, |x| x.1);
                return Err(FileError::new(
                    &self.file,
                    line,
                    &format!("population `{}`", p.name),
                    format!(
                        "a neuron receives up to {n} synapses from the projections onto it, but a \
                         {chip} neuron has {limit}: remove projections onto it or shrink their pre \
                         populations (a signed readout doubles the hidden -> out fan-in)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The built-in pattern the training network in `path` was made for (its `[train] task`), which
/// `mixsig train --network` trains on when neither `--pattern` nor `--data` is given.
pub fn file_task(path: &Path) -> Result<Option<crate::tasks::Pattern>, FileError> {
    Ok(netfile::load(path)?.train.and_then(|t| t.task))
}

/// Read a training network from `path` for `task`; `seed` (the run's) draws its `init = "uniform"`
/// weights. `eta_sigma` and `twin_sigma` are (command line, default) of the two mismatch spreads:
/// the command line's value replaces the file's, a learning table without the key gets the default
/// (the chip profile's, 0 on ideal circuits).
pub fn import(
    path: &Path,
    task: &TaskSet,
    seed: u64,
    eta_sigma: (Option<f64>, f64),
    twin_sigma: (Option<f64>, f64),
) -> Result<Imported, FileError> {
    let nf = netfile::load_seeded(path, Some(seed))?;
    let file = path.display().to_string();
    let err = |line: usize, key: &str, m: String| FileError::new(&file, line, key, m);
    let tr = nf.train.as_ref().ok_or_else(|| {
        err(
            0,
            "train",
            "missing: a network for mixsig train needs a [train] table (n_per_class, rate_teacher, w2; optional w1, feedback)".into(),
        )
    })?;
    if !nf.chip.biases.is_empty() {
        return Err(err(
            nf.chip.biases[0].line,
            "chip.bias",
            "mixsig train sets the biases from the populations' params; [[chip.bias]] is not supported here".into(),
        ));
    }
    let spec = &nf.spec;
    let line_of = |name: &str| {
        nf.group_lines
            .iter()
            .find(|(n, _)| n == name)
            .map(|x| x.1)
            .unwrap_or(0)
    };
    let source = |name: &str, want: usize, what: &str| -> Result<(), FileError> {
        let s = spec
            .sources
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                err(
                    line_of(name),
                    "source",
                    format!("missing source `{name}` (kind = \"external\"; {what})"),
                )
            })?;
        if !matches!(s.kind, SourceKind::List { .. }) {
            return Err(err(
                line_of(name),
                &format!("source `{name}`.kind"),
                "must be \"external\": the protocol presents spikes on it".into(),
            ));
        }
        if s.size != want {
            return Err(err(
                line_of(name),
                &format!("source `{name}`.size"),
                format!("{} channels, but {what}", s.size),
            ));
        }
        Ok(())
    };
    source(
        "in",
        task.n_channels,
        &format!("the task `{}` has {} channels", task.name, task.n_channels),
    )?;
    source(
        "teacher",
        task.n_classes,
        &format!(
            "the teacher has one channel per class and task `{}` has {} classes",
            task.name, task.n_classes
        ),
    )?;
    let n_out = task.n_classes * tr.n_per_class;
    for name in ["out", "eo_p", "eo_n"] {
        let p = spec
            .populations
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                err(
                    0,
                    "population",
                    format!("missing population `{name}` (mixsig train needs out, eo_p, eo_n)"),
                )
            })?;
        if p.size != n_out {
            return Err(err(
                line_of(name),
                &format!("population `{name}`.size"),
                format!(
                    "{} neurons, but n_per_class = {} x {} classes of task `{}` needs {n_out}",
                    p.size, tr.n_per_class, task.n_classes, task.name
                ),
            ));
        }
        if let Some(rec) = &spec.record.spikes {
            if !rec.iter().any(|r| r == name) {
                return Err(err(
                    0,
                    "record.spikes",
                    format!("must include `{name}` (the protocol counts its spikes)"),
                ));
            }
        }
    }
    let w2 = &spec.projections[tr.w2];
    if w2.to != "out" {
        return Err(err(
            tr.line("w2"),
            "train.w2",
            format!("projects onto `{}`; w2 must project onto `out`", w2.to),
        ));
    }
    let size_of = |n: &str| spec.node_size(n).unwrap_or(0);
    let n_h = size_of(&w2.from);
    if let Some((a, b)) = tr.feedback {
        for idx in [a, b] {
            let p = &spec.projections[idx];
            if (size_of(&p.from), size_of(&p.to)) != (n_out, n_h) {
                return Err(err(
                    tr.line("feedback"),
                    "train.feedback",
                    format!(
                        "`{}` is {} x {} (pre x post); feedback runs from the output error neurons to the error neurons of w2's pre `{}`: {n_out} x {n_h}",
                        nf.projection_names[idx].as_deref().unwrap_or("?"),
                        size_of(&p.from),
                        size_of(&p.to),
                        w2.from
                    ),
                ));
            }
        }
    }
    let learning_of = |idx: usize| spec.learning.iter().find(|l| l.projection == idx);
    if learning_of(tr.w2).is_none() {
        return Err(err(
            tr.line("w2"),
            "train.w2",
            format!(
                "`{}` is not plastic: give it a [[learning]] table",
                nf.projection_names[tr.w2].as_deref().unwrap_or("?")
            ),
        ));
    }
    let mut spec = nf.spec.clone();
    for (l, given) in spec.learning.iter_mut().zip(&nf.sigmas_given) {
        if let Some(s) = eta_sigma.0 {
            l.eta_sigma_ln = s;
        } else if !given.eta {
            l.eta_sigma_ln = eta_sigma.1;
        }
        if let Some(s) = twin_sigma.0 {
            l.twin_sigma_ln = s;
        } else if !given.twin {
            l.twin_sigma_ln = twin_sigma.1;
        }
    }
    let layout = Layout {
        w1: tr.w1,
        w2: tr.w2,
        feedback: tr.feedback,
        n_classes: task.n_classes,
    };
    let cfg = describe(&spec, &layout, tr);
    Ok(Imported {
        spec,
        layout,
        cfg,
        cores: nf.chip.cores.clone(),
        calibrate: nf.chip.calibrate,
        task: tr.task,
        param_keys: nf.chip.param_keys.clone(),
        file,
        group_lines: nf.group_lines.clone(),
    })
}

/// The preset's knobs as far as a file network expresses them.
fn describe(spec: &NetworkSpec, layout: &Layout, tr: &netfile::TrainSection) -> NetConfig {
    let mut cfg = NetConfig {
        n_per_class: tr.n_per_class,
        rate_teacher: tr.rate_teacher,
        teacher_window: tr.teacher_window,
        teacher_anchor: tr.teacher_anchor,
        eta_decay: tr.eta_decay,
        ..NetConfig::default()
    };
    let learning_of = |idx: usize| spec.learning.iter().find(|l| l.projection == idx);
    let hidden = layout.w1.map(|i| spec.projections[i].to.clone());
    let pop_of = |name: &str| spec.populations.iter().find(|p| p.name == name);
    cfg.n_hidden = hidden
        .as_deref()
        .and_then(pop_of)
        .map(|p| p.size)
        .unwrap_or(0);
    // W1 from a population rather than the inputs: fixed detectors in front of a conjunction
    // layer (`NetConfig::n_conj`); the detectors count as the preset's `n_hidden`.
    let detectors = layout
        .w1
        .map(|i| spec.projections[i].from.clone())
        .filter(|f| f != "in")
        .and_then(|f| pop_of(&f));
    if let Some(d) = detectors {
        cfg.n_conj = cfg.n_hidden;
        cfg.n_hidden = d.size;
        cfg.nmda_thr = d.params.i_nmda_thr;
    }
    let mut w2_window = false;
    if let Some(l) = learning_of(layout.w2) {
        cfg.w2_max = l.w_max;
        cfg.eta2 = l.eta;
        cfg.storage = l.storage;
        cfg.tau_pre = l.pre_trace.tau;
        cfg.eta_sigma_ln = l.eta_sigma_ln;
        cfg.twin_sigma_ln = l.twin_sigma_ln;
        cfg.update = l.update;
        cfg.error_pool = tr.n_per_class > 1 && l.error_group == tr.n_per_class;
        if let Some(c) = l.calcium {
            // Direction-specific thresholds are the output layer's own window.
            if c.theta_up.is_some() || c.theta_down.is_some() {
                cfg.calcium_out = Some(c);
            } else {
                cfg.calcium = c;
                w2_window = true;
            }
        }
        cfg.feedback = match layout.feedback {
            None => FeedbackMode::None,
            Some(_) if !l.mirrors.is_empty() => FeedbackMode::Mirrored,
            Some(_) => FeedbackMode::Random,
        };
    }
    if let Some(l) = layout.w1.and_then(learning_of) {
        if detectors.is_some() {
            cfg.w_conj_max = l.w_max;
        } else {
            cfg.w1_max = l.w_max;
        }
        cfg.eta1 = l.eta;
        cfg.w1_zero_sum = l.zero_sum;
        if l.pre_trace.tau != cfg.tau_pre {
            cfg.tau_pre_w1 = Some(l.pre_trace.tau);
        }
        if let Some(c) = l.calcium {
            // W1's own window when the readout set the shared one and W1's differs.
            if w2_window && c != cfg.calcium {
                cfg.w1_calcium = Some(c);
            } else {
                cfg.calcium = c;
            }
        }
    }
    if let Some(p) = hidden
        .as_ref()
        .and_then(|h| spec.populations.iter().find(|p| &p.name == h))
    {
        let thr: Vec<f64> = match &p.per_neuron {
            Some(v) => v.iter().map(|n| n.i_spkthr).collect(),
            None => vec![p.params.i_spkthr],
        };
        cfg.hidden_thresholds = (
            thr.iter().copied().fold(f64::INFINITY, f64::min),
            thr.iter().copied().fold(0.0, f64::max),
        );
        if detectors.is_none() {
            cfg.nmda_thr = p.params.i_nmda_thr;
        }
    }
    // Dead zones: the output `e+` neurons' sets the shared one; `e-` and the hidden pairs' are
    // their own where they differ from it.
    let dz = |pop: &str| {
        spec.dc
            .iter()
            .find(|d| d.population == pop)
            .and_then(|d| d.steps.first())
            .map(|&(_, i)| 0.0 - i) // not `-i`: a 0 A dead zone reads back as 0, not -0
    };
    if let Some(d) = dz("eo_p") {
        cfg.dead_zone = d;
    }
    cfg.dead_zone_neg = dz("eo_n").filter(|&d| d != cfg.dead_zone);
    cfg.hidden_dead_zone = dz("eh_p").filter(|&d| d != cfg.dead_zone);
    if let Some(e) = pop_of("eo_p") {
        let base = super::network::base_params();
        cfg.error_tau = (
            base.i_tau_ampa / e.params.i_tau_ampa,
            base.i_tau_gaba / e.params.i_tau_gaba,
        );
    }
    let bias = spec
        .sources
        .iter()
        .find(|s| s.name == "bias")
        .and_then(|s| match s.kind {
            SourceKind::Regular { rate, .. } => Some((rate, s.size)),
            _ => None,
        });
    cfg.bias_rate = bias.map_or(0.0, |b| b.0);
    cfg.bias_synapses = bias.map_or(1, |b| b.1.max(1));
    if let Some(l) = spec.learning.iter().find(|l| {
        let p = &spec.projections[l.projection];
        p.from == "bias" && matches!(p.connect, Connectivity::Dense(_) | Connectivity::AllToAll)
    }) {
        // Each of the `bias_synapses` is bounded by its share of the sum.
        cfg.w_bias_max = l.w_max * cfg.bias_synapses as f64;
    }
    // A signed readout: a plastic inhibitory projection onto `out` learning from the swapped pair.
    let w2_from = &spec.projections[layout.w2].from;
    if let Some(l) = spec.learning.iter().find(|l| {
        let p = &spec.projections[l.projection];
        p.to == "out"
            && &p.from == w2_from
            && p.synapse == mixsig_circuits::SynapseType::Gaba
            && matches!(p.connect, Connectivity::Dense(_) | Connectivity::AllToAll)
            && l.err_pos == "eo_n"
            && l.err_neg == "eo_p"
    }) {
        cfg.signed_readout = Some(super::config::SignedReadout {
            w_max: l.w_max,
            eta: l.eta,
            dead_zone: cfg.dead_zone,
            eta_decay: cfg.eta_decay,
        });
        // Likewise the file's learning-rate decay is the signed readout's.
        cfg.eta_decay = NetConfig::default().eta_decay;
        // The output pairs' dead zone is the signed readout's; the base one is the hidden pairs'
        // (without hidden pairs nothing shows it: the default).
        cfg.hidden_dead_zone = None;
        cfg.dead_zone = dz("eh_p").unwrap_or(NetConfig::default().dead_zone);
    }
    cfg
}
