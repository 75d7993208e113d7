//! The one error type of the pure core (`mirror`), worded for a Juju operator.
//!
//! Messages are lower-case, name the option or relation, quote the offending value and
//! suggest a fix, e.g. `invalid config 'topics': regex '[a' is unclosed; missing ']'`.
//! They never contain a password: secret values are never quoted.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MirrorError {
    /// A charm option has a value that cannot be used; the operator fixes it with `juju config`.
    #[error("invalid config '{option}': {message}")]
    InvalidConfig { option: String, message: String },
    /// Relation data (or model identity) that cannot be used; names the relation and field.
    #[error("invalid {relation} relation data: {message}")]
    InvalidRelation { relation: String, message: String },
    /// A bug: a built-in template did not render to a flat JSON object of strings.
    #[error("internal error rendering '{template}': {message}")]
    Render { template: String, message: String },
}

impl MirrorError {
    pub(crate) fn config(option: &str, message: impl Into<String>) -> Self {
        MirrorError::InvalidConfig {
            option: option.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn relation(relation: &str, message: impl Into<String>) -> Self {
        MirrorError::InvalidRelation {
            relation: relation.to_string(),
            message: message.into(),
        }
    }

    /// The option or relation at fault, for status messages ("blocked: fix 'topics'").
    pub fn subject(&self) -> &str {
        match self {
            MirrorError::InvalidConfig { option, .. } => option,
            MirrorError::InvalidRelation { relation, .. } => relation,
            MirrorError::Render { template, .. } => template,
        }
    }
}
