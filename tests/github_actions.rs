//! The GitHub Actions integration: `action.yml` and every workflow in `examples/workflows/`
//! validate against SchemaStore's published schemas (vendored in tests/fixtures/schemastore),
//! no script interpolates `${{ }}`, and the composite action's script steps, run locally with
//! bash the way the runner runs them, gate the demo and report through their outputs.

mod binary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A YAML file of the repository as JSON.
fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(name: &str) -> jsonschema::Validator {
    let path = root().join("tests/fixtures/schemastore").join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Every schema violation in `doc`, as `path: message`.
fn violations(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn workflows() -> Vec<PathBuf> {
    let mut files = yml_files(&root().join("examples/workflows"));
    files.extend(yml_files(&root().join(".github/workflows")));
    files
}

fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_action_and_every_example_workflow_match_the_published_schemas() {
    let action = yaml(&root().join("action.yml"));
    let problems = violations(&validator("github-action.json"), &action);
    assert!(problems.is_empty(), "action.yml: {problems:#?}");

    let schema = validator("github-workflow.json");
    let files = workflows();
    let names: Vec<_> = files.iter().map(|p| p.file_name().unwrap()).collect();
    assert_eq!(
        names,
        [
            "deploy-gate.yml",
            "nightly.yml",
            "policy-pr.yml",
            "release.yml"
        ],
        "the README's GitHub Actions section lists the examples; release.yml publishes"
    );
    for file in &files {
        let problems = violations(&schema, &yaml(file));
        assert!(problems.is_empty(), "{}: {problems:#?}", file.display());
    }
}

/// The schemas bite: the same files, each broken in one way, are rejected.
#[test]
fn a_broken_action_or_workflow_is_rejected() {
    let mut action = yaml(&root().join("action.yml"));
    let step = &mut action["runs"]["steps"][1];
    step.as_object_mut().unwrap().remove("shell");
    assert!(
        !violations(&validator("github-action.json"), &action).is_empty(),
        "a composite run step without a shell"
    );

    let schema = validator("github-workflow.json");
    let mut gate = yaml(&root().join("examples/workflows/deploy-gate.yml"));
    let job = gate["jobs"]["gate"].as_object_mut().unwrap();
    let runs_on = job.remove("runs-on").unwrap();
    job.insert("runs_on".into(), runs_on);
    assert!(!violations(&schema, &gate).is_empty(), "runs_on");

    let mut nightly = yaml(&root().join("examples/workflows/nightly.yml"));
    nightly["on"]["schedule"] = Value::String("nightly".into());
    assert!(!violations(&schema, &nightly).is_empty(), "schedule");

    let mut release = yaml(&root().join(".github/workflows/release.yml"));
    release["jobs"]["publish"]["needs"] = Value::Bool(true);
    assert!(!violations(&schema, &release).is_empty(), "needs");

    let mut pr = yaml(&root().join("examples/workflows/policy-pr.yml"));
    pr["permissions"]["pull-requests"] = Value::String("comment".into());
    assert!(!violations(&schema, &pr).is_empty(), "permission level");
}

/// Every `run:` script of a steps list: (where, script).
fn scripts(steps: &Value, file: &str) -> Vec<(String, String)> {
    let steps = steps.as_array().map(Vec::as_slice).unwrap_or_default();
    steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((format!("{file} step {i}"), s["run"].as_str()?.to_string())))
        .collect()
}

fn all_scripts() -> Vec<(String, String)> {
    let mut out = scripts(
        &yaml(&root().join("action.yml"))["runs"]["steps"],
        "action.yml",
    );
    for file in workflows() {
        let doc = yaml(&file);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for job in doc["jobs"].as_object().unwrap().values() {
            out.extend(scripts(&job["steps"], &name));
        }
    }
    out
}

/// `${{ }}` in a script is pasted into it before bash runs: a PR title or branch name becomes
/// code (script injection). Data reaches scripts through `env:` only.
fn interpolates(script: &str) -> bool {
    script.contains("${{")
}

#[test]
fn no_script_interpolates_expressions() {
    let found = all_scripts();
    assert!(found.len() >= 10, "{found:?}");
    for (at, script) in &found {
        assert!(!interpolates(script), "{at} interpolates an expression");
    }
    assert!(interpolates(
        "echo \"${{ github.event.pull_request.title }}\""
    ));
    assert!(interpolates("git checkout ${{github.head_ref}}"));
    assert!(!interpolates("echo \"$TITLE\" ${HOME}"));
}

// ---- the composite action's script steps, run locally ----

/// What the runner would give a step: inputs (given or defaulted), the `github` context
/// values the action reads, and earlier steps' outputs.
struct Context {
    inputs: BTreeMap<String, String>,
    github: BTreeMap<&'static str, String>,
    steps: BTreeMap<String, BTreeMap<String, String>>,
    /// A workflow's top-level `env:`.
    env: BTreeMap<String, String>,
    /// Directories put before the runner's PATH (stand-ins for `gh` and `cargo`).
    path: Vec<PathBuf>,
}

impl Context {
    fn new(action: &Value, given: &[(&str, &str)], sha: &str) -> Context {
        let github = BTreeMap::from([
            ("sha", sha.to_string()),
            ("token", String::new()),
            ("action_repository", String::new()),
        ]);
        let mut context = Context {
            inputs: BTreeMap::new(),
            github,
            steps: BTreeMap::new(),
            env: BTreeMap::new(),
            path: Vec::new(),
        };
        for (name, spec) in action["inputs"].as_object().unwrap() {
            let default = spec["default"].as_str().unwrap_or_default();
            let value = context.expand(default);
            context.inputs.insert(name.clone(), value);
        }
        for (name, value) in given {
            assert!(context.inputs.contains_key(*name), "no input {name}");
            context.inputs.insert(name.to_string(), value.to_string());
        }
        context
    }

    /// A value that is literal text or exactly one `${{ A }}` / `${{ A || B }}` of the forms
    /// the action uses; anything else fails the test, so it cannot silently resolve wrong.
    fn expand(&self, value: &str) -> String {
        let Some(expr) = value
            .trim()
            .strip_prefix("${{")
            .and_then(|v| v.strip_suffix("}}"))
        else {
            assert!(!value.contains("${{"), "unsupported expression {value}");
            return value.to_string();
        };
        expr.split("||")
            .map(|alt| self.lookup(alt.trim()))
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    }

    fn lookup(&self, name: &str) -> String {
        let parts: Vec<&str> = name.split('.').collect();
        let found = match parts.as_slice() {
            ["inputs", input] => self.inputs.get(*input).cloned(),
            ["github", key] => self.github.get(key).cloned(),
            ["steps", id, "outputs", out] => Some(
                self.steps
                    .get(*id)
                    .and_then(|o| o.get(*out))
                    .cloned()
                    .unwrap_or_default(),
            ),
            _ => None,
        };
        found.unwrap_or_else(|| panic!("unsupported expression {name}"))
    }
}

/// One script step's run: exit code, log, outputs.
struct StepRun {
    code: i32,
    log: String,
    outputs: BTreeMap<String, String>,
}

/// Runs the action's `id` step like the runner: `bash --noprofile --norc -eo pipefail FILE`,
/// with the step's `env:` resolved, the runner's files, and the built `itgc` on PATH.
fn run_step(action: &Value, id: &str, context: &Context, runner: &Path, cwd: &Path) -> StepRun {
    let step = step(&action["runs"]["steps"], id);
    assert_eq!(step["shell"], "bash");
    run_script(step, context, runner, cwd)
}

fn step<'a>(steps: &'a Value, id: &str) -> &'a Value {
    let steps = steps.as_array().unwrap();
    steps.iter().find(|s| s["id"] == id).unwrap()
}

