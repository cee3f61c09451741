//! Owners through the real binary: `check` groups results by owner (terminal and JSON), and
//! `report --owners` rolls deviations up by owner across several packets (periods).

use serde_json::Value;

mod binary;
use binary::run;

#[test]
fn check_groups_by_owner_and_report_rolls_owners_up_across_periods() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(dir.path(), &["-q", "demo", "--out", "org"]);
    assert_eq!(code, 0, "{stderr}");
    let root = dir.path().join("org");
    let controls = ["--control", "CM-01", "--control", "CM-05"];

    let (code, stdout, _) = run(
        &root,
        &[&["check", "--period", "2026-Q3"][..], &controls].concat(),
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("by owner:"), "{stdout}");
    let json_args = [
        &["check", "--period", "2026-Q3", "--format", "json"][..],
        &controls,
    ]
    .concat();
    let (_, stdout, _) = run(&root, &json_args);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let owners = json["owners"].as_array().unwrap();
    let deviations: u64 = owners
        .iter()
        .map(|o| o["deviations"].as_u64().unwrap())
        .sum();
    assert_eq!(deviations, json["totals"]["deviation"].as_u64().unwrap());
    let names: Vec<&str> = owners
        .iter()
        .map(|o| o["owner"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"platform") && names.contains(&"payments-eng"),
        "{names:?}"
    );

    let mut packets = Vec::new();
    for month in ["2026-07", "2026-08", "2026-09"] {
        let packet = dir.path().join(format!("packet-{month}"));
        let args = [
            &[
                "-q",
                "check",
                "--period",
                month,
                "--packet",
                packet.to_str().unwrap(),
            ][..],
            &controls,
        ]
        .concat();
        run(&root, &args);
        packets.push(packet.to_str().unwrap().to_string());
    }
    let (code, md, stderr) = run(
        &root,
        &[
            "report",
            "--owners",
            "--format",
            "markdown",
            "--packet",
            &packets[2],
            "--trend",
            &packets[0],
            &packets[1],
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        md.contains("| owner | 2026-07 | 2026-08 | 2026-09 | deviations |"),
        "{md}"
    );
    // Each owner's findings ageing, replayed over the three packets.
    assert!(md.contains("## itgc: findings ageing by owner"), "{md}");
    assert!(md.contains(" → "), "an open count per packet: {md}");
    let (code, out, _) = run(
        &root,
        &[
            "report",
            "--owners",
            "--format",
            "json",
            "--packet",
            &packets[0],
            "--trend",
            &packets[1],
            &packets[2],
        ],
    );
    assert_eq!(code, 0);
    let rollup: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rollup["periods"],
        serde_json::json!(["2026-07", "2026-08", "2026-09"])
    );
    let ageing = rollup["ageing"]["owners"].as_array().unwrap();
    assert!(!ageing.is_empty());
    for owner in ageing {
        let trend = owner["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 3, "{owner}");
        // A month's changes are not in the next month's population: they stay open.
        let counts: Vec<u64> = trend.iter().map(|n| n.as_u64().unwrap()).collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{owner}");
        assert_eq!(owner["open"].as_u64(), Some(counts[2]), "{owner}");
    }
    let rows = rollup["owners"].as_array().unwrap();
    let first = rows[0]["total"]["deviations"].as_u64().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["total"]["deviations"].as_u64().unwrap() <= first),
        "heaviest first"
    );
    let (code, _, stderr) = run(
        &root,
        &[
            "report",
            "--owners",
            "--format",
            "html",
            "--packet",
            &packets[0],
        ],
    );
    assert_eq!(code, 2, "{stderr}");
}
