//! Validation of the bias generator, the weight format and the per-core bias settings of a profile.

use std::collections::BTreeMap;

use mixsig_circuits::units::Dimension;

use super::{Validator, R};
use crate::biasgen::{BiasCode, BiasGenSpec, GeneratorKind, MeasuredTable, ParametricGen};
use crate::instance::BiasValue;
use crate::names;
use crate::schema::{RawBias, RawProfile};
use crate::weights::WeightFormat;

impl Validator<'_> {
    pub(super) fn bias_generator(&self, raw: &RawProfile) -> R<BiasGenSpec> {
        let b = &raw.bias_generator;
        let style = b.style.get_ref().as_str();
        let mut scale = BTreeMap::new();
        for (name, q) in &b.scale {
            let key = format!("bias_generator.scale.{name}");
            if names::bias_by_name(name).is_none() {
                let valid: Vec<_> = names::BIASES.iter().map(|b| b.name).collect();
                return Err(self.ctx.structure(
                    q.span(),
                    &key,
                    format!("unknown bias name; known: {}", valid.join(", ")),
                ));
            }
            let v = self.within(
                q,
                &key,
                Dimension::Dimensionless,
                1e-3,
                1e3,
                "scale factor must be in [0.001, 1000]",
            )?;
            scale.insert(name.clone(), v);
        }
        let why = format!("by bias generator style '{style}'");
        let kind = match style {
            "exact" => {
                self.unused(&b.coarse_currents, "bias_generator.coarse_currents", &why)?;
                self.unused(&b.fine_bits, "bias_generator.fine_bits", &why)?;
                self.unused(&b.table, "bias_generator.table", &why)?;
                GeneratorKind::Exact
            }
            "dynapse2" | "dynapse1" => {
                self.unused(&b.table, "bias_generator.table", &why)?;
                let cc = b.coarse_currents.as_ref().ok_or_else(|| {
                    self.ctx.structure(
                        b.style.span(),
                        "bias_generator.coarse_currents",
                        format!("missing field `coarse_currents` (required {why})"),
                    )
                })?;
                let mut currents = Vec::new();
                for (i, q) in cc.get_ref().iter().enumerate() {
                    let key = format!("bias_generator.coarse_currents[{i}]");
                    let v = self.positive(q, &key, Dimension::Current)?;
                    if currents.last().is_some_and(|&p| v <= p) {
                        return Err(self.ctx.invalid(
                            q.span(),
                            &key,
                            q.get_ref().to_string(),
                            "coarse currents must increase",
                        ));
                    }
                    currents.push(v);
                }
                if currents.is_empty() || currents.len() > 256 {
                    return Err(self.ctx.invalid(
                        cc.span(),
                        "bias_generator.coarse_currents",
                        format!("{} entries", currents.len()),
                        "need 1 to 256 coarse ranges",
                    ));
                }
                let fine_bits = match &b.fine_bits {
                    None => 8,
                    Some(v) => self.count(v, "bias_generator.fine_bits", 1, 12)?,
                };
                let floor = match &b.floor {
                    None => 0.0,
                    Some(q) => self.within(
                        q,
                        "bias_generator.floor",
                        Dimension::Current,
                        0.0,
                        currents[0],
                        "floor must be in [0, first coarse current]",
                    )?,
                };
                GeneratorKind::Parametric(ParametricGen {
                    style: style.to_string(),
                    coarse_currents: currents,
                    fine_bits,
                    floor,
                    branch_sigma: self.fraction(
                        &b.branch_sigma.clone(),
                        "bias_generator.branch_sigma",
                        0.5,
                    )?,
                    coarse_sigma: self.fraction(
                        &b.coarse_sigma.clone(),
                        "bias_generator.coarse_sigma",
                        0.5,
                    )?,
                })
            }
            "table" => {
                let t = b.table.as_ref().ok_or_else(|| {
                    self.ctx.structure(
                        b.style.span(),
                        "bias_generator.table",
                        "missing field `table` (required by style 'table')",
                    )
                })?;
                let path = match &self.base {
                    Some(d) => d.join(t.get_ref()),
                    None => t.get_ref().into(),
                };
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    self.ctx.invalid(
                        t.span(),
                        "bias_generator.table",
                        t.get_ref().clone(),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                GeneratorKind::Table(MeasuredTable::parse(&path.display().to_string(), &text)?)
            }
            _ => {
                return Err(self.ctx.invalid(
                    b.style.span(),
                    "bias_generator.style",
                    style,
                    "must be exact, dynapse2, dynapse1 or table",
                ))
            }
        };
        Ok(BiasGenSpec { kind, scale })
    }

    pub(super) fn weights(&self, raw: &RawProfile) -> R<WeightFormat> {
        let w = &raw.weights;
        let f = w.format.get_ref().as_str();
        let why = format!("by weight format '{f}'");
        let i_max = |this: &Self| {
            let q = w.i_max.as_ref().ok_or_else(|| {
                this.ctx.structure(
                    w.format.span(),
                    "weights.i_max",
                    format!("missing field `i_max` (required {why})"),
                )
            })?;
            this.positive(q, "weights.i_max", Dimension::Current)
        };
        Ok(match f {
            "dynapse2-mask" | "dynapse1-type" => {
                self.unused(&w.bits, "weights.bits", &why)?;
                if let Some(q) = &w.i_max {
                    return Err(self.ctx.structure(
                        q.span(),
                        "weights.i_max",
                        format!("key not used {why}"),
                    ));
                }
                if f == "dynapse2-mask" {
                    WeightFormat::Dynapse2Mask
                } else {
                    WeightFormat::Dynapse1Type
                }
            }
            "analog" => {
                self.unused(&w.bits, "weights.bits", &why)?;
                WeightFormat::Analog {
                    i_max: i_max(self)?,
                }
            }
            "n-bit" => {
                let bits = w.bits.as_ref().ok_or_else(|| {
                    self.ctx.structure(
                        w.format.span(),
                        "weights.bits",
                        "missing field `bits` (required by weight format 'n-bit')",
                    )
                })?;
                WeightFormat::NBit {
                    bits: self.count(bits, "weights.bits", 1, 16)?,
                    i_max: i_max(self)?,
                }
            }
            _ => {
                return Err(self.ctx.invalid(
                    w.format.span(),
                    "weights.format",
                    f,
                    "must be dynapse2-mask, dynapse1-type, analog or n-bit",
                ))
            }
        })
    }

    pub(super) fn biases(
        &self,
        raw: &RawProfile,
        gen: &BiasGenSpec,
    ) -> R<BTreeMap<String, BiasValue>> {
        let mut out = BTreeMap::new();
        for (k, v) in &raw.biases {
            let key = format!("biases.{k}");
            let b = names::resolve_bias(k).ok_or_else(|| {
                self.ctx.structure(v.span(), &key, "unknown bias: use a DYNAP-SE2 name (SOIF_LEAK_N, ...), a parameter name with a bias (i_tau_mem, ...) or w0..w3")
            })?;
            let val = match v.get_ref() {
                RawBias::Current(q) => {
                    let i = self.qty_at(q, v.span(), &key, Dimension::Current)?;
                    if i <= 0.0 {
                        return Err(self.ctx.invalid(
                            v.span(),
                            &key,
                            q.to_string(),
                            "current must be > 0",
                        ));
                    }
                    BiasValue::Current(i)
                }
                RawBias::Code(c) => {
                    let (nc, nf) = gen.levels(b.name);
                    let (nc, nf) = (nc as i64, nf as i64);
                    if nc == 0 {
                        return Err(self.ctx.invalid(
                            v.span(),
                            &key,
                            "{ coarse, fine }",
                            "the exact bias generator takes currents, not codes",
                        ));
                    }
                    let cv = *c.coarse.get_ref();
                    if !(0..nc).contains(&cv) {
                        return Err(self.ctx.invalid(c.coarse.span(), &format!("{key}.coarse"), cv.to_string(), format!("coarse index out of range: must be in 0..{nc} ({nc} coarse ranges)")));
                    }
                    let fv = *c.fine.get_ref();
                    if !(0..nf).contains(&fv) {
                        return Err(self.ctx.invalid(
                            c.fine.span(),
                            &format!("{key}.fine"),
                            fv.to_string(),
                            format!("fine value out of range: must be in 0..{nf}"),
                        ));
                    }
                    BiasValue::Code(BiasCode {
                        coarse: cv as u8,
                        fine: fv as u16,
                    })
                }
            };
            if out.insert(b.name.to_string(), val).is_some() {
                return Err(self.ctx.structure(
                    v.span(),
                    &key,
                    format!("bias {} set twice", b.name),
                ));
            }
        }
        Ok(out)
    }
}
