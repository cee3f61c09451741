//! What a `check` packet holds, and how it is re-performed: the bridge between evaluation and
//! the generic evidence module (which must not depend on evaluation).
//!
//! The packet records the evaluation of the *redacted* snapshot: that is the only evaluation an
//! auditor holding the packet can repeat. Pseudonyms are stable, so joins inside the snapshot
//! (author = approver?) survive; a join against an email written in a policy cannot, and when
//! that changes any conclusion, `check` says so.

mod access;
pub mod read;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Error, Note};
use crate::evaluate::{self, Results};
use crate::evidence::{
    self, Digest, Manifest, PacketBuilder, PacketFiles, PacketMeta, PseudonymKey, Redactor,
    Reperform, ReperformError,
};
use crate::facts::{OrgMember, Ticket};
use crate::model::{Catalog, SourceFile};
use crate::population::access::AccessSnapshot;
use crate::population::provenance::Provenance;
use crate::population::{Change, Gap, Snapshot};
use crate::report::{self, Format};

/// The one results file re-performance must reproduce byte for byte.
pub const RESULTS: &str = "results/results.json";
const META: &str = "snapshots/meta.json";
const CHANGES: &str = "snapshots/changes.jsonl";
const TICKETS: &str = "snapshots/tickets.jsonl";
const MEMBERS: &str = "snapshots/members.jsonl";
/// Access and job facts: one JSON line each (the whole part), present only when the part is.
const ACCESS: &str = "snapshots/access.jsonl";
const JOBS: &str = "snapshots/jobs.jsonl";
/// Policy identities as the redacted snapshot spells them: `{"policy": …, "packet": …}` lines.
const IDENTITIES: &str = "snapshots/identities.jsonl";

/// What the snapshot files cannot say by themselves: which parts existed at all (no ticket
/// export is not the same as an empty one), the gaps, and which controls were evaluated.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    period: String,
    controls: Vec<String>,
    has_tickets: bool,
    has_members: bool,
    #[serde(default)]
    has_access: bool,
    #[serde(default)]
    has_jobs: bool,
    #[serde(default)]
    has_identities: bool,
    gaps: Vec<Gap>,
    /// Present when the packet holds samples (`check --sample`): re-performance re-draws them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sampling: Option<super::sample::Sampling>,
}

/// Everything a packet is made from.
pub struct PacketInput<'a> {
    pub controls: &'a [SourceFile],
    pub policies: &'a [SourceFile],
    pub catalog: &'a Catalog,
    pub snapshot: &'a Snapshot,
    pub only: &'a [String],
    pub run_at: jiff::Timestamp,
    pub controls_commit: Option<String>,
    pub sign: Option<&'a Path>,
    /// Where each source stopped and how it proved completeness (manifest `sources`).
    pub provenance: &'a Provenance,
    /// The root of the previous packet of the same scope, already verified by the caller.
    pub previous_root: Option<Digest>,
    /// Draw each control's sample into `results/samples/` (seeded by the packet's results).
    pub sample: Option<super::sample::Sampling>,
    /// Told the path and size of each file once it is on disk.
    pub progress: Option<FileWritten>,
}

/// Told the path and size of each packet file once it is on disk (for a progress line).
pub type FileWritten = std::sync::Arc<dyn Fn(&str, u64) + Send + Sync>;

/// Writes the packet to `out` (a directory, or a `.tar` file) and returns its root and the
/// results it records (those of the redacted snapshot).
pub fn write(
    out: &Path,
    input: &PacketInput<'_>,
    notes: &mut Vec<Note>,
) -> Result<(String, Results), Error> {
    // Each file goes to disk (a staging directory beside `out`) as it is made: memory holds
    // one file at a time, not the packet.
    let mut builder = PacketBuilder::to(out, is_tar(out), meta(input), redactor(input.catalog)?)
        .map_err(Error::usage)?;
    if let Some(progress) = input.progress.clone() {
        builder.on_written(Box::new(move |path, size| progress(path, size)));
    }
    if let Some(token) = std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.is_empty()) {
        builder.forbid(&token);
    }
    add_inputs(&mut builder, "inputs/controls", input.controls)?;
    add_inputs(&mut builder, "inputs/policies", input.policies)?;
    let redacted = add_snapshot(&mut builder, input, notes)?;
    add_provenance(&mut builder, input.provenance, notes)?;
    let results = evaluate::evaluate(input.catalog, &redacted, input.only);
    add_results(&mut builder, &results)?;
    if let Some(sampling) = &input.sample {
        super::sample::add_samples(&mut builder, input.catalog, &results, sampling)?;
    }
    if let Some(path) = input.sign {
        let key = evidence::sign::read_signing_key(path).map_err(Error::usage)?;
        builder.sign_with(key);
    }
    let packet = builder.build().map_err(Error::usage)?;
    let root = packet.root().hex();
    packet.write().map_err(Error::usage)?;
    Ok((root, results))
}

