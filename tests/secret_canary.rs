//! The secret canary itself (issue 14, item 6): the scan every in-process hook goes through
//! (tests/day2_support `run_at`) really finds a password wherever the charm could say it, so
//! the suites that pass through it prove something.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::LogLevel;

// Proves the canaries are every password of the world: both Kafka users' and Connect's.
#[test]
fn canaries_are_the_worlds_passwords() {
    let c = canaries(&world());
    assert!(c.contains(&"pw-kafka-secret".to_string()), "{c:?}");
    assert!(c.contains(&"pw-connect-secret".to_string()), "{c:?}");
}

// Proves a password in a log line of the world after a hook fails the scan.
#[test]
#[should_panic(expected = "secret canary")]
fn a_password_in_a_log_line_is_caught() {
    let mut s = world();
    let c = canaries(&s);
    s.logs.push((
        LogLevel::Debug,
        "PUT answered {\"sasl.password\": \"pw-kafka-secret\"}".into(),
    ));
    assert_no_canary(&c, "log", &everything_said(&s));
}

// Proves a password in the hook's error fails the scan (not only the generic "hook succeeds").
#[test]
#[should_panic(expected = "secret canary")]
fn a_password_in_a_hook_error_is_caught() {
    let c = canaries(&world());
    guarded(&c, "error", || {
        Err::<(), _>("Connect said pw-connect-secret")
    });
}

// Proves a password in a panic message fails the scan.
#[test]
#[should_panic(expected = "secret canary")]
fn a_password_in_a_panic_is_caught() {
    let c = canaries(&world());
    guarded(&c, "panic", || -> Result<(), String> {
        panic!("unexpected answer pw-kafka-secret")
    });
}