/// Runs one step's `run:` script with its `env:` (and the context's workflow-level env).
fn run_script(step: &Value, context: &Context, runner: &Path, cwd: &Path) -> StepRun {
    let id = step["id"].as_str().unwrap();
    let script = runner.join(format!("{id}.sh"));
    std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
    let output = runner.join(format!("{id}.output"));
    std::fs::write(&output, "").unwrap();
    let dir = match step["working-directory"].as_str() {
        Some(w) => cwd.join(context.expand(w)),
        None => cwd.to_path_buf(),
    };
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(dir);
    runner_env(&mut cmd, runner, &output);
    if !context.path.is_empty() {
        let mut path = std::env::join_paths(&context.path).unwrap();
        path.push(":");
        path.push(
            cmd.get_envs()
                .find(|(k, _)| *k == "PATH")
                .unwrap()
                .1
                .unwrap(),
        );
        cmd.env("PATH", path);
    }
    for (name, value) in &context.env {
        cmd.env(name, value);
    }
    for (name, value) in step["env"].as_object().into_iter().flatten() {
        cmd.env(name, context.expand(value.as_str().unwrap()));
    }
    let out = cmd.output().unwrap();
    let outputs = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    StepRun {
        code: out.status.code().unwrap_or(-1),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        outputs,
    }
}

