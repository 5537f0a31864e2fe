//! SI units: physical constants and the parser for quantities with units.
//!
//! Everything inside mixsig is an SI `f64` (A, F, V, s, Hz). Human units ("20 ms", "5.3 pA", "3 pF",
//! "25 degC") are accepted only at the edges (TOML files, command line) and converted once with
//! [`parse_quantity`]. A bare number is taken as SI.

use std::fmt;

/// Boltzmann constant, J/K.
pub const BOLTZMANN: f64 = 1.380_649e-23;
/// Elementary charge, C.
pub const ELEMENTARY_CHARGE: f64 = 1.602_176_634e-19;
/// 0 °C in kelvin.
pub const ZERO_CELSIUS: f64 = 273.15;

/// Thermal voltage `U_T = k*T/q` (V) at absolute temperature `t_kelvin`.
pub fn thermal_voltage(t_kelvin: f64) -> f64 {
    BOLTZMANN * t_kelvin / ELEMENTARY_CHARGE
}

/// The physical dimension a quantity must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Ampere.
    Current,
    /// Farad.
    Capacitance,
    /// Volt.
    Voltage,
    /// Second.
    Time,
    /// Hertz.
    Frequency,
    /// Kelvin (also accepts `degC`).
    Temperature,
    /// Metre (device sizes; `um` and `nm` accepted).
    Length,
    /// No unit.
    Dimensionless,
}

impl Dimension {
    /// The SI symbol of the dimension (empty for dimensionless).
    pub fn symbol(self) -> &'static str {
        match self {
            Dimension::Current => "A",
            Dimension::Capacitance => "F",
            Dimension::Voltage => "V",
            Dimension::Time => "s",
            Dimension::Frequency => "Hz",
            Dimension::Temperature => "K",
            Dimension::Length => "m",
            Dimension::Dimensionless => "",
        }
    }

    /// Human name of the dimension, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Current => "current",
            Dimension::Capacitance => "capacitance",
            Dimension::Voltage => "voltage",
            Dimension::Time => "time",
            Dimension::Frequency => "frequency",
            Dimension::Temperature => "temperature",
            Dimension::Length => "length",
            Dimension::Dimensionless => "dimensionless number",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.symbol().is_empty() {
            write!(f, "{}", self.name())
        } else {
            write!(f, "{} ({})", self.name(), self.symbol())
        }
    }
}

/// Why a quantity string was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnitError {
    /// The text is not a number optionally followed by a unit.
    #[error(
        "cannot read {text:?} as a number with a unit (examples: \"20 ms\", \"5.3 pA\", \"3e-12\")"
    )]
    Malformed {
        /// The offending text.
        text: String,
    },
    /// The unit is known but has the wrong dimension, or is unknown.
    #[error("{text:?} is not a {expected}: unit {unit:?} not accepted here (use {hint})")]
    WrongUnit {
        /// The offending text.
        text: String,
        /// The unit as written.
        unit: String,
        /// What was expected.
        expected: Dimension,
        /// Example units.
        hint: &'static str,
    },
    /// The value is NaN or infinite.
    #[error("{text:?} is not finite")]
    NotFinite {
        /// The offending text.
        text: String,
    },
}

fn prefix_factor(p: &str) -> Option<f64> {
    Some(match p {
        "" => 1.0,
        "f" => 1e-15,
        "p" => 1e-12,
        "n" => 1e-9,
        "u" | "µ" | "μ" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        _ => return None,
    })
}

fn hint(d: Dimension) -> &'static str {
    match d {
        Dimension::Current => "fA, pA, nA, uA, mA or A",
        Dimension::Capacitance => "fF, pF, nF or F",
        Dimension::Voltage => "uV, mV or V",
        Dimension::Time => "us, ms, s, min or h",
        Dimension::Frequency => "Hz, kHz",
        Dimension::Temperature => "K or degC",
        Dimension::Length => "nm, um, mm or m",
        Dimension::Dimensionless => "a plain number",
    }
}

/// Convert `unit` (after the number) to a factor to SI for dimension `d`, with an additive offset
/// (only for degrees Celsius).
fn unit_factor(unit: &str, d: Dimension) -> Option<(f64, f64)> {
    if unit.is_empty() {
        return Some((1.0, 0.0));
    }
    match d {
        Dimension::Time => match unit {
            "min" => return Some((60.0, 0.0)),
            "h" => return Some((3600.0, 0.0)),
            "sec" => return Some((1.0, 0.0)),
            _ => {}
        },
        Dimension::Temperature => match unit {
            "K" => return Some((1.0, 0.0)),
            "degC" | "°C" | "C" => return Some((1.0, ZERO_CELSIUS)),
            _ => return None,
        },
        Dimension::Dimensionless => {
            return match unit {
                "%" => Some((0.01, 0.0)),
                _ => None,
            }
        }
        _ => {}
    }
    let sym = d.symbol();
    let prefix = unit.strip_suffix(sym)?;
    // "m" alone as a length means metre, "mm" millimetre, but never allow e.g. "kK".
    prefix_factor(prefix).map(|f| (f, 0.0))
}

