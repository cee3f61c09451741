//! GitHub: pull requests and their approvals, from the live API (`api`) or from offline exports
//! (`export`). Both produce the same `facts::PullRequest`s. An organisation's members, teams
//! and collaborators, read live, become an access-list snapshot (`access`).

pub mod access;
pub mod api;
pub mod discover;
pub mod export;
pub mod org;

/// The login GitHub uses in git and in the REST API for an account: bots as `name[bot]`.
/// `gh` prints apps as `app/name`; GraphQL gives bots without the suffix.
pub fn normalise_login(login: &str, is_bot: bool) -> String {
    let bare = login.strip_prefix("app/").unwrap_or(login);
    let bot = is_bot || bare.len() != login.len();
    if bot && !bare.ends_with("[bot]") {
        format!("{bare}[bot]")
    } else {
        bare.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::normalise_login;

    #[test]
    fn bots_get_one_spelling() {
        assert_eq!(normalise_login("app/dependabot", true), "dependabot[bot]");
        assert_eq!(normalise_login("app/dependabot", false), "dependabot[bot]");
        assert_eq!(normalise_login("dependabot", true), "dependabot[bot]");
        assert_eq!(normalise_login("dependabot[bot]", true), "dependabot[bot]");
        assert_eq!(normalise_login("octocat", false), "octocat");
    }
}
