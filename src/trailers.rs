//! Commit-message trailers by git's rules, and the co-authors they credit.
//!
//! One parser for every reader (the git walk, pull-request commits from GitHub, evaluation and
//! `expr`), so that who counts as a contributor never depends on which layer asked. It is a
//! port of git's trailer detection as libgit2 ships it (`trailer.c`), in plain Rust because
//! evaluation must stay free of I/O libraries and re-perform from a packet alone:
//!
//! - only the message's final paragraph can be a trailer block, and only if every line of it is
//!   a trailer (or continuation), or it holds a git-generated trailer (`Signed-off-by: `,
//!   `(cherry picked from commit `) and at least a quarter of its lines are trailers; the title
//!   paragraph never is. A `Co-authored-by:` line anywhere else is prose, not a trailer;
//! - a `---` line starts a patch, and trailing comment lines, blank lines and an old
//!   `Conflicts:` block are not part of the message's end;
//! - a line starting with whitespace continues the previous trailer's value (git unfolds it
//!   with single spaces: a tab continues too, as in git; libgit2 only takes a space);
//! - keys are matched ignoring ASCII case by the callers (`co-authored-by` is the same key).

/// Lines starting with these are trailers git itself writes; they let a block with some prose
/// still count (the 25% rule).
const GIT_GENERATED: [&[u8]; 2] = [b"Signed-off-by: ", b"(cherry picked from commit "];

/// The trailers of a commit message as `(key as written, value)`, in message order. Values are
/// unfolded (a continuation line joins with one space) and trimmed.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    // git stops reading a commit message at a NUL byte.
    let message = message.split('\0').next().unwrap_or_default();
    let bytes = message.as_bytes();
    let patch = patch_start(bytes);
    let end = patch - ignored_tail(&bytes[..patch]);
    let start = block_start(bytes, end);
    // Both bounds are line starts (or the ends), so they fall on character boundaries.
    let block = message.get(start..end).unwrap_or_default();
    parse_block(block.as_bytes())
        .into_iter()
        .map(|(key, value)| (lossy(key), unfold(&lossy(value))))
        .collect()
}

/// Someone a `Co-authored-by:` trailer credits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CoAuthor {
    /// The name as written (may be empty, e.g. `Co-authored-by: <a@x>`).
    pub name: String,
    /// The email, when the trailer gives one; `None` names the person by name only.
    pub email: Option<String>,
}

/// The people a message's trailer block credits with `Co-authored-by:` (key in any case), in
/// message order. A trailer without an email is kept, by name: it still names a contributor.
pub fn co_authors(message: &str) -> Vec<CoAuthor> {
    trailers(message)
        .into_iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case("co-authored-by"))
        .map(|(_, value)| co_author(&value))
        .collect()
}

