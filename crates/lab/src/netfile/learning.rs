//! The learning part of a network file: `[[learning]]` tables (one per plastic projection, mapping
//! 1:1 to the engine's [`LearningSpec`]) and the `[train]` table that tells `mixsig train` how to
//! drive the network (outputs per class, teacher rate, and which projections play the roles W1, W2
//! and feedback). Projections are referred to by their `name`.

use mixsig_circuits::learning::{CalciumWindow, TraceParams, UpdateMode};
use mixsig_circuits::units::Dimension;
use mixsig_engine::plasticity::LearningSpec;
use mixsig_engine::spec::{Connectivity, NetworkSpec};
use serde::Deserialize;
use toml::Spanned;

use crate::located::{line_of, Constraint, FileError, Located, Q};
use crate::train::protocol::TeacherAnchor;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLearning {
    projection: Spanned<String>,
    err_pos: Spanned<String>,
    err_neg: Spanned<String>,
    tau_pre: Q,
    trace_jump: Option<Q>,
    calcium: Option<RawCalcium>,
    eta: Q,
    w_max: Q,
    storage: Option<Spanned<String>>,
    #[serde(default)]
    mirrors: Vec<Spanned<String>>,
    eta_sigma_ln: Option<Q>,
    twin_sigma_ln: Option<Q>,
    update: Option<Spanned<String>>,
    tau_err: Option<Q>,
    error_group: Option<Spanned<i64>>,
    #[serde(default)]
    zero_sum: bool,
}

/// Which mismatch spreads a `[[learning]]` table gave (those it omits carry 0 in the spec and
/// `mixsig train` takes them from the chip profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GivenSigmas {
    /// `eta_sigma_ln` was given.
    pub eta: bool,
    /// `twin_sigma_ln` was given.
    pub twin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalcium {
    tau: Q,
    jump: Option<Q>,
    low: Q,
    high: Q,
    up: Option<Q>,
    down: Option<Q>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrain {
    n_per_class: Spanned<i64>,
    rate_teacher: Q,
    teacher_on: Option<Q>,
    teacher_off: Option<Q>,
    teacher_anchor: Option<Spanned<String>>,
    eta_decay: Option<Q>,
    task: Option<Spanned<String>>,
    w1: Option<Spanned<String>>,
    w2: Spanned<String>,
    feedback: Option<Spanned<Vec<Spanned<String>>>>,
}

/// The `[train]` table: how `mixsig train` drives the network. The protocol presents the task on the
/// source `in` and the teacher on the source `teacher`, and reads the populations `out`, `eo_p` and
/// `eo_n` (checked by `mixsig train`, which knows the task).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSection {
    /// Output neurons per class.
    pub n_per_class: usize,
    /// Teacher rate, Hz.
    pub rate_teacher: f64,
    /// The teacher fires only within `[t_on, t_off)` s (counted from
    /// [`TrainSection::teacher_anchor`]) of each training presentation (keys `teacher_on`,
    /// `teacher_off`; both or neither); `None`: the whole presentation.
    pub teacher_window: Option<(f64, f64)>,
    /// What the window counts from (key `teacher_anchor`: `"start"`, the default, or
    /// `"first_input"`, the presentation's first input spike); only with a window.
    pub teacher_anchor: TeacherAnchor,
    /// Learning-rate decay in training presentations (key `eta_decay`, >= 0; default 100): the
    /// learning circuits' rates are scaled by `1 / (1 + n / eta_decay)` after `n` presentations,
    /// 0 for no decay.
    pub eta_decay: f64,
    /// The built-in pattern the network was made for (key `task`, e.g. `"xor"`; written by
    /// `mixsig train --export-network`): `mixsig train --network` trains on it unless `--pattern`
    /// or `--data` says otherwise.
    pub task: Option<crate::tasks::Pattern>,
    /// Index of the plastic input->hidden projection (role `w1`), if any.
    pub w1: Option<usize>,
    /// Index of the plastic ->output projection (role `w2`).
    pub w2: usize,
    /// Indices of the feedback projections e+_out -> e+_hid and e-_out -> e-_hid (role `feedback`).
    pub feedback: Option<(usize, usize)>,
    /// Line of each key of the table (`train` for the table itself), for errors found later.
    pub lines: Vec<(&'static str, usize)>,
}

impl TrainSection {
    /// Line of `key` in the file (the table's line when the key is absent).
    pub fn line(&self, key: &str) -> usize {
        let find = |k: &str| self.lines.iter().find(|(n, _)| *n == k).map(|x| x.1);
        find(key).or_else(|| find("train")).unwrap_or(0)
    }
}

/// What the main parser knows when the learning tables are read.
pub(super) struct Ctx<'a> {
    pub l: &'a Located<'a>,
    pub spec: &'a NetworkSpec,
    /// `name` of each projection.
    pub names: &'a [Option<String>],
    /// Size of a source or population.
    pub size_of: &'a dyn Fn(&str) -> Option<usize>,
}