fn meta(input: &PacketInput<'_>) -> PacketMeta {
    PacketMeta {
        scope: scope(input.catalog),
        period: input.snapshot.period.clone(),
        run_at: input.run_at,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        controls_commit: input.controls_commit.clone(),
        sources: input.provenance.records.clone(),
        previous_root: input.previous_root,
    }
}

/// The sources' detail files (GitHub branch protection as synced), redacted like snapshots:
/// bypass lists name people.
fn add_provenance(
    builder: &mut PacketBuilder,
    provenance: &Provenance,
    notes: &mut Vec<Note>,
) -> Result<(), Error> {
    for (path, value) in &provenance.files {
        let fail = |e: String| Error::Usage(format!("{path}: {e}"));
        let mut line = serde_json::to_vec(value).map_err(|e| fail(e.to_string()))?;
        line.push(b'\n');
        let text = builder
            .redactor()
            .redact_jsonl(&line)
            .map_err(|e| fail(e.to_string()))?;
        note_redacted(builder, path, notes);
        builder
            .add_file(path, text)
            .map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}

/// Reads and verifies the previous packet of the same scope and returns its root: a chain
/// link to a packet that does not verify, or belongs to another scope, is refused.
pub fn previous_root(previous: &Path, catalog: &Catalog) -> Result<Digest, Error> {
    let report = evidence::verify(previous, &evidence::VerifyOptions::default());
    let bad = |why: String| Error::Usage(format!("--previous {}: {why}", previous.display()));
    if !report.ok() {
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        return Err(bad(format!("does not verify: {}", problems.join("; "))));
    }
    let scope = scope(catalog);
    match (&report.scope, report.root) {
        (Some(found), Some(root)) if *found == scope => Ok(root),
        (Some(found), Some(_)) => Err(bad(format!(
            "has scope `{found}`, this check writes `{scope}`"
        ))),
        _ => Err(bad("has no manifest root".into())),
    }
}

/// What the chain links: every `check` packet of one organisation.
fn scope(catalog: &Catalog) -> String {
    let org = catalog
        .policies
        .iter()
        .find_map(|p| p.value.organisation.as_ref().map(|o| o.name.clone()))
        .unwrap_or_else(|| "itgc".to_string());
    format!("{org}/check")
}

/// The organisation's redaction rules, keyed by `ITGC_PSEUDONYM_KEY` when it is set.
fn redactor(catalog: &Catalog) -> Result<Redactor, Error> {
    let rules: Vec<_> = catalog
        .policies
        .iter()
        .flat_map(|p| p.value.redaction.iter().cloned())
        .collect();
    let key = match std::env::var("ITGC_PSEUDONYM_KEY") {
        Ok(k) if !k.is_empty() => PseudonymKey::secret(k.into_bytes()),
        _ => Ok(PseudonymKey::unkeyed()),
    };
    key.and_then(|k| Redactor::new(&rules, k))
        .map_err(|e| Error::Usage(format!("redaction rules: {e}")))
}

fn add_inputs(builder: &mut PacketBuilder, dir: &str, files: &[SourceFile]) -> Result<(), Error> {
    for file in files {
        let name = Path::new(&file.name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.name.clone());
        builder
            .add_file(&format!("{dir}/{name}"), file.bytes.clone())
            .map_err(Error::usage)?;
    }
    Ok(())
}

/// Adds the snapshot as redacted JSON Lines and returns it as read back from those lines,
/// exactly as re-performance will read it.
fn add_snapshot(
    builder: &mut PacketBuilder,
    input: &PacketInput<'_>,
    notes: &mut Vec<Note>,
) -> Result<Snapshot, Error> {
    let s = input.snapshot;
    let identities = identities(builder, input.catalog)?;
    let meta = Meta {
        period: s.period.clone(),
        controls: input.only.to_vec(),
        has_tickets: s.tickets.is_some(),
        has_members: s.members.is_some(),
        has_access: s.access.is_some(),
        has_jobs: s.jobs.is_some(),
        has_identities: !identities.is_empty(),
        gaps: s.gaps.clone(),
        sampling: input.sample.clone(),
    };
    let fail = |path: &str, e: String| Error::Usage(format!("{path}: {e}"));
    let mut written = vec![CHANGES, TICKETS, MEMBERS];
    add_jsonl(builder, CHANGES, &s.changes, notes)?;
    add_jsonl(
        builder,
        TICKETS,
        s.tickets.as_deref().unwrap_or_default(),
        notes,
    )?;
    add_jsonl(
        builder,
        MEMBERS,
        s.members.as_deref().unwrap_or_default(),
        notes,
    )?;
    if let Some(access) = &s.access {
        add_jsonl(builder, ACCESS, access::lines(access), notes)?;
        written.push(ACCESS);
    }
    if let Some(jobs) = &s.jobs {
        add_jsonl(builder, JOBS, std::slice::from_ref(jobs), notes)?;
        written.push(JOBS);
    }
    if !identities.is_empty() {
        add_jsonl(builder, IDENTITIES, &identities, notes)?;
        written.push(IDENTITIES);
    }
    builder
        .add_json(META, &meta)
        .map_err(|e| fail(META, e.to_string()))?;
    // Read back from the packet's own bytes, a line at a time.
    let open = |path: &str| -> Result<Box<dyn BufRead + '_>, SnapshotError> {
        match written.contains(&path) {
            true => builder.open(path).map_err(|e| SnapshotError {
                path: path.to_string(),
                message: e.to_string(),
            }),
            false => Err(missing(path)),
        }
    };
    read_snapshot(&meta, &open).map_err(Error::usage)
}

