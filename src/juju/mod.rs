//! Juju side.
