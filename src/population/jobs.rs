//! The computer-operations facts a period's job controls read (issue 6).

use serde::{Deserialize, Serialize};

/// Job definitions (with their history in the period) and run logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSnapshot {}
