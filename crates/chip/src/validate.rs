//! Validation of the raw schema ([`crate::schema`]) into a [`ChipProfile`]: unit conversion, ranges,
//! cross-field rules (which keys a mismatch model, generator style or weight format accepts), each
//! failure reported with file, line, dotted key and constraint.

use std::collections::BTreeMap;
use std::ops::Range;

use mixsig_circuits::units::{parse_quantity, thermal_voltage, Dimension};
use mixsig_circuits::SynapseType;

use crate::error::Ctx;
use crate::mismatch::{CompatMismatch, Device, MismatchModel, PhysicalMismatch};
use crate::names::{self, BLOCKS};
use crate::profile::{Architecture, BiasSharing, ChipProfile, Layout, NoiseSpec, ProcessSpec};
use crate::schema::{Qty, RawEntry, RawProfile, SQty, Spanned};
use crate::ProfileError;

pub(crate) struct Validator<'a> {
    pub(crate) ctx: Ctx<'a>,
    pub(crate) base: Option<std::path::PathBuf>,
}

type R<T> = Result<T, ProfileError>;

mod bias;

impl Validator<'_> {
    pub(super) fn qty_at(&self, q: &Qty, span: Range<usize>, key: &str, dim: Dimension) -> R<f64> {
        match q {
            Qty::Num(x) if x.is_finite() => Ok(*x),
            Qty::Num(x) => Err(self.ctx.invalid(span, key, x.to_string(), "must be finite")),
            Qty::Text(s) => parse_quantity(s, dim)
                .map_err(|e| self.ctx.invalid(span, key, s.clone(), e.to_string())),
        }
    }

    pub(super) fn qty(&self, q: &SQty, key: &str, dim: Dimension) -> R<f64> {
        self.qty_at(q.get_ref(), q.span(), key, dim)
    }

    pub(super) fn positive(&self, q: &SQty, key: &str, dim: Dimension) -> R<f64> {
        let v = self.qty(q, key, dim)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(self.ctx.invalid(
                q.span(),
                key,
                q.get_ref().to_string(),
                format!("{} must be > 0", dim.name()),
            ))
        }
    }

    pub(super) fn within(
        &self,
        q: &SQty,
        key: &str,
        dim: Dimension,
        lo: f64,
        hi: f64,
        what: &str,
    ) -> R<f64> {
        let v = self.qty(q, key, dim)?;
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(self
                .ctx
                .invalid(q.span(), key, q.get_ref().to_string(), what.to_string()))
        }
    }

    /// A relative sigma: a fraction in `[0, hi]`.
    pub(super) fn fraction(&self, q: &Option<SQty>, key: &str, hi: f64) -> R<f64> {
        match q {
            None => Ok(0.0),
            Some(q) => self.within(
                q,
                key,
                Dimension::Dimensionless,
                0.0,
                hi,
                &format!(
                    "a fraction must be in [0, {hi}] (fractions are fractions: write 0.1 or \"10 %\" for 10%)"
                ),
            ),
        }
    }

    /// A coefficient written as `"<quantity>*<length unit>"` (e.g. `"5 mV*um"`), SI.
    pub(super) fn coefficient(
        &self,
        q: &SQty,
        key: &str,
        dim: Dimension,
        hi: f64,
        example: &str,
    ) -> R<f64> {
        let bad = |why: String| {
            self.ctx
                .invalid(q.span(), key, q.get_ref().to_string(), why)
        };
        let v = match q.get_ref() {
            Qty::Num(x) => *x,
            Qty::Text(s) => {
                let (a, b) = s.rsplit_once(['*', '·']).ok_or_else(|| {
                    bad(format!(
                        "write it as a product with a length, e.g. \"{example}\""
                    ))
                })?;
                let a = parse_quantity(a, dim).map_err(|e| bad(e.to_string()))?;
                let b = parse_quantity(&format!("1 {}", b.trim()), Dimension::Length)
                    .map_err(|e| bad(e.to_string()))?;
                a * b
            }
        };
        if v.is_finite() && (0.0..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(bad(format!(
                "must be in [0, {hi:e}] (SI), e.g. \"{example}\""
            )))
        }
    }

    pub(super) fn count(&self, v: &Spanned<i64>, key: &str, lo: i64, hi: i64) -> R<u32> {
        let x = *v.get_ref();
        if (lo..=hi).contains(&x) {
            Ok(x as u32)
        } else {
            Err(self.ctx.invalid(
                v.span(),
                key,
                x.to_string(),
                format!("must be an integer in [{lo}, {hi}]"),
            ))
        }
    }

    pub(super) fn unused<T>(&self, o: &Option<Spanned<T>>, key: &str, why: &str) -> R<()> {
        match o {
            Some(s) => Err(self
                .ctx
                .structure(s.span(), key, format!("key not used {why}"))),
            None => Ok(()),
        }
    }

    pub(crate) fn profile(&self, raw: RawProfile) -> R<ChipProfile> {
        let process = self.process(&raw)?;
        let architecture = self.architecture(&raw)?;
        let layout = self.layout(&raw)?;
        let mismatch = self.mismatch(&raw)?;
        let bias_generator = self.bias_generator(&raw)?;
        let weights = self.weights(&raw)?;
        let default_biases = self.biases(&raw, &bias_generator)?;
        Ok(ChipProfile {
            name: raw.profile.name.clone(),
            description: raw.profile.description.clone(),
            hypothetical: raw.profile.hypothetical,
            origin: self.ctx.origin.to_string(),
            process,
            architecture,
            layout,
            mismatch,
            bias_generator,
            weights,
            noise: NoiseSpec {
                shot: raw.noise.shot,
            },
            default_biases,
        })
    }

    fn process(&self, raw: &RawProfile) -> R<ProcessSpec> {
        let p = &raw.process;
        let temperature = self.positive(
            &p.temperature,
            "process.temperature",
            Dimension::Temperature,
        )?;
        let u_t = match &p.u_t {
            Some(q) => self.within(
                q,
                "process.u_t",
                Dimension::Voltage,
                1e-3,
                0.1,
                "thermal voltage must be in [1 mV, 100 mV]",
            )?,
            None => thermal_voltage(temperature),
        };
        let kappa = |q: &SQty, k: &str| {
            self.within(
                q,
                k,
                Dimension::Dimensionless,
                0.05,
                0.999,
                "slope factor must be in (0, 1)",
            )
        };
        let offset = |q: &Option<SQty>, k: &str| match q {
            None => Ok(0.0),
            Some(q) => self.within(
                q,
                k,
                Dimension::Voltage,
                -0.3,
                0.3,
                "threshold offset must be within +-300 mV",
            ),
        };
        Ok(ProcessSpec {
            node: p
                .node
                .as_ref()
                .map(|q| self.positive(q, "process.node", Dimension::Length))
                .transpose()?,
            temperature,
            u_t,
            i_0: self.positive(&p.i_0, "process.i_0", Dimension::Current)?,
            kappa_n: kappa(&p.kappa_n, "process.kappa_n")?,
            kappa_p: kappa(&p.kappa_p, "process.kappa_p")?,
            supply: self.positive(&p.supply, "process.supply", Dimension::Voltage)?,
            corner: p.corner.clone(),
            vt_offset_n: offset(&p.vt_offset_n, "process.vt_offset_n")?,
            vt_offset_p: offset(&p.vt_offset_p, "process.vt_offset_p")?,
        })
    }

    fn architecture(&self, raw: &RawProfile) -> R<Architecture> {
        let a = &raw.architecture;
        let mut types = Vec::new();
        for t in a.synapse_types.get_ref() {
            let ty = SynapseType::ALL
                .into_iter()
                .find(|x| x.name() == t)
                .ok_or_else(|| {
                    self.ctx.invalid(
                        a.synapse_types.span(),
                        "architecture.synapse_types",
                        t.clone(),
                        "synapse type must be one of ampa, nmda, gaba, shunt",
                    )
                })?;
            if types.contains(&ty) {
                return Err(self.ctx.invalid(
                    a.synapse_types.span(),
                    "architecture.synapse_types",
                    t.clone(),
                    "listed twice",
                ));
            }
            types.push(ty);
        }
        if types.is_empty() {
            return Err(self.ctx.invalid(
                a.synapse_types.span(),
                "architecture.synapse_types",
                "[]",
                "at least one synapse type",
            ));
        }
        let bias_sharing = match a.bias_sharing.get_ref().as_str() {
            "core" => BiasSharing::Core,
            "neuron" => BiasSharing::Neuron,
            s => {
                return Err(self.ctx.invalid(
                    a.bias_sharing.span(),
                    "architecture.bias_sharing",
                    s,
                    "must be \"core\" or \"neuron\"",
                ))
            }
        };
        Ok(Architecture {
            cores: self.count(&a.cores, "architecture.cores", 1, 4096)?,
            neurons_per_core: self.count(
                &a.neurons_per_core,
                "architecture.neurons_per_core",
                1,
                1 << 20,
            )?,
            synapses_per_neuron: self.count(
                &a.synapses_per_neuron,
                "architecture.synapses_per_neuron",
                1,
                1 << 16,
            )?,
            synapse_types: types,
            bias_sharing,
        })
    }

    fn transistor(&self, e: &Spanned<RawEntry>, key: &str) -> R<(f64, f64)> {
        match e.get_ref() {
            RawEntry::Transistor(t) => {
                let len = |q: &SQty, k: &str| {
                    self.within(
                        q,
                        k,
                        Dimension::Length,
                        1e-9,
                        1e-3,
                        "transistor size must be in [1 nm, 1 mm] and > 0",
                    )
                };
                Ok((
                    len(&t.w, &format!("{key}.w"))?,
                    len(&t.l, &format!("{key}.l"))?,
                ))
            }
            RawEntry::Qty(q) => Err(self.ctx.invalid(
                e.span(),
                key,
                q.to_string(),
                "a current's device must be a transistor size { w = \"1 um\", l = \"1 um\" }",
            )),
        }
    }

    fn layout(&self, raw: &RawProfile) -> R<Layout> {
        let l = &raw.layout;
        let default_transistor =
            self.transistor(&l.default_transistor, "layout.default_transistor")?;
        let blocks: [(&str, &crate::schema::RawBlock); 9] = [
            ("membrane", &l.membrane),
            ("refractory", &l.refractory),
            ("ahp", &l.ahp),
            ("pulse", &l.pulse),
            ("ampa", &l.ampa),
            ("nmda", &l.nmda),
            ("gaba", &l.gaba),
            ("shunt", &l.shunt),
            ("synapse", &l.synapse),
        ];
        let mut devices = BTreeMap::new();
        for (block, entries) in blocks {
            let allowed = BLOCKS
                .iter()
                .find(|(b, _)| *b == block)
                .map(|(_, p)| *p)
                .unwrap_or(&[]);
            for (name, e) in entries {
                let key = format!("layout.{block}.{name}");
                if !allowed.contains(&name.as_str()) {
                    return Err(self.ctx.structure(
                        e.span(),
                        &key,
                        format!("unknown key; layout.{block} accepts {}", allowed.join(", ")),
                    ));
                }
                let dev = if name.starts_with("c_") {
                    match e.get_ref() {
                        RawEntry::Qty(q) => {
                            let c = self.qty_at(q, e.span(), &key, Dimension::Capacitance)?;
                            if c <= 0.0 {
                                return Err(self.ctx.invalid(
                                    e.span(),
                                    &key,
                                    q.to_string(),
                                    "capacitance must be > 0",
                                ));
                            }
                            Device::Capacitor { c }
                        }
                        RawEntry::Transistor(_) => {
                            return Err(self.ctx.invalid(
                                e.span(),
                                &key,
                                "{ w, l }",
                                "a capacitor takes a capacitance (\"3 pF\")",
                            ))
                        }
                    }
                } else {
                    let (w, l) = self.transistor(e, &key)?;
                    Device::Transistor {
                        w,
                        l,
                        polarity: names::polarity_of(name),
                    }
                };
                devices.insert(name.clone(), dev);
            }
        }
        // Every capacitance is required (its value sets time constants and pulse widths).
        for (block, params) in BLOCKS {
            for p in params.iter().filter(|p| p.starts_with("c_")) {
                if !devices.contains_key(*p) {
                    let span = l.default_transistor.span();
                    return Err(self.ctx.structure(
                        span,
                        &format!("layout.{block}.{p}"),
                        format!("missing field `{p}` (every capacitance must be given)"),
                    ));
                }
            }
        }
        Ok(Layout {
            default_transistor,
            devices,
        })
    }

    fn mismatch(&self, raw: &RawProfile) -> R<MismatchModel> {
        let m = &raw.mismatch;
        let model = m.model.get_ref().as_str();
        let phys_keys = [
            (&m.a_vt_n, "a_vt_n"),
            (&m.a_vt_p, "a_vt_p"),
            (&m.a_beta, "a_beta"),
            (&m.cap_sigma, "cap_sigma"),
            (&m.cap_ref, "cap_ref"),
            (&m.sigma_vt_global, "sigma_vt_global"),
            (&m.sigma_vt_core, "sigma_vt_core"),
            (&m.cap_sigma_global, "cap_sigma_global"),
            (&m.cap_sigma_core, "cap_sigma_core"),
        ];
        let compat_keys = [
            (&m.sigma, "sigma"),
            (&m.percent_mismatch, "percent_mismatch"),
            (&m.sigma_core, "sigma_core"),
            (&m.sigma_global, "sigma_global"),
        ];
        let why = format!("by mismatch model '{model}'");
        match model {
            "none" | "physical" | "gaussian-percent" | "truncated-gaussian" => {}
            _ => {
                return Err(self.ctx.invalid(
                    m.model.span(),
                    "mismatch.model",
                    model,
                    "must be none, physical, gaussian-percent or truncated-gaussian",
                ))
            }
        }
        if model != "physical" {
            for (o, k) in phys_keys {
                self.unused(o, &format!("mismatch.{k}"), &why)?;
            }
        }
        if model == "physical" || model == "none" {
            for (o, k) in compat_keys {
                self.unused(o, &format!("mismatch.{k}"), &why)?;
            }
        }
        let volts = |q: &Option<SQty>, k: &str| match q {
            None => Ok(0.0),
            Some(q) => self.within(
                q,
                k,
                Dimension::Voltage,
                0.0,
                0.1,
                "threshold sigma must be in [0, 100 mV]",
            ),
        };
        Ok(match model {
            "none" => MismatchModel::None,
            "physical" => {
                let avt = |o: &Option<SQty>, k: &str| match o {
                    Some(q) => self.coefficient(
                        q,
                        &format!("mismatch.{k}"),
                        Dimension::Voltage,
                        50e-9,
                        "5 mV*um",
                    ),
                    None => Err(self.ctx.structure(
                        m.model.span(),
                        &format!("mismatch.{k}"),
                        format!("missing field `{k}` (required by model 'physical')"),
                    )),
                };
                PhysicalMismatch {
                    a_vt_n: avt(&m.a_vt_n, "a_vt_n")?,
                    a_vt_p: avt(&m.a_vt_p, "a_vt_p")?,
                    a_beta: match &m.a_beta {
                        None => 0.0,
                        Some(q) => self.coefficient(
                            q,
                            "mismatch.a_beta",
                            Dimension::Dimensionless,
                            1e-7,
                            "1 %*um",
                        )?,
                    },
                    cap_sigma: self.fraction(&m.cap_sigma, "mismatch.cap_sigma", 0.5)?,
                    cap_ref: match &m.cap_ref {
                        None => 1e-12,
                        Some(q) => self.positive(q, "mismatch.cap_ref", Dimension::Capacitance)?,
                    },
                    sigma_vt_global: volts(&m.sigma_vt_global, "mismatch.sigma_vt_global")?,
                    sigma_vt_core: volts(&m.sigma_vt_core, "mismatch.sigma_vt_core")?,
                    cap_sigma_global: self.fraction(
                        &m.cap_sigma_global,
                        "mismatch.cap_sigma_global",
                        0.5,
                    )?,
                    cap_sigma_core: self.fraction(
                        &m.cap_sigma_core,
                        "mismatch.cap_sigma_core",
                        0.5,
                    )?,
                }
                .into()
            }
            _ => {
                let sigma = match (&m.sigma, &m.percent_mismatch) {
                    (Some(_), Some(p)) => return Err(self.ctx.structure(p.span(), "mismatch.percent_mismatch", "give either `sigma` or `percent_mismatch`, not both")),
                    (Some(_), None) => self.fraction(&m.sigma, "mismatch.sigma", 1.0)?,
                    (None, Some(_)) => self.fraction(&m.percent_mismatch, "mismatch.percent_mismatch", 1.0)? / 3.0,
                    (None, None) => return Err(self.ctx.structure(m.model.span(), "mismatch.sigma", format!("missing field `sigma` (or `percent_mismatch`), required by model '{model}'"))),
                };
                let c = CompatMismatch {
                    sigma,
                    sigma_core: self.fraction(&m.sigma_core, "mismatch.sigma_core", 1.0)?,
                    sigma_global: self.fraction(&m.sigma_global, "mismatch.sigma_global", 1.0)?,
                };
                if model == "gaussian-percent" {
                    MismatchModel::GaussianPercent(c)
                } else {
                    MismatchModel::TruncatedGaussian(c)
                }
            }
        })
    }
}

impl From<PhysicalMismatch> for MismatchModel {
    fn from(p: PhysicalMismatch) -> Self {
        MismatchModel::Physical(p)
    }
}