impl Ctx<'_> {
    fn projection(&self, n: &Spanned<String>, key: &str) -> Result<usize, FileError> {
        self.names
            .iter()
            .position(|x| x.as_deref() == Some(n.get_ref().as_str()))
            .ok_or_else(|| {
                let known: Vec<&str> = self.names.iter().flatten().map(String::as_str).collect();
                self.l.err(
                    n.span().start,
                    key,
                    format!(
                        "no projection named `{}` (named projections: {}; give a projection a `name` to refer to it)",
                        n.get_ref(),
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ),
                )
            })
    }

    /// A projection that must have dense weights (plastic, mirror, or read by the protocol).
    fn dense(&self, n: &Spanned<String>, key: &str, what: &str) -> Result<usize, FileError> {
        let i = self.projection(n, key)?;
        match self.spec.projections[i].connect {
            Connectivity::AllToAll | Connectivity::Dense(_) => Ok(i),
            _ => Err(self.l.err(
                n.span().start,
                key,
                format!(
                    "projection `{}` must be dense to be {what} (connect = all_to_all or dense)",
                    n.get_ref()
                ),
            )),
        }
    }

    fn dims(&self, i: usize) -> (usize, usize) {
        let p = &self.spec.projections[i];
        (
            (self.size_of)(&p.from).unwrap_or(0),
            (self.size_of)(&p.to).unwrap_or(0),
        )
    }

    fn max_weight(&self, i: usize) -> f64 {
        let p = &self.spec.projections[i];
        match &p.connect {
            Connectivity::Dense(w) => w.iter().copied().fold(0.0, f64::max),
            _ => p.weight,
        }
    }
}