/// The environment the runner gives every step, nothing inherited that could change a result.
fn runner_env(cmd: &mut Command, runner: &Path, output: &Path) {
    let bin = Path::new(env!("CARGO_BIN_EXE_itgc")).parent().unwrap();
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", runner)
        .env("GITHUB_ACTIONS", "true")
        .env("RUNNER_TEMP", runner.join("tmp"))
        .env("GITHUB_ACTION_PATH", root())
        .env("GITHUB_OUTPUT", output)
        .env("GITHUB_PATH", runner.join("path"))
        .env("GITHUB_STEP_SUMMARY", runner.join("summary.md"));
}

/// The gate step then the verdict step, as the runner sequences them.
struct Gated {
    /// The runner's files (the SARIF report among them) live as long as this.
    _runner: tempfile::TempDir,
    gate: StepRun,
    verdict: StepRun,
    summary: String,
}

fn gate_and_verdict(org: &Path, given: &[(&str, &str)]) -> Gated {
    let action = yaml(&root().join("action.yml"));
    let runner = tempfile::tempdir().unwrap();
    std::fs::create_dir(runner.path().join("tmp")).unwrap();
    let mut context = Context::new(&action, given, "HEAD");
    let gate = run_step(&action, "gate", &context, runner.path(), org);
    context.steps.insert("gate".into(), gate.outputs.clone());
    let verdict = run_step(&action, "verdict", &context, runner.path(), org);
    let summary = std::fs::read_to_string(runner.path().join("summary.md")).unwrap_or_default();
    Gated {
        _runner: runner,
        gate,
        verdict,
        summary,
    }
}

/// Items that deviate or could not be evaluated, from `itgc gate --format json`.
fn findings_by_json(org: &Path, args: &[&str]) -> usize {
    let mut all = vec!["gate", "--repo", "repos/payments-api", "--format", "json"];
    all.extend_from_slice(args);
    let (_, stdout, stderr) = binary::run(org, &all);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let items = report["controls"].as_array().unwrap().iter();
    items
        .flat_map(|c| c["items"].as_array().unwrap())
        .filter(|i| i["outcome"] == "deviation" || i["outcome"] == "not-evaluated")
        .count()
}

/// The demo organisation, built once per test binary; the tests only read it.
fn demo() -> &'static Path {
    &built().1
}

/// The demo and its period's `check --format json` report (written before any test runs, so
/// no test writes to the store another one reads).
fn built() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static DEMO: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let org = binary::demo(dir.path());
        let results = dir.path().join("results.json");
        let out = results.to_str().unwrap();
        let args = [
            "check", "--period", "2026-Q3", "--format", "json", "--output", out,
        ];
        let (code, _, stderr) = binary::run(&org, &args);
        assert_eq!(code, 1, "{stderr}");
        (dir, org, results)
    })
}

