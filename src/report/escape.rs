//! Escaping untrusted text for each output medium, in one place.
//!
//! PR titles, commit subjects and messages, author names, job names, account ids and ticket
//! keys come from people the audit does not trust, and reasons and labels embed them. Every
//! renderer that writes such text passes it through exactly one function here, chosen by the
//! medium (HTML, SARIF, JUnit and JSON escape through their own serialisers):
//!
//! - [`terminal`]: a one-line field for a terminal or a CI log. Control characters (C0, DEL,
//!   C1), line and paragraph separators and bidirectional overrides are shown as visible
//!   escapes (`\n`, `\u{1b}`, `\u{202e}`), so an auditor sees them and they cannot retitle,
//!   clear or recolour the terminal, reorder the text, or start a new line (a log line
//!   starting `::` is a GitHub Actions workflow command).
//! - [`terminal_block`]: the same for text that may span lines (a message): newlines and tabs
//!   are kept, everything else is escaped.
//! - [`markdown`]: inline Markdown text (GitHub step summaries, PR comments): HTML special
//!   characters become entities and Markdown punctuation is backslash-escaped, so data can
//!   open no code span, link, image, emphasis, table cell or HTML element; on one line.
//! - [`workflow_data`] / [`workflow_property`]: the message and the properties of a GitHub
//!   Actions workflow command (`::error title=…::message`).
//! - [`github_markdown`]: [`markdown`] for a GitHub issue or comment, where `@name` would
//!   notify a person and `#12` link another issue: a zero-width space follows each `@` and `#`.
//! - [`slack`]: Slack `mrkdwn`: `&`, `<` and `>` as Slack's entities (so data can open no link,
//!   mention or `<!channel>`), hostile characters visible.
//! - [`jira_wiki`]: Jira wiki markup (REST API v2): every markup character backslash-escaped
//!   (emphasis, links, macros, tables, mentions), hostile characters visible.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must never reach an output verbatim: it controls the terminal, ends a line, or
/// reorders how the text around it is displayed.
fn is_hostile(c: char) -> bool {
    c.is_control() // C0, DEL and C1 (U+0085 NEL among them)
        || matches!(c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{061c}' | '\u{200e}' | '\u{200f}' // bidi marks
            | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
            | '\u{2066}'..='\u{2069}' // bidi isolates
        )
}

/// The visible form of a hostile character: `\n`, `\r`, `\t`, or `\u{…}`.
fn visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escape_where(text: &str, hostile: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hostile(c) {
            visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A one-line field for a terminal or log: every hostile character made visible, and no
/// workflow command (see [`disarm_commands`]).
pub fn terminal(text: &str) -> Cow<'_, str> {
    disarm_commands(escape_where(text, is_hostile))
}

/// Text that may span lines (newlines and tabs kept), every other hostile character visible,
/// and no workflow command on any of its lines.
pub fn terminal_block(text: &str) -> Cow<'_, str> {
    disarm_commands(escape_where(text, |c| {
        is_hostile(c) && c != '\n' && c != '\t'
    }))
}

