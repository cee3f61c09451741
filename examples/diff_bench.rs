//! Grows a demo organisation's store for `benches/diff.sh`: COUNT synthetic first-parent
//! commits on payments-api/main inside 2026-Q3, through the real store API, so that `itgc diff`
//! builds populations of that size. Each synthetic commit's parent is the branch tip, so
//! CODEOWNERS is read from a real commit, as for any change.
//!
//! Usage: diff_bench ORG_DIR COUNT

use std::process::ExitCode;

use itgc::facts::{Commit, Signature};
use itgc::store::Store;
use jiff::Timestamp;

/// Paths the synthetic commits touch. None is a job definition (`deploy/cronjobs/*.yaml`,
/// `ops/crontab`): the job population reads definitions from git at each commit that touches
/// one, and these commits exist only in the store.
const PATHS: [&str; 5] = [
    "infra/iam/roles.tf",
    "infra/rds/main.tf",
    "src/ledger/posting.rs",
    "deploy/helm/values.yaml",
    "docs/README.md",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [org, count] = args.as_slice() else {
        eprintln!("usage: diff_bench ORG_DIR COUNT");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<usize>() else {
        eprintln!("diff_bench: COUNT must be a number");
        return ExitCode::from(2);
    };
    let url = format!("sqlite://{org}/.itgc/itgc.db");
    let grown = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(grow(&url, count)));
    match grown {
        Ok(n) => {
            println!("{n}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("diff_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Inserts the commits; returns how many the repo now holds in the quarter.
async fn grow(url: &str, count: usize) -> Result<usize, String> {
    let store = Store::open(url).await.map_err(|e| e.to_string())?;
    let (from, to) = quarter()?;
    let existing = store
        .commits("payments-api", from, to)
        .await
        .map_err(|e| e.to_string())?;
    let tip = existing.last().ok_or("the demo store has no commits")?;
    let commits: Vec<Commit> = (0..count).map(|i| synthetic(tip, from, i)).collect();
    for chunk in commits.chunks(1000) {
        store
            .upsert_commits(chunk)
            .await
            .map_err(|e| e.to_string())?;
    }
    // The synthetic commits extend the demo's main branch.
    let oids: Vec<String> = commits.iter().map(|c| c.oid.clone()).collect();
    store
        .record_branch_commits("payments-api", "main", &oids)
        .await
        .map_err(|e| e.to_string())?;
    let total = store
        .commits("payments-api", from, to)
        .await
        .map_err(|e| e.to_string())?
        .len();
    store.close().await;
    Ok(total)
}

fn quarter() -> Result<(Timestamp, Timestamp), String> {
    let parse = |s: &str| s.parse::<Timestamp>().map_err(|e| e.to_string());
    Ok((
        parse("2026-07-01T00:00:00Z")?,
        parse("2026-10-01T00:00:00Z")?,
    ))
}

fn synthetic(tip: &Commit, from: Timestamp, i: usize) -> Commit {
    // Spread over the quarter's first 80 days, one commit every ~11 minutes.
    let at = from + jiff::SignedDuration::from_secs(60 * (11 * i as i64 % (80 * 24 * 60)));
    let who = Signature {
        name: format!("Dev {}", i % 40),
        email: format!("dev{}@demo-fintech.example", i % 40),
        at,
    };
    Commit {
        repo: "payments-api".into(),
        oid: format!("{:040x}", 0xb0b0_0000_0000_usize + i),
        parents: vec![tip.oid.clone()],
        author: who.clone(),
        committer: who,
        message: format!("PAY-{}: synthetic change {i}", 1000 + i),
        paths: vec![PATHS[i % PATHS.len()].to_string()],
        signed: false,
    }
}
