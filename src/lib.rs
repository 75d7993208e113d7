//! mirrormaker-integrator: a Juju charm that runs MirrorMaker 2 on Kafka Connect.
pub mod juju;
pub mod secret;

pub fn run_from_env() -> i32 {
    0
}