/// Parse `text` as a quantity of dimension `d` and return it in SI units.
///
/// Accepts a number followed by an optional unit, with or without a space: `"20 ms"`, `"5.3pA"`,
/// `"3e-12"` (bare numbers are SI), `"25 degC"`, `"10 %"` (dimensionless only).
pub fn parse_quantity(text: &str, d: Dimension) -> Result<f64, UnitError> {
    let t = text.trim();
    // Split at the first character that cannot belong to a float literal (careful with exponents).
    let bytes: Vec<char> = t.chars().collect();
    let mut end = 0;
    let mut seen_e = false;
    while end < bytes.len() {
        let c = bytes[end];
        let ok = c.is_ascii_digit()
            || c == '.'
            || ((c == '+' || c == '-')
                && (end == 0 || matches!(bytes[end - 1], 'e' | 'E') && seen_e))
            || ((c == 'e' || c == 'E')
                && !seen_e
                && end > 0
                && bytes
                    .get(end + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == '-' || *n == '+'));
        if !ok {
            break;
        }
        if c == 'e' || c == 'E' {
            seen_e = true;
        }
        end += 1;
    }
    let num: String = bytes[..end].iter().collect();
    let unit: String = bytes[end..].iter().collect::<String>().trim().to_string();
    let value: f64 = num.parse().map_err(|_| UnitError::Malformed {
        text: text.to_string(),
    })?;
    let (factor, offset) = unit_factor(&unit, d).ok_or_else(|| UnitError::WrongUnit {
        text: text.to_string(),
        unit: unit.clone(),
        expected: d,
        hint: hint(d),
    })?;
    // Sub-unit prefixes divide by an exact power of ten ("10 us" is exactly 1e-5, not 9.999...e-6).
    let v = if factor < 1.0 {
        value / (1.0 / factor).round() + offset
    } else {
        value * factor + offset
    };
    if !v.is_finite() {
        return Err(UnitError::NotFinite {
            text: text.to_string(),
        });
    }
    Ok(v)
}

/// Engineering prefixes, largest first, as the formatters use them (`u` for micro).
pub const SI_PREFIXES: [(f64, &str); 9] = [
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "u"),
    (1e-9, "n"),
    (1e-12, "p"),
    (1e-15, "f"),
];

/// Format an SI value with an engineering prefix, 4 significant digits (trailing zeros trimmed) and
/// the dimension's symbol: `5.319 pA`, `3 pF`, `20 ms`. Non-finite values print as `NaN`/`inf`.
pub fn format_quantity(v: f64, d: Dimension) -> String {
    let sym = d.symbol();
    if !v.is_finite() {
        return format!("{v} {sym}").trim_end().to_string();
    }
    let (f, p) = if v == 0.0 || sym.is_empty() || d == Dimension::Temperature {
        (1.0, "")
    } else {
        SI_PREFIXES
            .into_iter()
            .find(|(f, _)| v.abs() >= f * 0.999_95)
            .unwrap_or((1e-15, "f"))
    };
    let x = v / f;
    let digits = if x == 0.0 {
        0
    } else {
        (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize
    };
    let t = format!("{x:.digits$}");
    let t = if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    };
    format!("{t} {p}{sym}").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    fn parses_common_units() {
        assert!(close(
            parse_quantity("20 ms", Dimension::Time).unwrap(),
            0.02
        ));
        assert!(close(
            parse_quantity("5.3pA", Dimension::Current).unwrap(),
            5.3e-12
        ));
        assert!(close(
            parse_quantity("3 pF", Dimension::Capacitance).unwrap(),
            3e-12
        ));
        assert!(close(
            parse_quantity("1e-5", Dimension::Time).unwrap(),
            1e-5
        ));
        assert!(close(
            parse_quantity("2.5e-3 s", Dimension::Time).unwrap(),
            2.5e-3
        ));
        assert!(close(
            parse_quantity("10 us", Dimension::Time).unwrap(),
            1e-5
        ));
        assert!(close(
            parse_quantity("10 µs", Dimension::Time).unwrap(),
            1e-5
        ));
        assert!(close(
            parse_quantity("25 degC", Dimension::Temperature).unwrap(),
            298.15
        ));
        assert!(close(
            parse_quantity("0.7 V", Dimension::Voltage).unwrap(),
            0.7
        ));
        assert!(close(
            parse_quantity("20 Hz", Dimension::Frequency).unwrap(),
            20.0
        ));
        assert!(close(
            parse_quantity("-1.5 nA", Dimension::Current).unwrap(),
            -1.5e-9
        ));
        assert!(close(
            parse_quantity("10 %", Dimension::Dimensionless).unwrap(),
            0.1
        ));
        assert!(close(
            parse_quantity("1 um", Dimension::Length).unwrap(),
            1e-6
        ));
    }

    #[test]
    fn rejects_wrong_units_and_garbage() {
        assert!(matches!(
            parse_quantity("20 ms", Dimension::Current),
            Err(UnitError::WrongUnit { .. })
        ));
        assert!(matches!(
            parse_quantity("3 pA", Dimension::Capacitance),
            Err(UnitError::WrongUnit { .. })
        ));
        assert!(matches!(
            parse_quantity("fast", Dimension::Time),
            Err(UnitError::Malformed { .. })
        ));
        assert!(matches!(
            parse_quantity("1e999", Dimension::Time),
            Err(UnitError::NotFinite { .. })
        ));
        assert!(parse_quantity("5 xA", Dimension::Current).is_err());
    }

    #[test]
    fn thermal_voltage_at_room_temperature() {
        let ut = thermal_voltage(298.15);
        assert!((ut - 0.025_693).abs() < 1e-5, "{ut}");
    }

    #[test]
    fn formats_with_prefix() {
        assert_eq!(format_quantity(5.3e-12, Dimension::Current), "5.3 pA");
        assert_eq!(format_quantity(0.02, Dimension::Time), "20 ms");
        assert_eq!(
            format_quantity(5.319_148e-12, Dimension::Current),
            "5.319 pA"
        );
        assert_eq!(format_quantity(0.0, Dimension::Capacitance), "0 F");
        assert_eq!(format_quantity(298.15, Dimension::Temperature), "298.1 K");
    }
}