/// Read the `[[learning]]` tables. Returns the specs and, per spec, which mismatch spreads it gave.
pub(super) fn parse_learning(
    raw: &[RawLearning],
    c: &Ctx,
) -> Result<(Vec<LearningSpec>, Vec<GivenSigmas>), FileError> {
    let l = c.l;
    let mut specs: Vec<LearningSpec> = Vec::new();
    let mut given = Vec::new();
    let mut owner: Vec<(usize, usize)> = Vec::new(); // (projection, learning) of plastic weights
    for (k, r) in raw.iter().enumerate() {
        let key = format!("learning[{}]", k + 1);
        let kk = |s: &str| format!("{key}.{s}");
        let projection = c.dense(&r.projection, &kk("projection"), "plastic")?;
        let (n_pre, n_post) = c.dims(projection);
        let post_name = &c.spec.projections[projection].to;
        for (field, n) in [("err_pos", &r.err_pos), ("err_neg", &r.err_neg)] {
            let pop = c.spec.populations.iter().find(|p| &p.name == n.get_ref());
            match pop {
                None => {
                    return Err(l.err(
                        n.span().start,
                        &kk(field),
                        format!("no neuron population named `{}`", n.get_ref()),
                    ))
                }
                Some(p) if p.size != n_post => {
                    return Err(l.err(
                        n.span().start,
                        &kk(field),
                        format!(
                            "error population `{}` has {} neurons; it must match the plastic projection's post `{post_name}` ({n_post})",
                            p.name, p.size
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        let tau = l.quantity(
            &r.tau_pre,
            &kk("tau_pre"),
            Dimension::Time,
            Constraint::Positive,
        )?;
        let jump = match &r.trace_jump {
            Some(q) => l.quantity(
                q,
                &kk("trace_jump"),
                Dimension::Dimensionless,
                Constraint::Positive,
            )?,
            None => 1.0,
        };
        let calcium = match &r.calcium {
            None => None,
            Some(ca) => {
                let ck = |s: &str| format!("{key}.calcium.{s}");
                let tau = l.quantity(&ca.tau, &ck("tau"), Dimension::Time, Constraint::Positive)?;
                let jump = match &ca.jump {
                    Some(q) => l.quantity(
                        q,
                        &ck("jump"),
                        Dimension::Dimensionless,
                        Constraint::Positive,
                    )?,
                    None => 1.0,
                };
                let low = l.quantity(
                    &ca.low,
                    &ck("low"),
                    Dimension::Dimensionless,
                    Constraint::Any,
                )?;
                let high = l.quantity(
                    &ca.high,
                    &ck("high"),
                    Dimension::Dimensionless,
                    Constraint::Any,
                )?;
                if high <= low {
                    return Err(l.err(
                        ca.high.span().start,
                        &ck("high"),
                        format!("high = {high} must be > low = {low} (the window passes low < Ca < high)"),
                    ));
                }
                // Direction-specific thresholds: inside the window, or they would never act (or
                // always shut their direction).
                let dir = |q: &Option<Q>, name: &str, what: &str| match q {
                    None => Ok(None),
                    Some(q) => {
                        let v =
                            l.quantity(q, &ck(name), Dimension::Dimensionless, Constraint::Any)?;
                        if v <= low || v >= high {
                            return Err(l.err(
                                q.span().start,
                                &ck(name),
                                format!("{name} = {v} must lie inside the window low = {low} < {name} < high = {high} ({what})"),
                            ));
                        }
                        Ok(Some(v))
                    }
                };
                let theta_up = dir(&ca.up, "up", "potentiation passes while Ca < up")?;
                let theta_down = dir(&ca.down, "down", "depression passes while Ca > down")?;
                Some(CalciumWindow {
                    trace: TraceParams { tau, jump },
                    theta_low: low,
                    theta_high: high,
                    theta_up,
                    theta_down,
                })
            }
        };
        let eta = l.quantity(
            &r.eta,
            &kk("eta"),
            Dimension::Current,
            Constraint::NonNegative,
        )?;
        let w_max = l.quantity(
            &r.w_max,
            &kk("w_max"),
            Dimension::Current,
            Constraint::Positive,
        )?;
        let storage = match &r.storage {
            Some(s) => crate::train::run::parse_storage(s.get_ref())
                .map_err(|m| l.err(s.span().start, &kk("storage"), m))?,
            None => mixsig_circuits::learning::WeightStorage::Analog,
        };
        let mut mirrors = Vec::new();
        for m in &r.mirrors {
            let mi = c.dense(m, &kk("mirrors"), "a mirror")?;
            let (a, b) = c.dims(mi);
            if (a, b) != (n_post, n_pre) {
                return Err(l.err(
                    m.span().start,
                    &kk("mirrors"),
                    format!(
                        "mirror `{}` is {a} x {b} (pre x post); the transpose of the plastic projection is {n_post} x {n_pre}",
                        m.get_ref()
                    ),
                ));
            }
            if mi == projection || mirrors.contains(&mi) {
                return Err(l.err(
                    m.span().start,
                    &kk("mirrors"),
                    format!("`{}` is listed twice", m.get_ref()),
                ));
            }
            mirrors.push(mi);
        }
        for (idx, what) in std::iter::once((projection, &r.projection))
            .chain(mirrors.iter().copied().zip(r.mirrors.iter()))
        {
            if let Some(&(_, other)) = owner.iter().find(|(p, _)| *p == idx) {
                return Err(l.err(
                    what.span().start,
                    &key,
                    format!(
                        "projection `{}` is already updated by learning[{}]",
                        what.get_ref(),
                        other + 1
                    ),
                ));
            }
            owner.push((idx, k));
            let m = c.max_weight(idx);
            if m > w_max * (1.0 + 1e-12) {
                return Err(l.err(
                    r.w_max.span().start,
                    &kk("w_max"),
                    format!(
                        "w_max = {w_max:e} A is below the initial weight {m:e} A of projection `{}`",
                        what.get_ref()
                    ),
                ));
            }
        }
        let sigma = match &r.eta_sigma_ln {
            Some(q) => Some(l.quantity(
                q,
                &kk("eta_sigma_ln"),
                Dimension::Dimensionless,
                Constraint::NonNegative,
            )?),
            None => None,
        };
        let twin = match &r.twin_sigma_ln {
            Some(q) => Some(l.quantity(
                q,
                &kk("twin_sigma_ln"),
                Dimension::Dimensionless,
                Constraint::NonNegative,
            )?),
            None => None,
        };
        let update = match r.update.as_ref().map(|u| (u, u.get_ref().as_str())) {
            None | Some((_, "event")) => {
                if let Some(q) = &r.tau_err {
                    return Err(l.err(
                        q.span().start,
                        &kk("tau_err"),
                        "the error-trace time constant is read only with update = \"continuous\"",
                    ));
                }
                UpdateMode::Event
            }
            Some((_, "continuous")) => UpdateMode::Continuous {
                tau_err: match &r.tau_err {
                    Some(q) => {
                        l.quantity(q, &kk("tau_err"), Dimension::Time, Constraint::Positive)?
                    }
                    None => 0.01,
                },
            },
            Some((u, other)) => {
                return Err(l.err(
                    u.span().start,
                    &kk("update"),
                    format!("`{other}` is not an update mode (event, continuous)"),
                ))
            }
        };
        let error_group = match &r.error_group {
            None => 1,
            Some(g) => {
                let v = *g.get_ref();
                if v < 1 || n_post % v as usize != 0 {
                    return Err(l.err(
                        g.span().start,
                        &kk("error_group"),
                        format!(
                            "error_group = {v} must be >= 1 and divide the {n_post} neurons of the plastic projection's post `{post_name}`"
                        ),
                    ));
                }
                v as usize
            }
        };
        given.push(GivenSigmas {
            eta: sigma.is_some(),
            twin: twin.is_some(),
        });
        specs.push(LearningSpec {
            projection,
            err_pos: r.err_pos.get_ref().clone(),
            err_neg: r.err_neg.get_ref().clone(),
            pre_trace: TraceParams { tau, jump },
            calcium,
            eta,
            w_max,
            storage,
            mirrors,
            eta_sigma_ln: sigma.unwrap_or(0.0),
            twin_sigma_ln: twin.unwrap_or(0.0),
            update,
            error_group,
            zero_sum: r.zero_sum,
        });
    }
    Ok((specs, given))
}

/// Read the `[train]` table.
pub(super) fn parse_train(r: &RawTrain, c: &Ctx, text: &str) -> Result<TrainSection, FileError> {
    let l = c.l;
    let mut lines = vec![("train", line_of(text, r.n_per_class.span().start))];
    let npc = *r.n_per_class.get_ref();
    lines.push(("n_per_class", line_of(text, r.n_per_class.span().start)));
    if npc <= 0 {
        return Err(l.err(
            r.n_per_class.span().start,
            "train.n_per_class",
            format!("n_per_class = {npc} must be > 0"),
        ));
    }
    let rate_teacher = l.quantity(
        &r.rate_teacher,
        "train.rate_teacher",
        Dimension::Frequency,
        Constraint::NonNegative,
    )?;
    lines.push(("rate_teacher", line_of(text, r.rate_teacher.span().start)));
    let teacher_window = match (&r.teacher_on, &r.teacher_off) {
        (None, None) => None,
        (Some(on), Some(off)) => {
            let t_on = l.quantity(
                on,
                "train.teacher_on",
                Dimension::Time,
                Constraint::NonNegative,
            )?;
            let t_off = l.quantity(
                off,
                "train.teacher_off",
                Dimension::Time,
                Constraint::Positive,
            )?;
            if t_off <= t_on {
                return Err(l.err(
                    off.span().start,
                    "train.teacher_off",
                    format!("teacher_off = {t_off} s must be after teacher_on = {t_on} s"),
                ));
            }
            lines.push(("teacher_on", line_of(text, on.span().start)));
            lines.push(("teacher_off", line_of(text, off.span().start)));
            Some((t_on, t_off))
        }
        (Some(q), None) | (None, Some(q)) => {
            let key = if r.teacher_on.is_some() {
                "train.teacher_on"
            } else {
                "train.teacher_off"
            };
            return Err(l.err(
                q.span().start,
                key,
                "the teacher window needs both teacher_on and teacher_off (or neither: the whole presentation)",
            ));
        }
    };
    let teacher_anchor = match &r.teacher_anchor {
        None => TeacherAnchor::Start,
        Some(a) => {
            let at = a.span().start;
            let Some(anchor) = TeacherAnchor::parse(a.get_ref()) else {
                return Err(l.err(
                    at,
                    "train.teacher_anchor",
                    format!(
                        "teacher_anchor = \"{}\" is not one of \"start\", \"first_input\"",
                        a.get_ref()
                    ),
                ));
            };
            if teacher_window.is_none() {
                return Err(l.err(
                    at,
                    "train.teacher_anchor",
                    "teacher_anchor needs a teacher window (teacher_on and teacher_off)",
                ));
            }
            lines.push(("teacher_anchor", line_of(text, at)));
            anchor
        }
    };
    let eta_decay = match &r.eta_decay {
        None => 100.0,
        Some(q) => {
            lines.push(("eta_decay", line_of(text, q.span().start)));
            l.quantity(
                q,
                "train.eta_decay",
                Dimension::Dimensionless,
                Constraint::NonNegative,
            )?
        }
    };
    let task = match &r.task {
        None => None,
        Some(t) => {
            lines.push(("task", line_of(text, t.span().start)));
            Some(t.get_ref().parse::<crate::tasks::Pattern>().map_err(|_| {
                l.err(
                    t.span().start,
                    "train.task",
                    format!(
                        "task = \"{}\" is not a built-in pattern ({}); remove the key for a task of your own (--data)",
                        t.get_ref(),
                        crate::tasks::Pattern::ALL.map(|p| p.name()).join(", ")
                    ),
                )
            })?)
        }
    };
    let w2 = c.dense(&r.w2, "train.w2", "the role w2")?;
    lines.push(("w2", line_of(text, r.w2.span().start)));
    let w1 = match &r.w1 {
        Some(n) => {
            lines.push(("w1", line_of(text, n.span().start)));
            Some(c.dense(n, "train.w1", "the role w1")?)
        }
        None => None,
    };
    let feedback = match &r.feedback {
        None => None,
        Some(v) => {
            lines.push(("feedback", line_of(text, v.span().start)));
            let list = v.get_ref();
            if list.len() != 2 {
                return Err(l.err(
                    v.span().start,
                    "train.feedback",
                    format!(
                        "{} projection(s) given; feedback is a pair [e+ projection, e- projection]",
                        list.len()
                    ),
                ));
            }
            let a = c.dense(&list[0], "train.feedback", "the role feedback")?;
            let b = c.dense(&list[1], "train.feedback", "the role feedback")?;
            Some((a, b))
        }
    };
    Ok(TrainSection {
        n_per_class: npc as usize,
        rate_teacher,
        teacher_window,
        teacher_anchor,
        eta_decay,
        task,
        w1,
        w2,
        feedback,
        lines,
    })
}