/// Writes `records` as the JSON Lines file `path`, a line at a time: each record in
/// canonical JSON, redacted (except the identity map, which pairs policy text, already in the
/// packet unredacted as input, with its pseudonym: redacting it would erase the pairing).
fn add_jsonl<T: Serialize>(
    builder: &mut PacketBuilder,
    path: &str,
    records: impl IntoIterator<Item = T>,
    notes: &mut Vec<Note>,
) -> Result<(), Error> {
    let fail = |e: String| Error::Usage(format!("{path}: {e}"));
    let mut file = builder.begin(path).map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    for (i, record) in records.into_iter().enumerate() {
        let line = evidence::to_canonical(&record)
            .map_err(|e| Error::Usage(format!("cannot serialise a snapshot record: {e}")))?;
        out.clear();
        if path == IDENTITIES {
            out.extend(line);
            out.push(b'\n');
        } else {
            builder
                .redactor()
                .redact_line(i + 1, &line, &mut out)
                .map_err(|e| fail(e.to_string()))?;
        }
        file.write(&out).map_err(|e| fail(e.to_string()))?;
    }
    builder.commit(file).map_err(|e| fail(e.to_string()))?;
    if path != IDENTITIES {
        note_redacted(builder, path, notes);
    }
    Ok(())
}

/// Notes where redaction removed a credential from the snapshot file at `path` (which field,
/// which shape, which marker), never the credential: the packet is written without it, and
/// its evaluation (and any re-performance) reads the redacted text.
fn note_redacted(builder: &mut PacketBuilder, path: &str, notes: &mut Vec<Note>) {
    for hit in builder.redactor().take_credentials() {
        notes.push(Note::CredentialRedacted {
            path: path.to_string(),
            hit: hit.to_string(),
        });
    }
}

/// One policy identity and its spelling in the redacted snapshot.
#[derive(Debug, Serialize, Deserialize)]
struct Identity {
    policy: String,
    packet: String,
}

/// Every identity-like string of the policies, as redaction spells it (empty when redaction
/// changes none of them).
fn identities(builder: &mut PacketBuilder, catalog: &Catalog) -> Result<Vec<Identity>, Error> {
    let mut found = BTreeMap::new();
    for policy in &catalog.policies {
        let value = serde_json::to_value(&policy.value)
            .map_err(|e| Error::Usage(format!("cannot read policy: {e}")))?;
        found.extend(builder.redactor().identities(&value));
    }
    Ok(found
        .into_iter()
        .filter(|(policy, packet)| policy != packet)
        .map(|(policy, packet)| Identity { policy, packet })
        .collect())
}

