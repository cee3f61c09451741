//! README.md must stay true: its catalogue table is generated from the built-in controls.
//! Run `ITGC_UPDATE_README=1 cargo test --test readme` after changing a control.

use itgc::model::{builtin, control::Control, load};

const START: &str = "<!-- catalogue:start -->\n";
const END: &str = "<!-- catalogue:end -->";

fn frameworks(c: &Control) -> String {
    let sox = c
        .frameworks
        .sox
        .iter()
        .map(|a| format!("SOX {}", serde_json::to_value(a).unwrap().as_str().unwrap()));
    let soc2 = c.frameworks.soc2.iter().map(|c| format!("SOC 2 {}", c.0));
    sox.chain(soc2).collect::<Vec<_>>().join(", ")
}

fn table() -> String {
    let validation = load(
        &builtin::controls(),
        &builtin::policies(),
        jiff::civil::date(2026, 11, 23),
    );
    let catalog = validation
        .catalog
        .expect("the built-in catalogue validates");
    let mut out = String::from(
        "| id | control | domain | frameworks | frequency | severity |\n|---|---|---|---|---|---|\n",
    );
    for c in catalog.controls.iter().map(|l| &l.value) {
        let word = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            c.id,
            c.title.replace('|', "\\|"),
            c.domain.as_str(),
            frameworks(c),
            word(serde_json::to_value(c.frequency).unwrap()),
            word(serde_json::to_value(c.severity).unwrap()),
        ));
    }
    out
}

#[test]
fn readme_lists_the_catalogue() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = readme.split_once(START).expect("catalogue start marker");
    let (_, tail) = rest.split_once(END).expect("catalogue end marker");
    let expected = format!("{head}{START}{}{END}{tail}", table());
    if std::env::var_os("ITGC_UPDATE_README").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    assert!(
        readme == expected,
        "README.md catalogue table is stale: run `ITGC_UPDATE_README=1 cargo test --test readme`"
    );
}