#[test]
fn the_action_gates_the_demo_and_reports_through_its_outputs() {
    let org = demo();
    let repo = org.join("repos/payments-api");
    let first = binary::git(&repo, &["rev-list", "--max-parents=0", "main"]);
    let first = first.trim();
    let expected = findings_by_json(org, &["--commit", "main", "--since", first]);
    assert!(expected > 0);

    let given = [
        ("repo", "repos/payments-api"),
        ("commit", "main"),
        ("since", first),
    ];
    let run = gate_and_verdict(org, &given);
    let out = &run.gate.outputs;
    assert_eq!(run.gate.code, 0, "{}", run.gate.log);
    assert_eq!(out["exit-code"], "1", "{}", run.gate.log);
    assert_eq!(out["result"], "deviations");
    assert_eq!(out["findings"], expected.to_string());
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&out["sarif-file"]).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        run.gate.log.contains("::error title=CM-"),
        "{}",
        run.gate.log
    );
    assert!(
        run.summary.starts_with("## itgc: deviations"),
        "{}",
        run.summary
    );
    assert_eq!(run.verdict.code, 1, "{}", run.verdict.log);
    assert!(run.verdict.log.contains("itgc gate: deviations (exit 1)"));

    let lenient = [given.as_slice(), &[("fail", "false")]].concat();
    let run = gate_and_verdict(org, &lenient);
    assert_eq!(run.gate.outputs["result"], "deviations");
    assert_eq!(run.verdict.code, 0, "{}", run.verdict.log);

    // The tip alone was reviewed and approved: the deploy may go.
    let run = gate_and_verdict(org, &[("repo", "repos/payments-api"), ("commit", "main")]);
    assert_eq!(run.gate.outputs["exit-code"], "0", "{}", run.gate.log);
    assert_eq!(run.gate.outputs["result"], "pass");
    assert_eq!(run.gate.outputs["findings"], "0");
    assert!(
        run.summary.starts_with("## itgc: effective"),
        "{}",
        run.summary
    );
    assert_eq!(run.verdict.code, 0, "{}", run.verdict.log);
}

#[test]
fn the_action_reports_a_gate_that_could_not_run() {
    let org = demo();
    let given = [("repo", "repos/payments-api"), ("commit", "no-such-ref")];
    let run = gate_and_verdict(org, &given);
    let out = &run.gate.outputs;
    assert_eq!(run.gate.code, 0, "{}", run.gate.log);
    assert_eq!(out["exit-code"], "2", "{}", run.gate.log);
    assert_eq!(out["result"], "usage-error");
    assert_eq!(out["findings"], "", "unknown, not zero");
    assert_eq!(out["sarif-file"], "");
    assert!(
        run.summary.contains("the gate did not conclude"),
        "{}",
        run.summary
    );
    assert_eq!(run.verdict.code, 2, "{}", run.verdict.log);

    let missing = [("repo", "repos/payments-api"), ("config", "no/such.yaml")];
    let run = gate_and_verdict(org, &missing);
    assert_eq!(
        run.gate.outputs["result"], "usage-error",
        "{}",
        run.gate.log
    );
    assert_eq!(run.verdict.code, 2);
}

// ---- installing: the release assets `release/package.sh` writes, through the install step ----

/// A release as `gh release download` would fetch it: `release/package.sh` run on `binary`,
/// served by a stand-in `gh` on PATH that copies the requested patterns from the release
/// directory into `--dir` (and fails like gh when the release or asset is missing). A
/// stand-in `cargo` records a source build instead of running one.
struct Release {
    dir: tempfile::TempDir,
}

impl Release {
    fn packaged(binary: &Path) -> Release {
        let dir = tempfile::tempdir().unwrap();
        let assets = dir.path().join("assets");
        let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
        let out = Command::new("bash")
            .arg(root().join("release/package.sh"))
            .args([binary, Path::new(&target), &assets])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let release = Release { dir };
        release.stand_ins();
        release
    }

    fn stand_ins(&self) {
        let bin = self.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let gh = format!(
            r#"#!/bin/bash
echo "gh $*" >> '{log}'
[ "$1 $2" = "release download" ] || exit 1
shift 2
dir= patterns=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --pattern) patterns+=("$2"); shift 2 ;;
    --repo) shift 2 ;;
    --clobber) shift ;;
    *) shift ;;
  esac