/// A CI log is a terminal whose runner reads commands from it: actions/runner treats a line
/// as a workflow command when it starts with `::` after leading white space
/// (`ActionCommand.TryParseV2`) or holds `##[` anywhere (`TryParse`). Data can land at a line
/// start (a renderer may print a job name first), so a leading `::` of any line of the data
/// and every `##[` show their first character escaped (`\u{3a}:`, `\u{23}#[`), in the same
/// visible notation as control characters. Only untrusted text passes through here.
fn disarm_commands(text: Cow<'_, str>) -> Cow<'_, str> {
    let leading = |line: &str| line.trim_start().starts_with("::");
    if !text.contains("##[") && !text.split('\n').any(leading) {
        return text;
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let line = line.replace("##[", "\\u{23}#[");
            match line.find("::") {
                Some(at) if leading(&line) => {
                    format!("{}\\u{{3a}}{}", &line[..at], &line[at + 1..])
                }
                _ => line,
            }
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

/// Inline Markdown text: HTML special characters as entities, Markdown punctuation escaped with
/// a backslash (CommonMark: any ASCII punctuation may be), hostile characters visible (so
/// newlines cannot end a table row or a list item). Safe in a table cell (`|` is escaped).
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Code spans, emphasis, links and images, tables, strikethrough, and `:` so that
            // `https://…` in data is no autolink. (`#` and `-` matter only at a line start,
            // where no renderer puts data.)
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c if is_hostile(c) => visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Inline Markdown for a GitHub issue or comment: [`markdown`], and a zero-width space (as an
/// entity) after each `@` and `#`, so that data can neither notify a person or team
/// (`@name`, `@org/team`) nor reference an issue (`#12`, `GH-12` needs the `#` form too).
pub fn github_markdown(text: &str) -> String {
    let mut out = String::new();
    for c in markdown(text).chars() {
        out.push(c);
        if c == '@' || c == '#' {
            out.push_str("&#8203;");
        }
    }
    out
}

/// Slack `mrkdwn` text: Slack's three entities (`&amp;`, `&lt;`, `&gt;`), which is all Slack
/// asks to be escaped: without `<` data can open no link, user mention or `<!channel>`.
/// Hostile characters are made visible, so data stays on its line.
pub fn slack(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if is_hostile(c) => visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Jira wiki markup (REST API v2 descriptions and comments): a backslash before every
/// character that starts markup (`*bold*`, `_em_`, `-del-`, `+ins+`, `^sup^`, `~sub~`,
/// `??cite??`, `{macro}`, `[link]`, `[~mention]`, `|table|`, `!image!`, `#list`), hostile
/// characters visible so data stays on its line.
pub fn jira_wiki(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '-' | '+' | '^' | '~' | '?' | '{' | '}' | '[' | ']' | '|' | '!'
            | '#' => {
                out.push('\\');
                out.push(c);
            }
            // Its visible form (`\u{1b}`) has braces, which open a macro: escaped too.
            c if is_hostile(c) => {
                let mut shown = String::new();
                visible(&mut shown, c);
                out.push_str(&jira_wiki(&shown));
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside an HTML element or attribute: the five special characters as entities, hostile
/// characters visible.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_hostile(c) => visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// The message of a workflow command. The runner unescapes `%25`, `%0D` and `%0A` in it and
/// ends the command at a line break; other control characters are made visible first.
/// Rules: actions/toolkit `packages/core/src/command.ts` (`escapeData`) and actions/runner
/// `src/Runner.Common/ActionCommand.cs` (`_escapeDataMappings`, `UnescapeData`).
pub fn workflow_data(text: &str) -> String {
    let shown = escape_where(text, |c| is_hostile(c) && c != '\n' && c != '\r');
    shown
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command (`title=…`): as [`workflow_data`], and `:` and `,`
/// too, which would end the property list or the value (toolkit `escapeProperty`, runner
/// `_escapePropertyMappings`).
pub fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Strings that have broken renderers: every escaping test runs all of them.
#[cfg(test)]
pub const HOSTILE: &[&str] = &[
    "title\n::error::injected",
    "title\r\n::error file=x::injected",
    "\u{1b}]0;retitled\u{7}",
    "\u{1b}[2J\u{1b}[H cleared",
    "`code` <img src=x onerror=alert(1)> ``",
    "<details><summary>x</summary>",
    "a | b | c",
    "%0A::error::encoded",
    "abc\u{202e}cba\u{2066}x\u{2069}",
    "nul\u{0}byte",
    "nel\u{85}line",
    "ls\u{2028}ps\u{2029}",
    "[link](javascript:alert(1)) ![img](http://x/y.png)",
    "##[error]v1 command",
    "del\u{7f} c1\u{9b}31m",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_fields_show_every_control_and_stay_on_one_line() {
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(terminal("\u{1b}]0;t\u{7}"), "\\u{1b}]0;t\\u{7}");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(terminal("n\u{85}l\u{2028}"), "n\\u{85}l\\u{2028}");
        assert_eq!(terminal_block("a\nb\u{1b}[2J"), "a\nb\\u{1b}[2J");
        for s in HOSTILE {
            let t = terminal(s);
            assert!(!t.chars().any(is_hostile), "{t}");
            assert!(!t.contains('\n'), "{t}");
        }
    }

    #[test]
    fn no_line_of_data_is_a_workflow_command() {
        assert_eq!(terminal("::error::x"), "\\u{3a}:error::x");
        assert_eq!(terminal("  ::warning::x"), "  \\u{3a}:warning::x");
        assert_eq!(terminal("a ##[error]b"), "a \\u{23}#[error]b");
        assert_eq!(terminal("time 12::30 ok"), "time 12::30 ok");
        assert_eq!(
            terminal_block("subject\n\n::error::from the body\n\t::set-output x"),
            "subject\n\n\\u{3a}:error::from the body\n\t\\u{3a}:set-output x"
        );
        for s in HOSTILE {
            for line in terminal_block(s).lines() {
                assert!(!line.trim_start().starts_with("::"), "{line}");
                assert!(!line.contains("##["), "{line}");
            }
        }
    }

    #[test]
    fn markdown_opens_no_markup() {
        assert_eq!(markdown("`x` <img src=x>"), "\\`x\\` &lt;img src=x&gt;");
        assert_eq!(markdown("a | b\nc"), "a \\| b\\nc");
        assert_eq!(markdown("[l](u) #1"), "\\[l\\](u) #1");
        for s in HOSTILE {
            let m = markdown(s);
            for raw in ["<", ">", "\n", "\r", "\u{1b}"] {
                assert!(!m.contains(raw), "{raw:?} in {m}");
            }
            // Every backtick, pipe and bracket is escaped.
            let unescaped = m
                .char_indices()
                .filter(|(_, c)| matches!(c, '`' | '|' | '['))
                .any(|(i, _)| !m[..i].ends_with('\\'));
            assert!(!unescaped, "{m}");
        }
    }

    #[test]
    fn github_issue_text_mentions_and_references_nobody() {
        assert_eq!(
            github_markdown("@octocat fixed #12"),
            "@&#8203;octocat fixed #&#8203;12"
        );
        for s in HOSTILE.iter().chain(&["@org/team", "#1", "x@y"]) {
            let m = github_markdown(s);
            assert!(!m.contains('<') && !m.contains('\n'), "{m}");
            // Every `@` and `#` of the data is followed by the zero-width space.
            let data = s.matches(['@', '#']).count();
            let guarded = m.matches("@&#8203;").count() + m.matches("#&#8203;").count();
            assert_eq!(guarded, data, "{m}");
        }
    }

    #[test]
    fn slack_text_opens_no_link_mention_or_broadcast() {
        assert_eq!(
            slack("<!channel> & <@U1|x>"),
            "&lt;!channel&gt; &amp; &lt;@U1|x&gt;"
        );
        for s in HOSTILE.iter().chain(&["<!here>", "<https://evil|click>"]) {
            let m = slack(s);
            assert!(!m.contains('<') && !m.contains('>'), "{m}");
            assert!(!m.chars().any(is_hostile), "{m}");
        }
    }

    #[test]
    fn jira_text_opens_no_markup() {
        assert_eq!(
            jira_wiki("*b* [~admin] {code}"),
            "\\*b\\* \\[\\~admin\\] \\{code\\}"
        );
        for s in HOSTILE
            .iter()
            .chain(&["[x|http://evil]", "{noformat}", "!img.png!", "??c??"])
        {
            let m = jira_wiki(s);
            assert!(!m.chars().any(is_hostile), "{m}");
            let unescaped = m
                .char_indices()
                .filter(|(_, c)| matches!(c, '[' | '{' | '|' | '!' | '*'))
                .any(|(i, _)| !m[..i].ends_with('\\'));
            assert!(!unescaped, "{m}");
        }
    }

    #[test]
    fn workflow_commands_cannot_be_broken_by_user_text() {
        assert_eq!(workflow_data("a%b\nc\rd"), "a%25b%0Ac%0Dd");
        assert_eq!(workflow_property("x: y, z"), "x%3A y%2C z");
        assert_eq!(workflow_data("%0A"), "%250A");
        assert_eq!(workflow_data("\u{1b}[2J"), "\\u{1b}[2J");
        for s in HOSTILE {
            let d = workflow_data(s);
            assert!(!d.contains(['\n', '\r', '\u{1b}']), "{d}");
            let p = workflow_property(s);
            assert!(!p.contains([':', ',', '\n']), "{p}");
        }
    }
}
