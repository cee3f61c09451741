//! Offline imports of pull-request data: `gh pr list` JSON and raw REST responses.
