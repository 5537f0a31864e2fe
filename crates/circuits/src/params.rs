//! Named parameters: every model parameter is reachable by its documented snake_case name, with its
//! physical dimension, so that the command line (`--set i_tau_mem=5pA`), network files and chip
//! profiles address parameters the same way.
//!
//! [`param_table!`](crate::param_table) declares a parameter struct once: fields, units, defaults and docs, plus
//! the name table and `get`/`set` by name.

use crate::units::Dimension;

/// Description of one named parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamInfo {
    /// snake_case name (`i_tau_mem`).
    pub name: &'static str,
    /// Physical dimension of the value.
    pub dim: Dimension,
    /// One-line description with the default.
    pub doc: &'static str,
}

/// Why a named parameter could not be set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// No parameter of that name.
    #[error("unknown parameter `{name}`; valid names: {valid}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// Comma-separated list of valid names.
        valid: String,
    },
    /// The value breaks a constraint (positive, finite, range).
    #[error("parameter `{name}` = {value:e}: {constraint}")]
    Invalid {
        /// Parameter name.
        name: String,
        /// Offending value.
        value: f64,
        /// The constraint it breaks.
        constraint: String,
    },
}

/// Access to a parameter struct by name.
pub trait NamedParams {
    /// Every parameter this struct accepts, including aliases.
    fn param_infos() -> Vec<ParamInfo>;
    /// The value of parameter `name`.
    fn get(&self, name: &str) -> Result<f64, ParamError>;
    /// Set parameter `name` to `value` (SI). Does not validate ranges; see `validate`.
    fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError>;
    /// The dimension of parameter `name`.
    fn dimension(name: &str) -> Option<Dimension> {
        Self::param_infos()
            .into_iter()
            .find(|p| p.name == name)
            .map(|p| p.dim)
    }
    /// Comma-separated list of names, for error messages.
    fn valid_names() -> String {
        Self::param_infos()
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Check that `value` is finite and strictly positive.
pub fn require_positive(name: &str, value: f64) -> Result<(), ParamError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ParamError::Invalid {
            name: name.to_string(),
            value,
            constraint: "must be finite and > 0".into(),
        })
    }
}

/// Declare a parameter struct with documented SI fields, defaults, a name table and by-name access.
///
/// ```ignore
/// param_table! {
///     /// Doc of the struct.
///     pub struct MyParams {
///         /// Leak current, A.
///         i_tau: Current = 5e-12,
///     }
/// }
/// ```
#[macro_export]
macro_rules! param_table {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident {
            $( #[doc = $doc:literal] $field:ident : $dim:ident = $default:expr, )*
        }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $( #[doc = $doc] pub $field: f64, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl $name {
            /// The directly stored parameters (no aliases), in declaration order.
            pub const FIELDS: &'static [$crate::params::ParamInfo] = &[
                $( $crate::params::ParamInfo {
                    name: stringify!($field),
                    dim: $crate::units::Dimension::$dim,
                    doc: $doc,
                }, )*
            ];

            /// Value of a stored field by name.
            pub fn field(&self, name: &str) -> Option<f64> {
                match name {
                    $( stringify!($field) => Some(self.$field), )*
                    _ => None,
                }
            }

            /// Mutable access to a stored field by name.
            pub fn field_mut(&mut self, name: &str) -> Option<&mut f64> {
                match name {
                    $( stringify!($field) => Some(&mut self.$field), )*
                    _ => None,
                }
            }

            /// Check every field is finite and strictly positive.
            pub fn validate_positive(&self) -> Result<(), $crate::params::ParamError> {
                $( $crate::params::require_positive(stringify!($field), self.$field)?; )*
                Ok(())
            }
        }
    };
}
