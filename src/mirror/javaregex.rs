//! A conservative checker for MirrorMaker's Java regex lists (`topics`, `groups`, and their
//! `-exclude` forms).
//!
//! Pure. MirrorMaker splits the option on `\s*,\s*` and joins the entries with `|` into one
//! `java.util.regex.Pattern` used with `matches()` (kafka-connect.md §4.9); a bad pattern is
//! not caught by Connect's validation but leaves the connector FAILED. So the charm rejects
//! anything doubtful before it reaches Connect. Accepting a strict *subset* of Java's syntax
//! is safe; accepting a superset is not.
//!
//! The accepted subset, per entry:
//! * literals: any non-whitespace, non-control character other than the metacharacters
//!   `\ . ^ $ | ? * + ( ) [ ] { }`;
//! * `.`, and the anchors `^` / `$` (not repeatable);
//! * escapes: `\` before one of `\ . [ ] { } ( ) * + ? ^ $ | - /`, the classes
//!   `\d \D \w \W \s \S`, and `\t \n \r \f`; every other escape (`\p`, `\Q`, `\1`, `\b`, …)
//!   is rejected;
//! * groups `( … )` and `(?: … )`; every other `(?` construct (look-around, flags, named
//!   groups) is rejected;
//! * alternation `|`;
//! * character classes `[…]` / `[^…]` with literals, the escapes above and ranges `a-z` in
//!   order; no nested classes, no `&&` intersection, no empty class, `-` literal only first
//!   or last;
//! * quantifiers `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (n ≤ m ≤ 1000) after an atom, optionally
//!   lazy (`?`); possessive and stacked quantifiers are rejected.
//!
//! A comma can never appear inside a regex (the list is split on commas first), so
//! `a{1,3}` or `[a,b]` is reported with a fix instead of being split silently.

use super::MirrorError;

/// Check one list option; returns its trimmed entries.
///
/// `allow_empty`: whether an empty list (which matches nothing) is acceptable for `option`.
pub fn check_list(option: &str, raw: &str, allow_empty: bool) -> Result<Vec<String>, MirrorError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        if allow_empty {
            return Ok(Vec::new());
        }
        return Err(MirrorError::config(
            option,
            "is empty, so nothing would be replicated; use '.*' to match every name",
        ));
    }
    check_commas(trimmed).map_err(|m| MirrorError::config(option, m))?;
    let mut entries = Vec::new();
    for entry in trimmed.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err(MirrorError::config(
                option,
                format!("'{trimmed}' has an empty entry between commas; remove the extra comma"),
            ));
        }
        check_pattern(entry)
            .map_err(|m| MirrorError::config(option, format!("regex '{entry}' {m}")))?;
        entries.push(entry.to_string());
    }
    Ok(entries)
}

