//! Writes a synthetic evidence packet for `benches/hash.sh`: FILES files of SIZE bytes each
//! (the last in path order of LAST bytes when given: one huge file after many small ones),
//! spread over subdirectories of 1,000, with deterministic pseudo-random content, through the
//! real `PacketBuilder` streaming each file to disk as `check` does (so the manifest, root and
//! layout are exactly what `check` writes, and memory holds one file at a time).
//!
//! Usage: make_packet DIR FILES SIZE [LAST]

use std::path::PathBuf;
use std::process::ExitCode;

use itgc::evidence::{PacketBuilder, PacketMeta, PseudonymKey, Redactor};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, files, size, last) = match args.as_slice() {
        [dir, files, size] => (dir, files, size, None),
        [dir, files, size, last] => (dir, files, size, Some(last)),
        _ => {
            eprintln!("usage: make_packet DIR FILES SIZE [LAST]");
            return ExitCode::from(2);
        }
    };
    let last = last.map(|f| f.parse::<usize>()).transpose();
    let (Ok(files), Ok(size), Ok(last)) = (files.parse::<usize>(), size.parse::<usize>(), last)
    else {
        eprintln!("make_packet: FILES, SIZE and LAST must be numbers");
        return ExitCode::from(2);
    };
    match make(PathBuf::from(dir), files, size, last.unwrap_or(size)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("make_packet: {e}");
            ExitCode::FAILURE
        }
    }
}

fn make(
    dir: PathBuf,
    files: usize,
    size: usize,
    last: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let meta = PacketMeta {
        scope: "bench".into(),
        period: "2026-Q3".into(),
        run_at: "2026-10-01T00:00:00Z".parse()?,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        controls_commit: None,
        sources: Vec::new(),
        previous_root: None,
    };
    let redactor = Redactor::new(&[], PseudonymKey::unkeyed())?;
    let mut builder = PacketBuilder::to(&dir, false, meta, redactor)?;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for i in 0..files {
        let path = format!("snapshots/d{:03}/f{:06}.bin", i / 1000, i);
        let size = if i + 1 == files { last } else { size };
        builder.add_file(&path, bytes(&mut state, size))?;
    }
    builder.build()?.write()?;
    Ok(())
}

/// xorshift64: fast, deterministic, incompressible enough that no layer can shortcut it.
fn bytes(state: &mut u64, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 8);
    while out.len() < size {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(size);
    out
}
