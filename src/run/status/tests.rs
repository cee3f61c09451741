use super::*;
use crate::run::init;

/// The skeleton with one repository declared, validated.
fn catalog() -> Catalog {
    let mut declared = init::Declared::default();
    declared.systems.push(init::System {
        id: "payments-api".into(),
        name: "payments-api".into(),
        owner: init::PLACEHOLDER_TEAM.into(),
        repos: vec![init::Repo {
            name: "payments-api".into(),
            location: "../payments-api".into(),
            branch: "main".into(),
            github: init::GitHub::Unknown,
        }],
        origin: "--repo ../payments-api".into(),
        notes: Vec::new(),
    });
    let files = init::files(&declared);
    let pick = |dir: &str| -> Vec<crate::model::SourceFile> {
        files
            .iter()
            .filter(|(p, _)| {
                p.starts_with(dir) && p.ends_with(".yaml") && !p[dir.len()..].contains('/')
            })
            .map(|(p, t)| crate::model::SourceFile {
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
    .catalog
    .expect("the skeleton validates")
}

fn period() -> Period {
    Period::parse("2026-Q3").unwrap()
}

fn kinds(sources: &[Source]) -> Vec<(&str, Option<&str>, bool)> {
    sources
        .iter()
        .map(|s| (s.kind, s.scope.as_deref(), s.missing.is_some()))
        .collect()
}

async fn store(dir: &Path) -> Store {
    let url = format!("sqlite://{}", dir.join("s.db").display());
    let store = Store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn an_empty_store_misses_every_source_the_catalogue_needs_with_its_command() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let sources = collect(&store, &catalog(), &period()).await.unwrap();
    assert_eq!(
        kinds(&sources),
        vec![
            ("git-walk", Some("payments-api@main"), true),
            ("github-prs", Some("payments-api"), true),
            ("hr-roster", None, true),
            ("access-review", None, true),
            ("job-runs", None, true),
        ]
    );
    let commands: Vec<&str> = sources
        .iter()
        .filter_map(|s| s.command.as_deref())
        .collect();
    assert_eq!(commands[0], "`itgc sync --period 2026-Q3 --source git`");
    assert!(
        commands[1].starts_with("`itgc import github-prs FILE --repo payments-api`"),
        "{}",
        commands[1]
    );
    assert_eq!(commands[2], "`itgc import hr-roster FILE`");
    assert!(sources.iter().all(|s| s.loaded.is_none()));
}

#[tokio::test]
async fn a_walk_covering_the_period_and_exports_as_of_it_are_present() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let p = period();
    let at: Timestamp = "2026-10-02T08:00:00Z".parse().unwrap();
    let coverage = Coverage {
        tip: "abc".into(),
        windows: vec![(p.start(), p.end())],
        membership: true,
    };
    let value = serde_json::to_string(&coverage).unwrap();
    store
        .record_walk(
            "payments-api",
            "main",
            &[],
            (&git_cursor("payments-api", "main"), &value, at),
        )
        .await
        .unwrap();
    let import = |kind: &str, as_of: &str| Import {
        kind: kind.into(),
        scope: None,
        file_name: format!("{kind}.csv"),
        sha256: format!("{:0>64}", kind.len()),
        bytes: 10,
        rows: 3,
        as_of: Some(as_of.parse().unwrap()),
    };
    store
        .record_import(&import("hr-roster", "2026-10-01T00:00:00Z"))
        .await
        .unwrap();
    // A run log exported long after the period (past the margin) does not describe it.
    store
        .record_import(&import("job-runs", "2027-03-01T00:00:00Z"))
        .await
        .unwrap();
    let sources = collect(&store, &catalog(), &p).await.unwrap();
    let walk = &sources[0];
    assert_eq!(walk.missing, None);
    assert_eq!(walk.loaded, Some(at));
    assert!(
        walk.covers
            .contains("walked 2026-07-01T00:00:00Z..2026-10-01T00:00:00Z"),
        "{}",
        walk.covers
    );
    let roster = sources.iter().find(|s| s.kind == "hr-roster").unwrap();
    assert_eq!(
        (roster.missing.as_deref(), roster.covers.as_str()),
        (None, "1 import(s), 3 row(s)")
    );
    let runs = sources.iter().find(|s| s.kind == "job-runs").unwrap();
    assert!(runs.missing.is_some(), "{runs:?}");
    // A walk of another quarter does not cover this one.
    let q4 = Period::parse("2026-Q4").unwrap();
    let sources = collect(&store, &catalog(), &q4).await.unwrap();
    assert!(
        sources[0]
            .missing
            .as_deref()
            .is_some_and(|m| m.contains("not walked for 2026-Q4"))
    );
}