/// `Name <email>`; an unterminated `<` or a bare address still gives the email when what is
/// there has the shape of one, since a typo must not hide who it names.
fn co_author(value: &str) -> CoAuthor {
    let (name, email) = match value.split_once('<') {
        Some((name, rest)) => (name, rest.split_once('>').map_or(rest, |(email, _)| email)),
        None => ("", value),
    };
    let email = email.trim();
    let is_address = email.contains('@') && !email.contains(char::is_whitespace);
    let name = if name.trim().is_empty() && !value.contains('<') {
        value
    } else {
        name
    };
    CoAuthor {
        name: name.trim().to_string(),
        email: is_address.then(|| email.to_string()),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A value over several lines as git shows it: each line break and the whitespace around it
/// become one space.
fn unfold(value: &str) -> String {
    value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// git's `isspace` (ASCII, with vertical tab and form feed).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The start of the line after the one starting at `at` (or the end of `buf`).
fn next_line(buf: &[u8], at: usize) -> usize {
    match buf[at..].iter().position(|&b| b == b'\n') {
        Some(i) => at + i + 1,
        None => buf.len(),
    }
}

fn is_blank_line(buf: &[u8], at: usize) -> bool {
    buf[at..]
        .iter()
        .find(|&&b| b == b'\n' || !is_space(b))
        .is_none_or(|&b| b == b'\n')
}

/// Where a `---` line (a patch after the message) starts, else the end.
fn patch_start(buf: &[u8]) -> usize {
    let mut at = 0;
    while at < buf.len() {
        if buf[at..].starts_with(b"---") && buf.get(at + 3).is_some_and(|&b| is_space(b)) {
            return at;
        }
        at = next_line(buf, at);
    }
    buf.len()
}

/// How many bytes at the end are trailing comments, blank lines or an old `Conflicts:` block
/// (git's `ignore_non_trailer`; a run starting at byte 0 does not count, as in git).
fn ignored_tail(buf: &[u8]) -> usize {
    let (mut run_start, mut in_conflicts, mut at) = (0, false, 0);
    while at < buf.len() {
        let next = next_line(buf, at);
        if buf[at] == b'#' || buf[at] == b'\n' {
            if run_start == 0 {
                run_start = at;
            }
        } else if buf[at..].starts_with(b"Conflicts:\n") {
            in_conflicts = true;
            if run_start == 0 {
                run_start = at;
            }
        } else if in_conflicts && buf[at] == b'\t' {
            // a path of the conflicts block
        } else if run_start != 0 {
            run_start = 0;
            in_conflicts = false;
        }
        at = next;
    }
    if run_start == 0 {
        0
    } else {
        buf.len() - run_start
    }
}

/// The end of the title paragraph: it can never hold trailers.
fn end_of_title(buf: &[u8], len: usize) -> usize {
    let mut at = 0;
    while at < len {
        if buf[at] != b'#' && is_blank_line(buf, at) {
            break;
        }
        at = next_line(buf, at);
    }
    at
}

/// The start of the line before `end` (git's `last_line`), or `None` at the start.
fn last_line(buf: &[u8], end: usize) -> Option<usize> {
    match end {
        0 => None,
        1 => Some(0),
        _ => Some(
            (1..=end - 2)
                .rev()
                .find(|&i| buf[i] == b'\n')
                .map_or(0, |i| i + 1),
        ),
    }
}

/// Whether the line is `<token><optional whitespace>:…` with a non-empty token.
fn has_separator(line: &[u8]) -> bool {
    let mut whitespace = false;
    for (i, &b) in line.iter().enumerate() {
        if b == b':' {
            return i >= 1;
        }
        if !whitespace && (b.is_ascii_alphanumeric() || b == b'-') {
            continue;
        }
        if i != 0 && (b == b' ' || b == b'\t') {
            whitespace = true;
            continue;
        }
        return false;
    }
    false
}

/// Counts of the paragraph being read backwards from the end (git's `find_trailer_start`).
#[derive(Default)]
struct Tally {
    only_blank: bool,
    git_generated: bool,
    trailers: usize,
    others: usize,
    continuations: usize,
}

/// Where the trailer block starts in `buf[..len]`, or `len` when there is none.
fn block_start(buf: &[u8], len: usize) -> usize {
    let title = end_of_title(buf, len);
    let mut tally = Tally {
        only_blank: true,
        ..Tally::default()
    };
    let mut end = len;
    while let Some(at) = last_line(buf, end).filter(|&at| at >= title) {
        end = at;
        let line = &buf[at..];
        if line[0] == b'#' {
            tally.others += std::mem::take(&mut tally.continuations);
            continue;
        }
        if is_blank_line(buf, at) {
            if tally.only_blank {
                continue;
            }
            tally.others += tally.continuations;
            let all_trailers = tally.trailers > 0 && tally.others == 0;
            let mostly = tally.git_generated && tally.trailers * 3 >= tally.others;
            return if all_trailers || mostly {
                next_line(buf, at)
            } else {
                len
            };
        }
        tally.only_blank = false;
        if GIT_GENERATED.iter().any(|p| line.starts_with(p)) {
            tally.trailers += 1;
            tally.continuations = 0;
            tally.git_generated = true;
        } else if has_separator(line) && !is_space(line[0]) {
            tally.trailers += 1;
            tally.continuations = 0;
        } else if is_space(line[0]) {
            tally.continuations += 1;
        } else {
            tally.others += 1 + std::mem::take(&mut tally.continuations);
        }
    }
    len
}

/// `Key: value` lines of a trailer block (git's parser): a line whose key has other characters
/// than letters, digits and `-` is skipped; a line starting with a space or tab continues the
/// value before it.
fn parse_block(block: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < block.len() {
        let line_end = value_end(block, at);
        if let Some((key, value_from)) = key_of(&block[at..line_end]) {
            out.push((key, &block[at + value_from..line_end]));
        }
        at = next_line(block, line_end.max(at));
    }
    out
}

/// The key of a trailer line and where its value starts, or `None` for a line that is not one.
fn key_of(line: &[u8]) -> Option<(&[u8], usize)> {
    let key_len = line
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-'))?;
    let mut at = key_len;
    while matches!(line.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    if line.get(at) != Some(&b':') {
        return None;
    }
    at += 1;
    while matches!(line.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    // `Key:` alone is a trailer with an empty value, as git reads it.
    Some((&line[..key_len], at.min(line.len())))
}

/// The end of the value starting on the line at `at`: continuation lines belong to it.
fn value_end(block: &[u8], at: usize) -> usize {
    let mut end = next_line(block, at);
    while end < block.len() && matches!(block[end], b' ' | b'\t') {
        end = next_line(block, end);
    }
    if end > at && block.get(end - 1) == Some(&b'\n') {
        end - 1
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(message: &str) -> Vec<String> {
        trailers(message).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn only_the_final_paragraph_is_a_trailer_block() {
        let message = "Fix rounding\n\nCo-authored-by: Body Person <body@x.com>\nwas pairing\n\n\
                       Ticket: PAY-1\nCo-authored-by: Tail Person <tail@x.com>\n";
        assert_eq!(
            co_authors(message),
            [CoAuthor {
                name: "Tail Person".into(),
                email: Some("tail@x.com".into())
            }]
        );
    }

    #[test]
    fn a_co_author_line_in_prose_is_not_a_trailer() {
        let message = "Subject\n\nCo-authored-by: A <a@x.com>\n\nJust prose at the end.\n";
        assert!(co_authors(message).is_empty());
        let mixed = "Subject\n\nWe paired on this.\nCo-authored-by: A <a@x.com>\n";
        assert!(co_authors(mixed).is_empty(), "a mostly-prose paragraph");
    }

    #[test]
    fn a_git_generated_trailer_lets_some_prose_in() {
        let message = "S\n\nsome note\nCo-authored-by: A <a@x.com>\nSigned-off-by: B <b@x.com>\n";
        assert_eq!(keys(message), ["Co-authored-by", "Signed-off-by"]);
    }

    #[test]
    fn the_title_is_never_a_trailer() {
        assert!(trailers("Fix: typo").is_empty());
        assert!(trailers("Co-authored-by: A <a@x.com>\n").is_empty());
        assert!(trailers("").is_empty());
    }

    #[test]
    fn continuation_lines_unfold_with_one_space() {
        let message = "S\n\nCo-authored-by: Ada\n  Lovelace <ada@x.com>\nTicket: PAY-2\n";
        assert_eq!(
            trailers(message),
            [
                (
                    "Co-authored-by".to_string(),
                    "Ada Lovelace <ada@x.com>".to_string()
                ),
                ("Ticket".to_string(), "PAY-2".to_string()),
            ]
        );
        let tab = "S\n\nCo-authored-by: Ada\n\tLovelace <ada@x.com>\n";
        assert_eq!(
            co_authors(tab)[0].name,
            "Ada Lovelace",
            "git takes a tab too"
        );
    }

    #[test]
    fn keys_are_matched_ignoring_case_and_values_trimmed() {
        let message = "S\n\nco-AUTHORED-by:   Grace Hopper   <grace@x.com>  \n";
        assert_eq!(
            co_authors(message),
            [CoAuthor {
                name: "Grace Hopper".into(),
                email: Some("grace@x.com".into())
            }]
        );
    }

    #[test]
    fn a_co_author_without_an_email_is_kept_by_name() {
        let message = "S\n\nCo-authored-by: Nadia Ali\nCo-authored-by: <only@x.com>\n\
                       Co-authored-by: Name <typo@x.com\nCo-authored-by: bare@x.com\n";
        let found: Vec<(String, Option<String>)> = co_authors(message)
            .into_iter()
            .map(|c| (c.name, c.email))
            .collect();
        let s = |v: &str| v.to_string();
        assert_eq!(
            found,
            [
                (s("Nadia Ali"), None),
                (s(""), Some(s("only@x.com"))),
                (s("Name"), Some(s("typo@x.com"))),
                (s("bare@x.com"), Some(s("bare@x.com"))),
            ]
        );
    }

    #[test]
    fn patches_comments_and_nul_end_the_message() {
        let patch = "S\n\nCo-authored-by: A <a@x.com>\n---\nCo-authored-by: B <b@x.com>\n";
        assert_eq!(co_authors(patch).len(), 1);
        let comments = "S\n\nCo-authored-by: A <a@x.com>\n# a comment\n\n";
        assert_eq!(co_authors(comments).len(), 1);
        let nul = "Subject\n\nKey: value\0hidden: x\n";
        assert_eq!(keys(nul), ["Key"]);
        for odd in ["\0", "\n\n\n", "S\n\n: no key\n", "S\n\nK:", "S\n\n \n"] {
            let _ = trailers(odd);
        }
        assert_eq!(trailers("S\n\nK:\n"), [("K".into(), String::new())]);
        assert_eq!(
            trailers("S\r\n\r\nKey: v\r\n"),
            [("Key".into(), "v".into())]
        );
    }
}
