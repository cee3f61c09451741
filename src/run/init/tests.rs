use super::*;
use crate::model::{SourceFile, Validation};

fn load(files: &[(String, String)]) -> Validation {
    let pick = |dir: &str| -> Vec<SourceFile> {
        files
            .iter()
            .filter(|(p, _)| p.starts_with(dir) && p.ends_with(".yaml"))
            .filter(|(p, _)| !p[dir.len()..].contains('/'))
            .map(|(p, t)| SourceFile {
                name: p.clone(),
                bytes: t.as_bytes().to_vec(),
            })
            .collect()
    };
    crate::model::load(
        &pick("controls/"),
        &pick("policies/"),
        jiff::civil::date(2026, 11, 23),
    )
}

/// Every diagnostic is a placeholder warning: no error, no other warning.
fn only_placeholders(validation: &Validation) -> Vec<String> {
    let others: Vec<String> = validation
        .diagnostics
        .iter()
        .filter(|d| d.is_error() || d.code != "placeholder")
        .map(|d| d.headline())
        .collect();
    assert!(others.is_empty(), "{}", others.join("\n"));
    assert!(validation.catalog.is_some());
    validation
        .diagnostics
        .iter()
        .map(|d| d.headline())
        .collect()
}

fn system(id: &str, owner: &str, location: &str) -> System {
    System {
        id: id.into(),
        name: id.into(),
        owner: owner.into(),
        repos: vec![Repo {
            name: id.into(),
            location: location.into(),
            branch: "main".into(),
            github: GitHub::Unknown,
        }],
        origin: format!("--repo {location}"),
        notes: Vec::new(),
    }
}

#[test]
fn the_bare_skeleton_validates_with_only_placeholder_warnings() {
    let warnings = only_placeholders(&load(&files(&Declared::default())));
    // The organisation's name, three team contacts, the privileged group's member.
    assert_eq!(warnings.len(), 5, "{}", warnings.join("\n"));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("policies/organisation.yaml:9:") && w.contains("organisation.name")),
        "{}",
        warnings.join("\n")
    );
}

#[test]
fn the_skeleton_declares_every_team_the_catalogue_names_as_owner() {
    for (path, text) in builtin::CONTROLS {
        let owner = text
            .lines()
            .find_map(|l| l.strip_prefix("owner: "))
            .unwrap_or_else(|| panic!("{path} has no owner line"));
        assert!(SKELETON_TEAMS.contains(&owner.trim()), "{path}: {owner}");
        assert!(
            ORGANISATION.contains(&format!("- id: {}\n", owner.trim())),
            "{path}: {owner}"
        );
    }
}

#[test]
fn declared_systems_and_codeowners_teams_validate_and_round_trip() {
    let mut declared = Declared::default();
    declared
        .systems
        .push(system("payments-api", "payments", "../payments-api"));
    declared
        .systems
        .push(system("ledger", PLACEHOLDER_TEAM, "repos/ledger"));
    declared.teams.push(Team {
        id: "payments".into(),
        name: "@acme/payments (from CODEOWNERS)".into(),
        contact: format!("{MARKER} contact for @acme/payments"),
    });
    let files = files(&declared);
    let warnings = only_placeholders(&load(&files));
    assert_eq!(warnings.len(), 6, "{}", warnings.join("\n"));
    let catalog = load(&files).catalog.unwrap();
    let systems: Vec<_> = catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .collect();
    assert_eq!(systems.len(), 2);
    assert_eq!(systems[0].owner, "payments");
    assert_eq!(systems[0].repos[0].location, "../payments-api");
    assert_eq!(systems[1].repos[0].branches, vec!["main".to_string()]);
}

#[test]
fn hostile_names_and_paths_stay_data_in_the_yaml() {
    let mut s = system("odd", PLACEHOLDER_TEAM, "../we\"ird\nname: x\u{2028}#");
    s.name = "a: b\n- c # d\u{1b}[31m".into();
    s.repos[0].branch = "feature/\"quoted\"".into();
    s.origin = "--repo ../evil\nsystems: []".into();
    let declared = Declared {
        systems: vec![s.clone()],
        teams: Vec::new(),
        notes: Vec::new(),
    };
    let files = files(&declared);
    let validation = load(&files);
    only_placeholders(&validation);
    let catalog = validation.catalog.unwrap();
    let read = &catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .next()
        .unwrap();
    assert_eq!(read.name, s.name);
    assert_eq!(read.repos[0].location, s.repos[0].location);
    assert_eq!(read.repos[0].branches, vec![s.repos[0].branch.clone()]);
}

