//! The Juju side of the charm: the event being dispatched, the hook tools behind a trait, and
//! logging into `juju-log`. Written from docs/spec/juju.md and docs/spec/relations.md.

pub mod cache;
pub mod event;
pub mod log;
/// The in-memory Juju of the in-process tests (`testing` feature; never in the shipped binary).
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod process;
pub mod tools;

pub use event::{ActionName, Event, EventKind, RelationHook, RelationRef};
pub use process::ProcessTools;
pub use tools::{
    Databag, HookTools, LogLevel, SecretContent, SecretRead, Status, StatusKind, ToolError,
};