/// Reject a comma inside `{…}` or `[…]`: MirrorMaker would split the regex there.
fn check_commas(raw: &str) -> Result<(), String> {
    let mut chars = raw.chars();
    let mut in_class = false;
    let mut in_brace = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !in_brace => in_class = true,
            ']' => in_class = false,
            '{' if !in_class => in_brace = true,
            '}' => in_brace = false,
            ',' if in_brace => {
                return Err(format!(
                    "'{raw}' has a comma inside '{{…}}', but the list is split on commas; \
                     write the counts as alternatives (e.g. 'a|aa|aaa' for 'a{{1,3}}')"
                ))
            }
            ',' if in_class => {
                return Err(format!(
                    "'{raw}' has a comma inside '[…]', but the list is split on commas; \
                     move the alternatives into separate comma-separated entries"
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Check a single entry against the accepted subset; the error text follows `regex '<entry>' `.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
    };
    p.alternation(0)?;
    match p.peek() {
        None => Ok(()),
        Some(')') => Err("has an unmatched ')'; escape it as '\\)'".into()),
        Some(c) => Err(format!("has an unexpected '{c}'")),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

const MAX_REPEAT: u32 = 1000;

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += 1;
        c
    }

    fn alternation(&mut self, depth: usize) -> Result<(), String> {
        if depth > 32 {
            return Err("nests groups too deeply".into());
        }
        loop {
            self.sequence(depth)?;
            if self.peek() == Some('|') {
                self.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    fn sequence(&mut self, depth: usize) -> Result<(), String> {
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                return Ok(());
            }
            let repeatable = self.atom(depth)?;
            if self.quantifier()? && !repeatable {
                return Err("repeats an anchor ('^' or '$'); remove the quantifier".into());
            }
        }
        Ok(())
    }

    /// Parses one atom; returns whether it may be followed by a quantifier.
    fn atom(&mut self, depth: usize) -> Result<bool, String> {
        let c = self.next().expect("atom called at end");
        match c {
            '(' => {
                if self.peek() == Some('?') {
                    self.pos += 1;
                    if self.next() != Some(':') {
                        return Err("uses a '(?' construct (look-around, flags or named group) that is not \
                             supported here; use a plain group '( … )' or '(?: … )'"
                            .into());
                    }
                }
                self.alternation(depth + 1)?;
                if self.next() != Some(')') {
                    return Err("has an unclosed group; missing ')'".into());
                }
                Ok(true)
            }
            '[' => {
                self.class()?;
                Ok(true)
            }
            '\\' => {
                self.escape()?;
                Ok(true)
            }
            '.' => Ok(true),
            '^' | '$' => Ok(false),
            '*' | '+' | '?' => Err(format!(
                "has a dangling '{c}' with nothing to repeat; escape it as '\\{c}'"
            )),
            '{' => Err("has a '{' with nothing to repeat; escape it as '\\{'".into()),
            '}' | ']' => Err(format!("has an unmatched '{c}'; escape it as '\\{c}'")),
            c if c.is_whitespace() || c.is_control() => Err(
                "contains whitespace or a control character; topic and group names cannot \
                 contain them, use '\\s' if you really mean it"
                    .into(),
            ),
            _ => Ok(true),
        }
    }

    /// Parses an optional quantifier; returns whether one was present.
    fn quantifier(&mut self) -> Result<bool, String> {
        match self.peek() {
            Some('*') | Some('+') | Some('?') => self.pos += 1,
            Some('{') => {
                self.pos += 1;
                let n = self.number().ok_or(
                    "has a '{' that is not a repetition like '{2}' or '{2,5}'; escape it as '\\{'",
                )?;
                let mut m = Some(n);
                if self.peek() == Some(',') {
                    self.pos += 1;
                    m = self.number();
                }
                if self.next() != Some('}') {
                    return Err("has an unclosed repetition; missing '}'".into());
                }
                if let Some(m) = m {
                    if m < n {
                        return Err(format!(
                            "has a repetition '{{{n},{m}}}' whose maximum is below its minimum"
                        ));
                    }
                }
            }
            _ => return Ok(false),
        }
        if self.peek() == Some('?') {
            self.pos += 1; // lazy
        }
        if matches!(self.peek(), Some('*') | Some('+') | Some('?') | Some('{')) {
            return Err(
                "stacks two quantifiers (possessive or repeated); keep one, or escape the second"
                    .into(),
            );
        }
        Ok(true)
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start || self.pos - start > 4 {
            return None;
        }
        let n: u32 = self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .parse()
            .ok()?;
        (n <= MAX_REPEAT).then_some(n)
    }

    /// After a backslash. Returns the literal char it stands for, or None for a class escape.
    fn escape(&mut self) -> Result<Option<char>, String> {
        match self.next() {
            None => Err("ends with a lone '\\'; escape it as '\\\\'".into()),
            Some(c) if "\\.[]{}()*+?^$|-/".contains(c) => Ok(Some(c)),
            Some('d' | 'D' | 'w' | 'W' | 's' | 'S') => Ok(None),
            Some('t') => Ok(Some('\t')),
            Some('n') => Ok(Some('\n')),
            Some('r') => Ok(Some('\r')),
            Some('f') => Ok(Some('\x0c')),
            Some(c) => Err(format!(
                "uses the escape '\\{c}', which is not supported here (Java may read it \
                 differently); use a character class like '[a-z]' instead"
            )),
        }
    }

    /// After `[`.
    fn class(&mut self) -> Result<(), String> {
        if self.peek() == Some('^') {
            self.pos += 1;
        }
        if self.peek() == Some(']') {
            return Err("has an empty character class '[]'; escape ']' as '\\]'".into());
        }
        let mut first = true;
        loop {
            let c = match self.next() {
                None => return Err("is unclosed; missing ']'".into()),
                Some(c) => c,
            };
            let lit = match c {
                ']' => return Ok(()),
                '[' => return Err("nests a character class; escape '[' as '\\['".into()),
                '&' if self.peek() == Some('&') => {
                    return Err("uses class intersection '&&', which is not supported here".into())
                }
                '\\' => self.escape()?,
                '-' if first => Some('-'),
                '-' if self.peek() == Some(']') => Some('-'),
                '-' => {
                    return Err(
                        "has a '-' that is not part of a range; put it first or last, or escape it"
                            .into(),
                    )
                }
                c if c.is_whitespace() || c.is_control() => {
                    return Err("contains whitespace or a control character; use '\\s'".into())
                }
                c => Some(c),
            };
            first = false;
            // Range?
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
                let start = lit.ok_or("has a range that starts with a class escape like '\\d'")?;
                self.pos += 1;
                let end = match self.next() {
                    Some('\\') => self
                        .escape()?
                        .ok_or("has a range that ends with a class escape like '\\d'")?,
                    Some('[') => return Err("nests a character class; escape '[' as '\\['".into()),
                    Some(c) => c,
                    None => return Err("is unclosed; missing ']'".into()),
                };
                if end < start {
                    return Err(format!(
                        "has an illegal range '{start}-{end}'; write the lower bound first"
                    ));
                }
            }
        }
    }
}

/// A list option as MirrorMaker applies it (`DefaultTopicFilter`/`DefaultGroupFilter`): the
/// entries joined with `|` into one pattern that must match the *whole* name (Java's
/// `matches()`), so `^(?:a|b)$` here. No entries match nothing (MirrorMaker's blank list).
/// Meant for entries [`check_list`] accepted: on that subset the `regex` crate and
/// `java.util.regex` agree for Kafka names (ASCII letters, digits, `.`, `_`, `-`).
#[derive(Debug, Clone)]
pub struct Matcher(Option<regex::Regex>);

impl Matcher {
    /// Whether `name` is matched as a whole.
    pub fn matches(&self, name: &str) -> bool {
        self.0.as_ref().is_some_and(|r| r.is_match(name))
    }
}

/// A list's entries could not be compiled (e.g. a repetition too large for the regex engine).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("regex '{pattern}' cannot be used here: {why}")]
pub struct MatcherError {
    pub pattern: String,
    pub why: String,
}

/// The [`Matcher`] of a list's entries (as [`check_list`] returns them).
pub fn matcher<S: AsRef<str>>(entries: &[S]) -> Result<Matcher, MatcherError> {
    if entries.is_empty() {
        return Ok(Matcher(None));
    }
    let joined = entries
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join("|");
    regex::Regex::new(&format!("^(?:{joined})$"))
        .map(|r| Matcher(Some(r)))
        .map_err(|e| MatcherError {
            pattern: joined,
            why: e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    // proves the documented subset (and the spec's default filters) is accepted
    #[test]
    fn accepts_the_subset() {
        for p in [
            ".*",
            "orders\\..*",
            ".*[\\-\\.]internal",
            ".*\\.replica",
            "__.*",
            "console-consumer-.*",
            "(a|b)+x?",
            "(?:ab){2}",
            "a{2,}",
            "[^a-z0-9_-]",
            "[-a]",
            "^foo$",
            "a*?b",
            "\\d+\\w*",
            "caf\u{e9}.*",
            "a|",
        ] {
            assert_eq!(check_pattern(p), Ok(()), "{p}");
        }
        assert_eq!(
            check_list(
                "topics-exclude",
                ".*[\\-\\.]internal, .*\\.replica, __.*",
                false
            )
            .unwrap(),
            vec![".*[\\-\\.]internal", ".*\\.replica", "__.*"]
        );
    }

    // proves the error text follows the style guide exactly for an unclosed class
    #[test]
    fn unclosed_class_message() {
        let e = check_list("topics", "[a", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid config 'topics': regex '[a' is unclosed; missing ']'"
        );
    }

    // proves what Java rejects (or what we cannot be sure of) is rejected
    #[test]
    fn rejects_doubtful_patterns() {
        for p in [
            "(a", "a)", "*a", "a**", "a++", "a{2", "a{3,1}", "{1}", "[]", "[a-", "[z-a]", "[[a]]",
            "[a&&b]", "\\p{L}", "\\1", "\\Qx\\E", "(?=a)", "(?i)a", "a b", "\\", "a{,3}", "^*",
            "x{99999}",
        ] {
            assert!(check_pattern(p).is_err(), "{p} should be rejected");
        }
    }

    // proves a comma inside braces or brackets is reported instead of being split
    #[test]
    fn comma_inside_braces_or_brackets() {
        let e = check_list("groups", "a{1,3}", false)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid config 'groups': 'a{1,3}' has a comma inside '{…}'"),
            "{e}"
        );
        let e = check_list("groups", "[a,b]", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("comma inside '[…]'"), "{e}");
        // an escaped brace does not open a repetition
        assert!(check_list("groups", "a\\{, b", false).is_ok());
    }

    proptest::proptest! {
        // proves the checker never panics, and what it accepts is comma-free, trimmed and non-empty
        #[test]
        fn never_panics(raw in "[a-z.*+?|()\\[\\]{}^$,0-9\\\\ -]{0,24}") {
            if let Ok(entries) = check_list("topics", &raw, true) {
                for e in entries {
                    proptest::prop_assert!(!e.is_empty() && !e.contains(',') && e.trim() == e);
                }
            }
        }
    }

    // proves empty lists and empty entries are handled per option
    #[test]
    fn empty_lists_and_entries() {
        assert!(check_list("topics", "  ", false).is_err());
        assert_eq!(
            check_list("topics-exclude", "", true).unwrap(),
            Vec::<String>::new()
        );
        let e = check_list("topics", "a,,b", false).unwrap_err().to_string();
        assert!(e.contains("empty entry"), "{e}");
    }

    // proves the matcher has Java's `matches()` semantics on MirrorMaker's joined list: the
    // whole name must match (no substring hits), any entry may match, the default excludes
    // catch internal topics, escapes the checker accepts compile, and no entries match nothing
    #[test]
    fn matcher_matches_whole_names() {
        let m = matcher(&["orders\\..*", "pay[0-9]+"]).unwrap();
        for (name, want) in [
            ("orders.eu", true),
            ("orders", false),
            ("xorders.eu", false),
            ("pay12", true),
            ("pay12x", false),
            ("a.pay1", false),
        ] {
            assert_eq!(m.matches(name), want, "{name}");
        }
        let ex = check_list(
            "topics-exclude",
            crate::mirror::config::defaults::TOPICS_EXCLUDE,
            true,
        )
        .unwrap();
        let ex = matcher(&ex).unwrap();
        for (name, want) in [
            ("mm2-offset-syncs.kafka-b.internal", true),
            ("connect-offsets-internal", true),
            ("orders.replica", true),
            ("__consumer_offsets", true),
            ("orders", false),
        ] {
            assert_eq!(ex.matches(name), want, "{name}");
        }
        let escapes = matcher(&["a\\/b\\-c", "\\d\\w\\s?"]).unwrap();
        assert!(escapes.matches("a/b-c") && escapes.matches("1x"));
        let none: [&str; 0] = [];
        assert!(!matcher(&none).unwrap().matches(""));
        assert!(!matcher(&none).unwrap().matches("orders"));
    }
}
