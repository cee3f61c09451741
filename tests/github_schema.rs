//! Every GraphQL document the GitHub client can send is valid against GitHub's published
//! schema (vendored in `tests/fixtures/github/schema.graphql`, see the README there): a field
//! GitHub renames or removes, a wrong argument, a fragment on the wrong type fails here with
//! the validator's own message instead of in a user's sync. The documents come from the
//! crate's own list (`graphql_documents`), which a unit test keeps complete.

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use itgc::source::github::api::graphql_documents;

const SCHEMA: &str = include_str!("fixtures/github/schema.graphql");

/// GitHub's published schema itself breaks one rule: `EnterpriseOwnerInfo` defines two fields
/// twice (identically). Those two, and only those, are tolerated; anything else wrong with
/// the vendored file fails the test (sorted as the test sorts them), so a bad update cannot make every document "valid".
const KNOWN_SCHEMA_FAULTS: [&str; 2] = [
    "duplicate definitions for the `repositoryDeployKeySettingOrganizations` field of object type `EnterpriseOwnerInfo`",
    "duplicate definitions for the `repositoryDeployKeySetting` field of object type `EnterpriseOwnerInfo`",
];

fn schema() -> Valid<Schema> {
    let invalid = match Schema::parse_and_validate(SCHEMA, "schema.graphql") {
        Ok(valid) => return valid,
        Err(invalid) => invalid,
    };
    let mut faults: Vec<String> = invalid.errors.iter().map(|d| d.error.to_string()).collect();
    faults.sort();
    faults.dedup();
    assert_eq!(
        faults, KNOWN_SCHEMA_FAULTS,
        "GitHub's schema:\n{}",
        invalid.errors
    );
    assert!(
        invalid.partial.types.len() > 1000,
        "the schema is cut short"
    );
    Valid::assume_valid(invalid.partial)
}

#[test]
fn every_document_the_client_sends_is_valid_against_githubs_schema() {
    let schema = schema();
    let documents = graphql_documents();
    let mut problems = Vec::new();
    for (name, text) in &documents {
        if let Err(invalid) = ExecutableDocument::parse_and_validate(&schema, text, name.as_str()) {
            problems.push(format!("{name}:\n{}", invalid.errors));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} documents do not validate:\n\n{}",
        problems.len(),
        documents.len(),
        problems.join("\n\n")
    );
    // Every template is there: four search-page shapes, four follow-ups, checks, authors,
    // and the four access queries.
    assert_eq!(documents.len(), 14);
}

#[test]
fn a_misspelt_field_is_caught() {
    // The validator really looks at fields: one renamed field in a real document fails.
    let schema = schema();
    let (name, text) = &graphql_documents()[0];
    let broken = text.replacen("mergedAt", "mergedAtt", 1);
    assert_ne!(&broken, text);
    let invalid = ExecutableDocument::parse_and_validate(&schema, &broken, name.as_str())
        .expect_err("a misspelt field must not validate");
    assert!(
        invalid.errors.to_string().contains("mergedAtt"),
        "{}",
        invalid.errors
    );
}