fn add_results(builder: &mut PacketBuilder, results: &Results) -> Result<(), Error> {
    let fail = |e: evidence::PacketError| Error::Usage(e.to_string());
    builder.add_json(RESULTS, results).map_err(fail)?;
    for control in &results.controls {
        let ids: Vec<&str> = control.items.iter().map(|i| i.item.as_str()).collect();
        let population = serde_json::json!({ "fingerprint": control.population, "items": ids });
        let path = format!("populations/{}.json", control.control);
        builder.add_json(&path, &population).map_err(fail)?;
    }
    let findings: Vec<serde_json::Value> = results
        .controls
        .iter()
        .flat_map(|c| report::findings(&c.items).map(move |i| (c, i)))
        .map(|(c, i)| serde_json::json!({ "control": c.control, "finding": i }))
        .collect();
    builder.add_json("findings.json", &findings).map_err(fail)?;
    for (name, format) in [
        ("reports/check.md", Format::Markdown),
        ("reports/check.sarif", Format::Sarif),
        ("reports/check.junit.xml", Format::Junit),
    ] {
        let text = report::render(format, results, false);
        builder
            .add_rendering(name, text.into_bytes())
            .map_err(fail)?;
    }
    let html = report::html::render(results, &[])
        .map_err(|e| Error::Usage(format!("HTML report: {e}")))?;
    builder
        .add_rendering("reports/report.html", html.into_bytes())
        .map_err(fail)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
struct SnapshotError {
    path: String,
    message: String,
}

/// Opens one snapshot file of the packet for reading, a line at a time.
type Open<'o> = dyn Fn(&str) -> Result<Box<dyn BufRead + 'o>, SnapshotError> + 'o;

fn read_snapshot(meta: &Meta, open: &Open<'_>) -> Result<Snapshot, SnapshotError> {
    let changes: Vec<Change> = lines(open, CHANGES)?;
    let tickets: Vec<Ticket> = lines(open, TICKETS)?;
    let members: Vec<OrgMember> = lines(open, MEMBERS)?;
    Ok(Snapshot {
        period: meta.period.clone(),
        changes,
        tickets: meta.has_tickets.then_some(tickets),
        members: meta.has_members.then_some(members),
        access: access_part(meta.has_access, open)?,
        jobs: part(meta.has_jobs, open, JOBS)?,
        identities: if meta.has_identities {
            lines::<Identity>(open, IDENTITIES)?
                .into_iter()
                .map(|i| (i.policy, i.packet))
                .collect()
        } else {
            BTreeMap::new()
        },
        gaps: meta.gaps.clone(),
    })
}

fn missing(path: &str) -> SnapshotError {
    SnapshotError {
        path: path.to_string(),
        message: "missing from the packet".into(),
    }
}

/// The access part (see [`access`]), when the meta file says it exists.
fn access_part(present: bool, open: &Open<'_>) -> Result<Option<AccessSnapshot>, SnapshotError> {
    if !present {
        return Ok(None);
    }
    let mut lines = Lines::new(open(ACCESS)?);
    let access = access::read(&mut lines);
    lines.finish(ACCESS)?;
    access
        .map(Some)
        .map_err(|(n, message)| line_error(ACCESS, n, message))
}

/// A snapshot part stored as a single JSON line, when the meta file says it exists.
fn part<T: serde::de::DeserializeOwned>(
    present: bool,
    open: &Open<'_>,
    path: &str,
) -> Result<Option<T>, SnapshotError> {
    if !present {
        return Ok(None);
    }
    let mut values: Vec<T> = lines(open, path)?;
    match (values.pop(), values.is_empty()) {
        (Some(value), true) => Ok(Some(value)),
        _ => Err(SnapshotError {
            path: path.to_string(),
            message: "must hold exactly one JSON line".into(),
        }),
    }
}

fn lines<T: serde::de::DeserializeOwned>(
    open: &Open<'_>,
    path: &str,
) -> Result<Vec<T>, SnapshotError> {
    let mut lines = Lines::new(open(path)?);
    let values = (&mut lines)
        .map(|(n, line)| serde_json::from_slice(&line).map_err(|e| line_error(path, n, e)))
        .collect::<Result<Vec<T>, _>>()?;
    lines.finish(path)?;
    Ok(values)
}

/// The non-empty lines of a file, with their index (0-based), read one at a time. A read
/// error ends the lines and is kept for [`finish`](Lines::finish).
struct Lines<'r> {
    reader: Box<dyn BufRead + 'r>,
    index: usize,
    error: Option<std::io::Error>,
}

