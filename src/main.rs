fn main() {
    std::process::exit(mirrormaker_integrator::run_from_env());
}