done
mkdir -p "$dir"
for p in "${{patterns[@]}}"; do
  [ -f '{assets}'/"$p" ] || {{ echo "release asset $p not found" >&2; exit 1; }}
  cp '{assets}'/"$p" "$dir/"
done
"#,
            log = self.log().display(),
            assets = self.assets().display()
        );
        let cargo = format!(
            r#"#!/bin/bash
echo "cargo $*" >> '{log}'
root=
while [ $# -gt 0 ]; do [ "$1" = --root ] && root=$2; shift; done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "itgc built from source"\n' > "$root/bin/itgc"
chmod +x "$root/bin/itgc"
"#,
            log = self.log().display()
        );
        for (name, text) in [("gh", gh), ("cargo", cargo)] {
            executable(&bin.join(name), &text);
        }
    }

    fn assets(&self) -> PathBuf {
        self.dir.path().join("assets")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }

    fn asset(&self) -> PathBuf {
        let name = format!("itgc-{}-unknown-linux-gnu.tar.gz", std::env::consts::ARCH);
        self.assets().join(name)
    }

    /// The install step with these inputs; the runner's directory lives as long as the run.
    fn install(&self, given: &[(&str, &str)]) -> (tempfile::TempDir, StepRun) {
        let action = yaml(&root().join("action.yml"));
        let runner = tempfile::tempdir().unwrap();
        std::fs::create_dir(runner.path().join("tmp")).unwrap();
        let mut context = Context::new(&action, given, "HEAD");
        context.path.push(self.dir.path().join("bin"));
        let run = run_step(&action, "install", &context, runner.path(), runner.path());
        (runner, run)
    }
}

/// Writes a script and makes it executable.
fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    let status = Command::new("chmod").arg("+x").arg(path).status().unwrap();
    assert!(status.success());
}

fn installed(runner: &Path) -> PathBuf {
    runner.join("tmp/itgc/bin/itgc")
}

#[test]
fn the_action_installs_the_packaged_release_binary_after_checking_its_digest() {
    let itgc = Path::new(env!("CARGO_BIN_EXE_itgc"));
    let release = Release::packaged(itgc);
    let digest = std::fs::read_to_string(release.asset().with_extension("gz.sha256")).unwrap();
    let name = release
        .asset()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(digest.ends_with(&format!("  {name}\n")), "{digest}");

    let given = [
        ("release-repository", "itgc-dev/itgc"),
        ("version", "v0.1.0"),
    ];
    let (runner, run) = release.install(&given);
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.outputs["installed"], "release", "{}", run.log);
    assert_eq!(
        std::fs::read(installed(runner.path())).unwrap(),
        std::fs::read(itgc).unwrap(),
        "the binary that was packed"
    );
    assert!(run.log.contains("itgc 0.1.0"), "{}", run.log);
    let path = std::fs::read_to_string(runner.path().join("path")).unwrap();
    assert_eq!(
        path.trim(),
        runner.path().join("tmp/itgc/bin").to_str().unwrap()
    );
    let calls = release.calls();
    assert!(
        calls.starts_with("gh release download v0.1.0 --repo itgc-dev/itgc "),
        "{calls}"
    );
    assert!(!calls.contains("cargo"), "{calls}");
}

