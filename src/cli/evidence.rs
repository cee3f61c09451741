//! `itgc evidence`: make a signing key, verify a packet.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::progress::Progress;
use super::{Failure, Ui, fail};
use crate::evidence::sign::{self, KeyError};
use crate::evidence::{
    ChainStatus, ReperformStatus, Report, SignatureStatus, VerifyOptions, verify,
};
use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    pub command: EvidenceCommand,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Create an ed25519 signing key: KEYFILE (PKCS#8 PEM, mode 0600) and KEYFILE.pub (SPKI PEM).
    Keygen(KeygenArgs),
    /// Verify a packet (directory or .tar): every file's hash, the Merkle root, the
    /// signature, the chain link; exit 4 on any failure.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key; the public key goes to KEYFILE.pub.
    #[arg(long, value_name = "KEYFILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The packet: a directory or a .tar archive.
    pub packet: PathBuf,
    /// Public key (SPKI PEM, as written by `evidence keygen`) the signature must verify with.
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// The previous packet of the same scope: check this packet's chain link against it.
    #[arg(long, value_name = "PACKET")]
    pub previous: Option<PathBuf>,
    /// Re-run evaluation from the packet's own inputs and require identical results.
    #[arg(long)]
    pub reperform: bool,
}

pub fn run(args: &EvidenceArgs, ui: &Ui) -> Exit {
    match &args.command {
        EvidenceCommand::Keygen(args) => keygen(args, ui),
        EvidenceCommand::Verify(args) => verify_packet(args, ui),
    }
}

fn keygen(args: &KeygenArgs, ui: &Ui) -> Exit {
    let written = sign::generate().and_then(|key| sign::write_keypair(&args.out, &key));
    match written {
        Ok(public) => {
            ui.say(format!(
                "private key: {} (keep it secret)",
                args.out.display()
            ));
            ui.say(format!("public key:  {}", public.display()));
            Exit::Pass
        }
        Err(e) => fail(ui, Failure::usage(e.to_string())),
    }
}

fn verify_packet(args: &VerifyArgs, ui: &Ui) -> Exit {
    let key = match args.public_key.as_deref().map(sign::read_verifying_key) {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(e)) => return key_error(ui, e),
    };
    // Evaluation re-run from the packet's own controls, policies and snapshot.
    let hook = crate::run::packet::CheckReperform;
    // On a terminal, how far hashing has got; elsewhere (or with -q) nothing is drawn.
    let progress = Progress::new(ui);
    let show = |p: crate::evidence::Progress| {
        // Every 64th file of a many-file packet is enough for the eye.
        if p.files % 64 == 0 || p.files == p.of_files || p.of_files < 1024 {
            progress.hashed(
                "verifying",
                p.files,
                Some(p.of_files),
                p.bytes,
                Some(p.of_bytes),
            );
        }
    };
    let options = VerifyOptions {
        public_key: key.as_ref(),
        previous: args.previous.as_deref(),
        reperform: args.reperform.then_some(&hook as _),
        progress: Some(&show),
        ..VerifyOptions::default()
    };
    let report = verify(&args.packet, &options);
    progress.finish();
    if report.ok() {
        ui.say(format!("verified: {}", args.packet.display()));
        summary(&report).iter().for_each(|line| ui.say(line));
        return Exit::Pass;
    }
    for problem in &report.problems {
        eprintln!(
            "  {}",
            crate::report::escape::terminal(&problem.to_string())
        );
    }
    let n = report.problems.len();
    let message = format!(
        "{}: verification failed, {n} problem(s)",
        args.packet.display()
    );
    fail(ui, Failure::verify(message))
}

/// An unreadable or malformed key file is an input error: nothing was verified.
fn key_error(ui: &Ui, e: KeyError) -> Exit {
    fail(ui, Failure::usage(e.to_string()))
}

fn summary(report: &Report) -> Vec<String> {
    let root = report.root.map(|r| r.to_string()).unwrap_or_default();
    vec![
        format!("  root       {root}"),
        format!(
            "  scope      {}",
            report.scope.as_deref().unwrap_or_default()
        ),
        format!(
            "  period     {}",
            report.period.as_deref().unwrap_or_default()
        ),
        format!("  files      {} ({} bytes)", report.files, report.bytes),
        format!("  signature  {}", signature(&report.signature)),
        format!("  chain      {}", chain(&report.chain)),
        format!("  reperform  {}", reperform(&report.reperform)),
    ]
}

fn signature(status: &SignatureStatus) -> String {
    match status {
        SignatureStatus::Absent => "none (packet not signed)".into(),
        SignatureStatus::NotChecked => {
            "present, NOT checked (pass --public-key to check it)".into()
        }
        SignatureStatus::Verified { key_id } => format!("verified (key id {key_id})"),
        SignatureStatus::Failed => "FAILED".into(),
    }
}

fn chain(status: &ChainStatus) -> String {
    match status {
        ChainStatus::First => "first packet of its scope (no previous root)".into(),
        ChainStatus::NotChecked { previous } => {
            format!("previous root {previous}, NOT checked (pass --previous to check it)")
        }
        ChainStatus::Linked { previous } => format!("linked to previous root {previous}"),
        ChainStatus::Failed => "FAILED".into(),
    }
}

fn reperform(status: &ReperformStatus) -> String {
    match status {
        ReperformStatus::NotRequested => "not requested".into(),
        ReperformStatus::Skipped => "skipped".into(),
        ReperformStatus::Identical { files } => format!("identical ({files} result file(s))"),
        ReperformStatus::Failed => "FAILED".into(),
    }
}
