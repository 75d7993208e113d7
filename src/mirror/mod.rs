//! MirrorMaker 2 configuration model: typed charm config, relation inputs, and the exact
//! connector configs that should exist in Kafka Connect.
//!
//! Pure: no I/O. The charm driver reads `config-get --format=json` and the relation data,
//! builds [`Inputs`], and calls [`desired`]; everything here is deterministic so it can be
//! tested on plain values.
//!
//! * [`config`] — charm options → [`MirrorConfig`], with operator-facing errors.
//! * [`javaregex`] — conservative checker for the Java regex lists (`topics`, `groups`, …).
//! * [`extra`] — the guarded `extra-*-config` escape hatch.
//! * [`inputs`] — the pure input types the relation code fills ([`Cluster`], [`Inputs`]).
//! * [`identity`] — connector names made and taken apart, kinds, ownership.
//! * [`render`] — tera templates → [`DesiredConnector`]s and their ordering.
//! * [`sensitive`] — which config keys hold secrets, and text redaction.
//! * [`values`] — checks of values from outside (bootstrap lists, `${` placeholders).

pub mod config;
pub mod error;
pub mod extra;
pub mod identity;
pub mod inputs;
pub mod javaregex;
pub mod render;
pub mod sensitive;
pub mod values;

pub use config::{
    same_value, AutoRestart, Heartbeats, Intervals, MirrorConfig, ReplicationPolicy, StartPosition,
};
pub use error::MirrorError;
pub use identity::{connector_name, model_uuid_hex, ConnectorId, ConnectorKind, Owner};
pub use inputs::{Cluster, Inputs};
pub use render::{desired, DesiredConnector};