#[test]
fn a_release_asset_that_does_not_match_its_digest_is_never_installed() {
    let fake = tempfile::tempdir().unwrap();
    let binary = fake.path().join("itgc");
    executable(&binary, "#!/bin/sh\necho itgc 0.1.0\n");
    let release = Release::packaged(&binary);

    // A well-formed archive of another binary, swapped in after the digest was written (a
    // tampered mirror): only the digest can tell.
    let other = fake.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let evil = other.join("itgc");
    executable(&evil, "#!/bin/sh\necho itgc 6.6.6\n");
    let swapped = Release::packaged(&evil);
    std::fs::copy(swapped.asset(), release.asset()).unwrap();

    let given = [("release-repository", "itgc-dev/itgc")];
    let (runner, run) = release.install(&given);
    assert_ne!(run.code, 0, "{}", run.log);
    assert!(run.log.contains("FAILED"), "{}", run.log);
    assert!(!installed(runner.path()).exists(), "nothing extracted");
    assert!(!run.outputs.contains_key("installed"));
    assert!(!runner.path().join("path").exists(), "PATH not extended");
    assert!(
        !release.calls().contains("cargo"),
        "no fallback past a bad digest"
    );

    // A digest file naming another file does not count either (`--strict` on the name).
    let packed = Release::packaged(&binary);
    let sha = packed.asset().with_extension("gz.sha256");
    let text = std::fs::read_to_string(&sha).unwrap();
    std::fs::write(&sha, text.replace("itgc-", "other-")).unwrap();
    let (runner, run) = packed.install(&given);
    assert_ne!(run.code, 0, "{}", run.log);
    assert!(!installed(runner.path()).exists());
}

#[test]
fn without_a_release_asset_the_action_builds_its_own_source() {
    let fake = tempfile::tempdir().unwrap();
    let binary = fake.path().join("itgc");
    executable(&binary, "#!/bin/sh\necho itgc 0.1.0\n");
    let release = Release::packaged(&binary);
    std::fs::remove_file(release.asset()).unwrap();

    let (runner, run) = release.install(&[("release-repository", "itgc-dev/itgc")]);
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.outputs["installed"], "source", "{}", run.log);
    assert!(run.log.contains("building from source"), "{}", run.log);
    assert!(run.log.contains("itgc built from source"), "{}", run.log);
    let calls = release.calls();
    let root = root();
    let expected = format!("cargo install --locked --path {} --root ", root.display());
    assert!(calls.contains(&expected), "{calls}");
    assert!(installed(runner.path()).exists());

    // `version: source` asks for no release at all.
    let (_, run) = release.install(&[("release-repository", "x/y"), ("version", "source")]);
    assert_eq!(run.outputs["installed"], "source", "{}", run.log);
}

// ---- the nightly workflow's decision, run locally ----

fn nightly() -> Value {
    yaml(&root().join("examples/workflows/nightly.yml"))
}

/// A context for a workflow's steps: its top-level `env:`, earlier steps' outputs.
fn workflow_context(workflow: &Value, steps: &[(&str, &[(&str, &str)])]) -> Context {
    let env = workflow["env"].as_object().into_iter().flatten();
    let env = env.map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()));
    let steps = steps.iter().map(|(id, outputs)| {
        let outputs = outputs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        (id.to_string(), outputs.collect())
    });
    Context {
        inputs: BTreeMap::new(),
        github: BTreeMap::new(),
        steps: steps.collect(),
        env: env.collect(),
        path: Vec::new(),
    }
}

/// The `new` step on tonight's report and (when given) the previous night's: its count.
fn new_deviations(tonight: &Value, previous: Option<&Value>) -> usize {
    let workflow = nightly();
    let runner = tempfile::tempdir().unwrap();
    let out = runner.path().join("tmp/out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("results.json"), tonight.to_string()).unwrap();
    if let Some(previous) = previous {
        let dir = runner.path().join("tmp/previous");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("results.json"), previous.to_string()).unwrap();
    }
    let out_str = out.to_str().unwrap();
    let context = workflow_context(&workflow, &[("check", &[("out", out_str)])]);
    let step = step(&workflow["jobs"]["check"]["steps"], "new");
    let run = run_script(step, &context, runner.path(), runner.path());
    assert_eq!(run.code, 0, "{}", run.log);
    let listed: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("new-deviations.json")).unwrap())
            .unwrap();
    let count: usize = run.outputs["count"].parse().unwrap();
    assert_eq!(listed.as_array().unwrap().len(), count);
    count
}

/// (control, item, rule) of every failed reason of every deviating item.
fn triples(report: &Value) -> usize {
    let mut all = std::collections::BTreeSet::new();
    for c in report["controls"].as_array().unwrap() {
        for i in c["items"].as_array().unwrap() {
            if i["outcome"] != "deviation" {
                continue;
            }
            for r in i["reasons"].as_array().unwrap() {
                if r["verdict"] == "failed" {
                    all.insert((
                        c["id"].to_string(),
                        i["id"].to_string(),
                        r["rule"].to_string(),
                    ));
                }
            }
        }
    }
    all.len()
}

