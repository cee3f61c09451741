//! `itgc` checks IT general controls (SOX ITGC, SOC 2) the way an auditor tests them: build the
//! complete population, test every item against declarative controls, record every deviation.
//!
//! Data flows one way: `source` → `store` → `population` → `evaluate` → `report` / `evidence`.
//! Each module is one stage; see `DESIGN.md` in the shared folder for the whole picture.

pub mod cli;
pub mod demo;
pub mod diagnostics;
pub mod evaluate;
pub mod evidence;
pub mod exit;
pub mod facts;
pub mod findings;
pub mod hex;
pub mod model;
pub mod notify;
pub mod period;
pub mod population;
pub mod report;
pub mod run;
pub mod sample;
pub mod source;
pub mod store;
pub mod trailers;
