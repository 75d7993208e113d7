//! mirrormaker-integrator: a Juju charm that runs MirrorMaker 2 on Kafka Connect.
pub mod charm;
pub mod connect;
pub mod cos;
pub mod dr;
pub mod juju;
pub mod kafka;
pub mod mirror;
pub mod pem;
pub mod plan;
pub mod relations;
pub mod secret;

/// The whole program: parse the event from the environment, run it, map the outcome to an
/// exit code. Non-zero only when Juju should retry the hook (a hook tool failed) or the
/// environment is not a Juju hook at all.
pub fn run_from_env() -> i32 {
    use juju::{HookTools, ProcessTools};
    let tools = ProcessTools;
    let debug = std::env::var_os("JUJU_DEBUG").is_some();
    juju::log::init(
        Box::new(|level, msg| ProcessTools.juju_log(level, msg).is_ok()),
        debug,
    );
    let event = match juju::Event::from_vars(|k| std::env::var(k).ok()) {
        Ok(event) => event,
        Err(e) => {
            eprintln!("mirrormaker-integrator: {e}");
            return 2;
        }
    };
    let charm_dir = std::env::var_os("JUJU_CHARM_DIR").map(std::path::PathBuf::from);
    let fresh_leader = matches!(event.kind, juju::EventKind::LeaderElected);
    let cached = juju::cache::CachedTools::new(
        &tools,
        charm::peer::PEER_ENDPOINT,
        charm_dir.as_deref(),
        fresh_leader,
    );
    let result = charm::run(&event, &cached, &charm::connect_adapter::factory);
    cached.finish(result.is_ok());
    match result {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{} failed: {e:#}", event.name());
            1
        }
    }
}