#[test]
fn the_nightly_fails_only_on_deviations_new_since_the_previous_night() {
    let results = &built().2;
    let tonight: Value = serde_json::from_str(&std::fs::read_to_string(results).unwrap()).unwrap();
    let all = triples(&tonight);
    assert!(all > 1, "the demo has deviations");

    assert_eq!(new_deviations(&tonight, None), all, "no baseline: all new");
    assert_eq!(
        new_deviations(&tonight, Some(&tonight)),
        0,
        "same as last night"
    );

    // Last night one of tonight's deviating items still passed.
    let mut previous = tonight.clone();
    let item = previous["controls"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|c| c["items"].as_array_mut().unwrap())
        .find(|i| i["outcome"] == "deviation")
        .unwrap();
    item["outcome"] = Value::String("pass".into());
    let fresh = all - triples(&previous);
    assert!(fresh >= 1);
    assert_eq!(new_deviations(&tonight, Some(&previous)), fresh);

    // A deviation that went away is not new either way.
    assert_eq!(new_deviations(&previous, Some(&tonight)), 0);
}

/// The verdict step: (sync, check, new) exit codes and counts to the job's exit code.
#[test]
fn the_nightly_verdict_fails_closed_and_passes_known_deviations() {
    let workflow = nightly();
    let steps = &workflow["jobs"]["check"]["steps"];
    let verdict = steps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Verdict")
        .unwrap();
    let mut verdict = verdict.clone();
    verdict["id"] = Value::String("verdict".into());
    let cases: [(&str, &str, &str, i32); 7] = [
        ("0", "0", "", 0),
        ("0", "1", "0", 0),
        ("0", "1", "2", 1),
        ("0", "1", "", 1),
        ("0", "3", "", 3),
        ("0", "2", "", 2),
        ("3", "3", "", 3),
    ];
    for (sync, check, new, expected) in cases {
        let runner = tempfile::tempdir().unwrap();
        let context = workflow_context(
            &workflow,
            &[
                ("sync", &[("exit-code", sync)]),
                ("check", &[("exit-code", check)]),
                ("new", &[("count", new)]),
            ],
        );
        let run = run_script(&verdict, &context, runner.path(), runner.path());
        assert_eq!(
            run.code, expected,
            "sync {sync} check {check} new {new}: {}",
            run.log
        );
    }
}

// ---- the Dockerfile ----

/// Why Docker cannot build here, or `None` when it can.
fn docker_unavailable() -> Option<String> {
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Err(e) => Some(format!("no docker command: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "the docker daemon does not answer: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    }
}

fn docker(args: &[&str]) -> (i32, String) {
    let out = Command::new("docker")
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), log)
}

/// The image builds, runs `itgc demo` as a non-root user and has git; where Docker is not
/// available the test says why and skips.
#[test]
fn the_docker_image_builds_and_runs_the_demo() {
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let stages = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert_eq!(stages, 2, "multi-stage");
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    for path in ["target/", "fuzz/target/"] {
        assert!(
            ignore.lines().any(|l| l == path),
            "{path} is not in the build context"
        );
    }
    if let Some(reason) = docker_unavailable() {
        println!("skipped: {reason}");
        return;
    }
    let tag = "itgc-dockerfile-test:latest";
    let (code, log) = docker(&["build", "--tag", tag, "."]);
    assert_eq!(code, 0, "{log}");
    let (code, log) = docker(&["run", "--rm", tag]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("built the demo organisation"), "{log}");
    let (code, uid) = docker(&["run", "--rm", "--entrypoint", "id", tag, "-u"]);
    assert_eq!((code, uid.trim()), (0, "10001"));
    let (code, log) = docker(&["run", "--rm", "--entrypoint", "git", tag, "--version"]);
    assert_eq!(code, 0, "{log}");
}
