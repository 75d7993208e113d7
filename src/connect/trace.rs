//! Java stack traces from Kafka Connect cut to what an operator reads. Pure; the one home of
//! trace shortening (the client shortens what it lists, statuses and the `status` action pick
//! the line they show).

/// The first line of a trace (the exception Connect reports), or `no trace`.
pub fn first_line(trace: Option<&str>) -> &str {
    trace
        .and_then(|t| t.lines().next())
        .unwrap_or("no trace")
        .trim()
}

/// Why it failed, for a status line: the root cause (the last `Caused by:` of the trace) when
/// there is one — Connect's own first line is often a wrapper such as "Unrecoverable exception
/// from producer send callback" — else the first line.
pub fn root_cause(trace: Option<&str>) -> &str {
    trace
        .and_then(|t| {
            t.lines()
                .rev()
                .find_map(|l| l.trim_start().strip_prefix("Caused by:"))
        })
        .map(str::trim)
        .unwrap_or_else(|| first_line(trace))
}

/// What the charm keeps of a trace: its first line and, when there is one, its last
/// `Caused by:` line (the root cause, e.g. an authorization error under "Unrecoverable
/// exception from producer send callback").
pub fn short(trace: &str) -> String {
    let first = trace.lines().next().unwrap_or_default();
    match trace
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("Caused by:"))
    {
        Some(root) => format!("{first}\n{}", root.trim()),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The root cause of a wrapped exception is what the status shows; without a `Caused by:`
    // line, the first line is.
    #[test]
    fn root_cause_prefers_the_last_caused_by() {
        let trace = "org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback\n\tat x\nCaused by: org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: [kafka-a.orders]";
        assert_eq!(
            root_cause(Some(trace)),
            "org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized to access topics: [kafka-a.orders]"
        );
        assert_eq!(
            root_cause(Some("java.lang.Boom: bad\n\tat y")),
            "java.lang.Boom: bad"
        );
        assert_eq!(root_cause(None), "no trace");
    }

    // proves a trace is kept as its first line plus its root cause, and nothing else
    #[test]
    fn short_keeps_first_line_and_root_cause() {
        let trace = "X: wrapper\n\tat a\nCaused by: Y: middle\n\tat b\nCaused by: Z: root\n\tat c";
        assert_eq!(short(trace), "X: wrapper\nCaused by: Z: root");
        assert_eq!(short("X: alone\n\tat a"), "X: alone");
        assert_eq!(root_cause(Some(&short(trace))), "Z: root");
    }
}