#[test]
fn a_system_id_declared_twice_is_refused_naming_both_origins() {
    let mut declared = Declared::default();
    declared
        .extend(Declared {
            systems: vec![system("api", PLACEHOLDER_TEAM, "a/api")],
            teams: Vec::new(),
            notes: Vec::new(),
        })
        .unwrap();
    let err = declared
        .extend(Declared {
            systems: vec![system("api", PLACEHOLDER_TEAM, "b/api")],
            teams: Vec::new(),
            notes: Vec::new(),
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--repo a/api") && err.contains("--repo b/api"),
        "{err}"
    );
}

#[test]
fn policy_ids_are_made_from_directory_names() {
    assert_eq!(policy_id("payments-api").as_deref(), Some("payments-api"));
    assert_eq!(
        policy_id("Payments_API.v2").as_deref(),
        Some("payments-api-v2")
    );
    assert_eq!(policy_id("2fa-service").as_deref(), Some("fa-service"));
    assert_eq!(policy_id("--x--").as_deref(), Some("x"));
    assert_eq!(policy_id("123"), None);
    assert_eq!(policy_id("ßü"), None);
}

#[test]
fn codeowners_gives_the_catch_all_team_else_the_first_team() {
    let team = codeowners_team(
        "# owners\n* @acme/old\ninfra/ @acme/platform\n* @jane @acme/Payments-Eng\n",
    );
    assert_eq!(team.as_ref().map(|t| t.id.as_str()), Some("payments-eng"));
    assert!(team.unwrap().contact.contains(MARKER));
    let first = codeowners_team("docs/ @jane\ninfra/ @acme/platform # infra\n");
    assert_eq!(first.map(|t| t.id), Some("platform".to_string()));
    assert_eq!(codeowners_team("* @jane alice@example.com\n"), None);
    assert_eq!(codeowners_team(""), None);
}

#[test]
fn locations_are_relative_to_the_project() {
    let rel = |a: &str, b: &str| relative(Path::new(a), Path::new(b));
    assert_eq!(rel("/w/gov", "/w/payments-api"), "../payments-api");
    assert_eq!(rel("/w/gov", "/w/gov/repos/api"), "repos/api");
    assert_eq!(rel("/w/gov", "/w/gov"), ".");
    assert_eq!(rel("/a/b/c", "/x"), "../../../x");
}

/// Runs the `git` command (the library reads git only in `source/`).
fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn local_repositories_are_declared_from_head_and_codeowners() {
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("Payments API");
    git(dir.path(), &["init", "-q", "-b", "trunk", "Payments API"]);
    std::fs::create_dir_all(repo_dir.join(".github")).unwrap();
    std::fs::write(repo_dir.join(".github/CODEOWNERS"), "* @acme/payments\n").unwrap();
    git(&repo_dir, &["add", "."]);
    git(
        &repo_dir,
        &[
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@example.com",
            "commit",
            "-q",
            "-m",
            "c",
        ],
    );
    let empty = dir.path().join("ledger");
    git(dir.path(), &["init", "-q", "-b", "main", "ledger"]);

    let project = dir.path().join("gov/new");
    let declared = local_repos(&project, &[repo_dir.clone(), empty]).unwrap();
    assert_eq!(declared.systems.len(), 2);
    let api = &declared.systems[0];
    assert_eq!(
        (api.id.as_str(), api.owner.as_str()),
        ("payments-api", "payments")
    );
    assert_eq!(api.repos[0].location, "../../Payments API");
    assert_eq!(api.repos[0].branch, "trunk");
    assert_eq!(declared.systems[1].owner, PLACEHOLDER_TEAM);
    assert_eq!(declared.teams.len(), 1);
    only_placeholders(&load(&files(&declared)));

    let err = local_repos(&project, &[dir.path().join("missing")]).unwrap_err();
    assert!(matches!(err, Error::Usage(_)));
    assert!(
        err.to_string().contains("--repo ") && err.to_string().contains("missing"),
        "{err}"
    );
}

#[test]
fn write_refuses_to_overwrite_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files = files(&Declared::default());
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/systems.yaml"), "mine").unwrap();
    let err = write(dir.path(), &files).unwrap_err().to_string();
    assert!(
        err.contains("refusing to overwrite 1 existing file"),
        "{err}"
    );
    assert!(!dir.path().join("controls").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("policies/systems.yaml")).unwrap(),
        "mine"
    );
}
