//! CODEOWNERS, read the way GitHub reads it: gitignore-style patterns, the last matching line
//! wins, owners are `@user`, `@org/team` or an email. A line with a pattern and no owners
//! makes the path unowned.

use globset::{GlobBuilder, GlobMatcher};

pub struct CodeOwners {
    rules: Vec<Line>,
}

struct Line {
    pattern: String,
    matchers: Vec<GlobMatcher>,
    owners: Vec<Owner>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    User(String),
    /// Team slug without the organisation.
    Team {
        org: String,
        slug: String,
    },
    Email(String),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::User(login) => write!(f, "@{login}"),
            Owner::Team { org, slug } => write!(f, "@{org}/{slug}"),
            Owner::Email(email) => f.write_str(email),
        }
    }
}

/// The owners of one path and the line that assigned them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership<'a> {
    pub pattern: &'a str,
    pub owners: &'a [Owner],
}

impl CodeOwners {
    /// Parses the file; lines whose pattern cannot be read are skipped, as GitHub does
    /// (and reported by GitHub's own CODEOWNERS check).
    pub fn parse(text: &str) -> CodeOwners {
        let rules = text.lines().filter_map(parse_line).collect();
        CodeOwners { rules }
    }

    /// The last line matching `path`, if any.
    pub fn owners_of(&self, path: &str) -> Option<Ownership<'_>> {
        self.rules
            .iter()
            .rev()
            .find(|line| line.matchers.iter().any(|m| m.is_match(path)))
            .map(|line| Ownership {
                pattern: &line.pattern,
                owners: &line.owners,
            })
    }
}

fn parse_line(line: &str) -> Option<Line> {
    let line = line.split_once(" #").map_or(line, |(l, _)| l).trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut words = line.split_whitespace();
    let pattern = words.next()?.to_string();
    let owners = words.map(parse_owner).collect();
    let matchers = globs(&pattern)
        .into_iter()
        .filter_map(|g| GlobBuilder::new(&g).literal_separator(true).build().ok())
        .map(|g| g.compile_matcher())
        .collect::<Vec<_>>();
    (!matchers.is_empty()).then_some(Line {
        pattern,
        matchers,
        owners,
    })
}

fn parse_owner(word: &str) -> Owner {
    match word.strip_prefix('@') {
        Some(name) => match name.split_once('/') {
            Some((org, slug)) => Owner::Team {
                org: org.to_string(),
                slug: slug.to_string(),
            },
            None => Owner::User(name.to_string()),
        },
        None => Owner::Email(word.to_string()),
    }
}

/// gitignore semantics as globs: a leading or inner `/` anchors the pattern at the root,
/// otherwise it matches at any depth; a pattern also matches everything below a directory
/// of that name.
fn globs(pattern: &str) -> Vec<String> {
    let trimmed = pattern.trim_end_matches('/');
    let anchored = pattern.starts_with('/') || trimmed.contains('/');
    let body = trimmed.trim_start_matches('/');
    if body.is_empty() || body == "*" {
        return vec!["**".to_string()];
    }
    let base = if anchored {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    let below = format!("{base}/**");
    if pattern.ends_with('/') {
        vec![below]
    } else {
        vec![base, below]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# Every change needs a code owner
*                 @acme/payments-eng
/infra/           @acme/platform
docs/*.md         writer@acme.example
*.lock            @octocat # trailing comment
/generated/
";

    fn owners(path: &str) -> Vec<String> {
        let file = CodeOwners::parse(FILE);
        file.owners_of(path)
            .map(|o| o.owners.iter().map(|o| o.to_string()).collect())
            .unwrap_or_else(|| vec!["<none>".into()])
    }

    #[test]
    fn last_matching_line_wins() {
        assert_eq!(owners("src/main.rs"), ["@acme/payments-eng"]);
        assert_eq!(owners("infra/iam/main.tf"), ["@acme/platform"]);
        assert_eq!(owners("docs/guide.md"), ["writer@acme.example"]);
        assert_eq!(owners("docs/deep/guide.md"), ["@acme/payments-eng"]);
        assert_eq!(owners("a/b/Cargo.lock"), ["@octocat"]);
        assert!(owners("generated/x.rs").is_empty());
    }

    #[test]
    fn anchored_directory_does_not_match_deeper_namesakes() {
        assert_eq!(owners("src/infra/x.tf"), ["@acme/payments-eng"]);
    }
}
