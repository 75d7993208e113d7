//! `juju-sim`: a Juju 3.6 model emulator. One multi-call binary: invoked under a hook tool's
//! name (`relation-get`, `secret-get`, … via symlinks in the model's tools dir) it is that tool;
//! otherwise it is the juju-shaped CLI (`deploy`, `integrate`, `run`, `status`, …).

mod charm;
mod cli;
mod engine;
mod error;
mod logs;
mod providers;
mod runner;
mod secrets;
mod state;
mod tools;

fn main() {
    let mut argv: Vec<String> = std::env::args().collect();
    let arg0 = argv.remove(0);
    let name = std::path::Path::new(&arg0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let code = if tools::TOOL_NAMES.contains(&name.as_str()) {
        tools::main(&name, &argv)
    } else {
        cli::main(argv)
    };
    std::process::exit(code);
}