impl<'r> Lines<'r> {
    fn new(reader: Box<dyn BufRead + 'r>) -> Lines<'r> {
        Lines {
            reader,
            index: 0,
            error: None,
        }
    }

    fn finish(self, path: &str) -> Result<(), SnapshotError> {
        match self.error {
            Some(e) => Err(SnapshotError {
                path: path.to_string(),
                message: e.to_string(),
            }),
            None => Ok(()),
        }
    }
}

impl Iterator for Lines<'_> {
    type Item = (usize, Vec<u8>);

    fn next(&mut self) -> Option<(usize, Vec<u8>)> {
        loop {
            let mut line = Vec::new();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.error = Some(e);
                    return None;
                }
            }
            let index = self.index;
            self.index += 1;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if !line.is_empty() {
                return Some((index, line));
            }
        }
    }
}

fn line_error(path: &str, index: usize, problem: impl std::fmt::Display) -> SnapshotError {
    SnapshotError {
        path: path.to_string(),
        message: format!("line {}: {problem}", index + 1),
    }
}

/// Re-performs a `check` packet: its own control and policy bytes, its own redacted snapshot,
/// the same evaluation; the results file must come out byte-identical.
pub struct CheckReperform;

impl Reperform for CheckReperform {
    fn reperform(
        &self,
        manifest: &Manifest,
        files: &dyn PacketFiles,
    ) -> Result<BTreeMap<String, Vec<u8>>, ReperformError> {
        let read = |path: &str| {
            files.read(path).map_err(|e| ReperformError::Input {
                path: path.to_string(),
                message: e.to_string(),
            })
        };
        let inputs = |dir: &str| -> Result<Vec<SourceFile>, ReperformError> {
            files
                .paths()
                .into_iter()
                .filter(|p| p.starts_with(dir))
                .map(|p| {
                    Ok(SourceFile {
                        name: p.to_string(),
                        bytes: read(p)?,
                    })
                })
                .collect()
        };
        let controls = inputs("inputs/controls/")?;
        let policies = inputs("inputs/policies/")?;
        let catalog = super::sample::packet_catalog(&manifest.run_at, &controls, &policies)
            .map_err(ReperformError::Failed)?;
        let meta: Meta =
            serde_json::from_slice(&read(META)?).map_err(|e| ReperformError::Input {
                path: META.into(),
                message: e.to_string(),
            })?;
        let mut snapshot_files = BTreeMap::new();
        for path in [CHANGES, TICKETS, MEMBERS] {
            snapshot_files.insert(path.to_string(), read(path)?);
        }
        let optional = [
            (meta.has_access, ACCESS),
            (meta.has_jobs, JOBS),
            (meta.has_identities, IDENTITIES),
        ];
        for (present, path) in optional {
            if present {
                snapshot_files.insert(path.to_string(), read(path)?);
            }
        }
        let open = |path: &str| -> Result<Box<dyn BufRead + '_>, SnapshotError> {
            match snapshot_files.get(path) {
                Some(bytes) => Ok(Box::new(bytes.as_slice())),
                None => Err(missing(path)),
            }
        };
        let snapshot = read_snapshot(&meta, &open).map_err(|e| ReperformError::Input {
            path: e.path.clone(),
            message: e.message,
        })?;
        let results = evaluate::evaluate(&catalog, &snapshot, &meta.controls);
        let bytes = evidence::to_canonical(&results)
            .map_err(|e| ReperformError::Failed(format!("cannot serialise results: {e}")))?;
        let mut out = BTreeMap::from([(RESULTS.to_string(), bytes)]);
        if let Some(sampling) = &meta.sampling {
            let drawn = super::sample::samples(&catalog, &results, &manifest.files, sampling)
                .map_err(ReperformError::Failed)?;
            out.extend(drawn);
        }
        Ok(out)
    }
}

/// A packet path given on the command line, refused when it exists and is not a packet.
pub fn check_target(out: &Path) -> Result<PathBuf, Error> {
    evidence::check_target(out, is_tar(out)).map_err(Error::usage)?;
    Ok(out.to_path_buf())
}

/// A `.tar` target is written as one archive; anything else as a directory.
fn is_tar(out: &Path) -> bool {
    out.extension().is_some_and(|e| e == "tar")
}
