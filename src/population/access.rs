//! The logical-access facts a period's access controls read (issue 5).

use serde::{Deserialize, Serialize};

/// Access lists, HR roster and review campaigns as of the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSnapshot {}
