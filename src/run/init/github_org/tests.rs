use super::*;
use crate::model::{SourceFile, load};
use crate::source::github::discover::{DiscoveredRepo, Discovery, TeamAccess};

fn team(slug: &str, permission: &str) -> TeamAccess {
    TeamAccess {
        slug: slug.into(),
        permission: permission.into(),
    }
}

fn repo(name: &str, topics: &[&str], teams: Option<Vec<TeamAccess>>) -> DiscoveredRepo {
    DiscoveredRepo {
        name: name.into(),
        default_branch: Some("main".into()),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        teams,
        warnings: Vec::new(),
    }
}

fn discovery() -> Discovery {
    let mut forbidden = repo("ledger", &["system-payments"], None);
    forbidden
        .warnings
        .push("teams unknown: GitHub answered 403: Must have admin rights\n- id: injected".into());
    let mut empty = repo("scratch", &[], Some(vec![]));
    empty.default_branch = None;
    Discovery {
        org: "acme".into(),
        repos: vec![
            repo(
                "payments-api",
                &["system-payments", "sox"],
                Some(vec![team("payments", "admin"), team("platform", "push")]),
            ),
            forbidden,
            repo("Web.Site", &[], Some(vec![team("web", "maintain")])),
            repo("tools", &["sox"], Some(vec![])),
            empty,
        ],
        archived: vec!["old-api".into()],
        requests: 7,
    }
}

/// The project `init` writes for the declared systems, through the policy loader.
fn loaded(declared: &Declared) -> Vec<crate::model::policy::System> {
    let files = super::super::files(declared);
    let policies: Vec<SourceFile> = files
        .iter()
        .filter(|(p, _)| p.starts_with("policies/"))
        .map(|(p, text)| SourceFile {
            name: p.clone(),
            bytes: text.clone().into_bytes(),
        })
        .collect();
    let validation = load(&[], &policies, jiff::civil::date(2026, 12, 1));
    let errors: Vec<String> = validation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{}", systems_yaml(declared));
    let catalog = validation.catalog.expect("the draft loads");
    catalog
        .policies
        .iter()
        .flat_map(|p| p.value.systems.clone())
        .collect()
}

fn systems_yaml(declared: &Declared) -> String {
    super::super::files(declared)
        .into_iter()
        .find(|(p, _)| p == "policies/systems.yaml")
        .map(|(_, text)| text)
        .unwrap_or_default()
}

fn team_ids(declared: &Declared) -> Vec<&str> {
    declared.teams.iter().map(|t| t.id.as_str()).collect()
}

#[test]
fn one_system_per_repository_loads_back_through_the_policy_loader() {
    let declared = declare(&discovery(), Grouping::PerRepo);
    let systems = loaded(&declared);
    let ids: Vec<&str> = systems.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["payments-api", "ledger", "web-site", "tools"]);
    let payments = &systems[0];
    assert_eq!(payments.owner, "payments", "admin beats push");
    assert_eq!(
        payments.repos[0].github.as_deref(),
        Some("acme/payments-api")
    );
    assert_eq!(payments.repos[0].branches, ["main"]);
    assert_eq!(payments.repos[0].location, "repos/payments-api");
    assert_eq!(systems[1].owner, PLACEHOLDER_TEAM, "teams unknown");
    assert_eq!(systems[2].repos[0].github.as_deref(), Some("acme/Web.Site"));
    assert_eq!(systems[3].owner, PLACEHOLDER_TEAM, "no team can write");
    assert_eq!(team_ids(&declared), ["payments", "web"]);
    let yaml = systems_yaml(&declared);
    assert!(
        yaml.contains("# 1 archived repositories are left out."),
        "{yaml}"
    );
    assert!(yaml.contains("# scratch is left out"), "{yaml}");
    assert!(yaml.contains("# ledger: teams unknown: "), "{yaml}");
}

#[test]
fn grouping_by_a_topic_joins_its_repositories() {
    let declared = declare(&discovery(), Grouping::ByTopic("system"));
    let systems = loaded(&declared);
    let ids: Vec<&str> = systems.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["payments", "web-site", "tools"]);
    let names: Vec<&str> = systems[0].repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["payments-api", "ledger"]);
    assert_eq!(systems[0].owner, "payments", "known teams decide");

    let declared = declare(&discovery(), Grouping::ByTopic("sox"));
    let ids: Vec<String> = loaded(&declared).into_iter().map(|s| s.id).collect();
    assert_eq!(ids, ["sox", "ledger", "web-site"]);
}

/// A team the skeleton already declares is not declared twice, and owns the system.
#[test]
fn a_skeleton_team_with_write_access_owns_without_a_new_team() {
    let mut d = discovery();
    d.repos[2].teams = Some(vec![team("platform", "admin")]);
    let declared = declare(&d, Grouping::PerRepo);
    assert_eq!(team_ids(&declared), ["payments"]);
    assert_eq!(loaded(&declared)[2].owner, "platform");
}

/// GitHub's text cannot leave its comment or its scalar: a warning with a line break, a
/// repository name and a topic shaped like YAML.
#[test]
fn data_from_github_stays_data() {
    let mut d = discovery();
    d.repos.push(repo(
        "x\"\n- id: evil",
        &["system-a: b\n  owner: root"],
        Some(vec![team("ops\n#", "admin")]),
    ));
    for grouping in [Grouping::PerRepo, Grouping::ByTopic("system")] {
        let declared = declare(&d, grouping);
        let yaml = systems_yaml(&declared);
        assert!(!yaml.contains("\n- id: injected"), "{yaml}");
        assert!(!yaml.contains("\n- id: evil"), "{yaml}");
        // GitHub names never hold quotes or line breaks, so validation refuses this `github:`
        // value: the point here is that it arrives as one value, not as new keys.
        let parsed: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        let systems = parsed["systems"].as_array().unwrap();
        assert!(systems.iter().all(|s| s.as_object().unwrap().len() == 5));
        let names: Vec<&str> = systems
            .iter()
            .flat_map(|s| s["repos"].as_array().unwrap())
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"x\"\n- id: evil"), "{names:?}");
        assert!(systems.iter().all(|s| s["owner"] != "root"));
    }
}

#[test]
fn ids_follow_the_policy_pattern_and_stay_unique() {
    assert_eq!(id_for("Web.Site"), "web-site");
    assert_eq!(id_for("--"), "repo");
    assert_eq!(id_for("a__b--c"), "a-b-c");
    let mut taken = BTreeSet::new();
    assert_eq!(unique("a".into(), &mut taken), "a");
    assert_eq!(unique("a".into(), &mut taken), "a-2");
    assert_eq!(unique("a".into(), &mut taken), "a-3");
    assert_eq!(path_segment(".."), "repo");
    assert_eq!(path_segment("a/b"), "a-b");
    assert_eq!(path_segment("Web.Site"), "Web.Site");
}
