//! The GraphQL documents. Each query carries only the fragments it uses (GraphQL rejects a
//! document with an unused fragment).
//!
//! Page sizes keep one search page at roughly 25k nodes and ~30 rate-limit points: 50 pull
//! requests × (50 reviews, 50 commits × 5 authors, 100 checks, 50 events, 20 labels). An
//! ordinary pull request fits; a bigger one gets follow-up queries for what overflowed.

/// Pull requests per search page.
pub const PAGE: u32 = 50;
/// Search slices (base branches or date ranges) per request: at most 100 pull requests each.
pub const SLICES_PER_REQUEST: usize = 2;

const ACTOR: &str = "fragment actor on Actor { __typename login }";

const REVIEW: &str =
    "fragment review on PullRequestReview { author { ...actor } state submittedAt commit { oid } }";

const GIT_COMMIT: &str = "fragment gitCommit on Commit { oid authoredDate committedDate message \
     authors(first: 5) { totalCount pageInfo { hasNextPage endCursor } \
     nodes { name email user { login } } } }";

const CONTEXT: &str = "fragment context on StatusCheckRollupContext { __typename \
     ... on CheckRun { name status conclusion completedAt } \
     ... on StatusContext { context state createdAt } }";

const EVENT: &str = "fragment event on PullRequestTimelineItems { __typename \
     ... on ReviewDismissedEvent { createdAt actor { ...actor } review { author { ...actor } } } \
     ... on HeadRefForcePushedEvent { createdAt actor { ...actor } afterCommit { oid } } \
     ... on AddedToMergeQueueEvent { createdAt actor { ...actor } enqueuer { login } } }";

/// The approval-relevant timeline events. Plain pushes have no event with a time (GitHub
/// dropped `pushedDate`); they show as commits and as reviews of an older commit.
const EVENT_TYPES: &str =
    "[REVIEW_DISMISSED_EVENT, HEAD_REF_FORCE_PUSHED_EVENT, ADDED_TO_MERGE_QUEUE_EVENT]";

const PAGE_INFO: &str = "pageInfo { hasNextPage endCursor }";

fn pr_fragment() -> String {
    format!(
        "fragment pr on PullRequest {{ number title body mergedAt \
         baseRefName headRefName headRefOid \
         author {{ ...actor }} mergedBy {{ ...actor }} mergeCommit {{ oid }} \
         labels(first: 20) {{ totalCount {PAGE_INFO} nodes {{ name }} }} \
         reviews(first: 50) {{ totalCount {PAGE_INFO} nodes {{ ...review }} }} \
         commits(first: 50) {{ totalCount {PAGE_INFO} nodes {{ commit {{ ...gitCommit }} }} }} \
         head: commits(last: 1) {{ totalCount nodes {{ commit {{ oid statusCheckRollup {{ \
           contexts(first: 100) {{ totalCount {PAGE_INFO} nodes {{ ...context }} }} }} }} }} }} \
         timelineItems(first: 50, itemTypes: {EVENT_TYPES}) {{ totalCount {PAGE_INFO} nodes {{ ...event }} }} }}"
    )
}

/// Branch protection and rulesets, for the evidence. Raw JSON is kept, so the selection is
/// the audit-relevant settings by GitHub's own names.
const PROTECTION: &str = "fragment protection on Repository { nameWithOwner viewerCanAdminister \
     viewerPermission defaultBranchRef { name } \
     branchProtectionRules(first: 100) { totalCount nodes { pattern isAdminEnforced \
       requiresApprovingReviews requiredApprovingReviewCount dismissesStaleReviews \
       requiresCodeOwnerReviews requireLastPushApproval restrictsReviewDismissals \
       requiresStatusChecks requiresStrictStatusChecks requiredStatusCheckContexts \
       requiresLinearHistory requiresCommitSignatures requiresConversationResolution \
       allowsForcePushes allowsDeletions restrictsPushes blocksCreations lockBranch \
       bypassPullRequestAllowances(first: 50) { totalCount nodes { actor { ...allowed } } } \
       bypassForcePushAllowances(first: 50) { totalCount nodes { actor { ...allowed } } } } } \
     rulesets(first: 50, includeParents: true) { totalCount nodes { name enforcement target \
       source { __typename ... on Repository { nameWithOwner } ... on Organization { login } \
         ... on Enterprise { slug } } \
       conditions { refName { include exclude } } \
       rules(first: 50) { totalCount nodes { type parameters { __typename \
         ... on PullRequestParameters { requiredApprovingReviewCount dismissStaleReviewsOnPush \
           requireCodeOwnerReview requireLastPushApproval requiredReviewThreadResolution } \
         ... on RequiredStatusChecksParameters { strictRequiredStatusChecksPolicy \
           requiredStatusChecks { context integrationId } } } } } \
       bypassActors(first: 50) { totalCount nodes { bypassMode organizationAdmin \
         repositoryRoleName deployKey enterpriseOwner \
         actor { __typename ... on App { slug } ... on Team { slug } } } } } } }";

const ALLOWED: &str = "fragment allowed on BranchActorAllowanceActor { __typename \
     ... on User { login } ... on Team { slug } ... on App { slug } }";

/// One search alias in a page request.
#[derive(Debug, Clone)]
pub struct SearchAlias {
    pub alias: String,
    pub first: u32,
}

/// A page request: search aliases (`s0`, `s1`…, variables `$q0`/`$a0`…), optional count
/// aliases (`t0`…, variable `$t0`…) and optionally the repository's protection.
///
/// `$owner` and `$name` are declared only with the protection part, their only user: GitHub
/// refuses a document that declares a variable it does not use.
pub fn page(searches: &[SearchAlias], counts: &[String], protection: bool) -> String {
    let mut vars = Vec::new();
    if protection {
        vars.extend(["$owner: String!".to_string(), "$name: String!".to_string()]);
    }
    let mut body = Vec::new();
    for s in searches {
        let a = &s.alias;
        vars.push(format!("$q_{a}: String!, $a_{a}: String"));
        body.push(format!(
            "{a}: search(type: ISSUE, query: $q_{a}, first: {}, after: $a_{a}) \
             {{ issueCount {PAGE_INFO} nodes {{ ...pr }} }}",
            s.first
        ));
    }
    for c in counts {
        vars.push(format!("$q_{c}: String!"));
        body.push(format!(
            "{c}: search(type: ISSUE, query: $q_{c}, first: 1) {{ issueCount }}"
        ));
    }
    if protection {
        body.push("repository(owner: $owner, name: $name) { ...protection }".into());
    }
    let mut fragments = Vec::new();
    if !searches.is_empty() {
        fragments.extend([
            pr_fragment(),
            ACTOR.into(),
            REVIEW.into(),
            GIT_COMMIT.into(),
        ]);
        fragments.extend([CONTEXT.to_string(), EVENT.to_string()]);
    }
    if protection {
        fragments.extend([PROTECTION.to_string(), ALLOWED.to_string()]);
    }
    format!(
        "query({}) {{ rateLimit {{ cost remaining resetAt }} {} }}\n{}",
        vars.join(", "),
        body.join(" "),
        fragments.join("\n")
    )
}

/// A connection of one pull request that overflowed its first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Nested {
    Labels,
    Reviews,
    Commits,
    Timeline,
}

impl Nested {
    /// Every connection a follow-up can page through.
    pub const ALL: [Nested; 4] = [
        Nested::Labels,
        Nested::Reviews,
        Nested::Commits,
        Nested::Timeline,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Nested::Labels => "labels",
            Nested::Reviews => "reviews",
            Nested::Commits => "commits",
            Nested::Timeline => "timeline events",
        }
    }

    /// The query for the next page; its connection is at `/repository/pullRequest/conn`.
    pub fn query(self) -> String {
        let (field, nodes, fragments): (String, &str, &[&str]) = match self {
            Nested::Labels => ("labels(first: 100, after: $after)".into(), "name", &[]),
            Nested::Reviews => (
                "reviews(first: 100, after: $after)".into(),
                "...review",
                &[REVIEW, ACTOR],
            ),
            Nested::Commits => (
                "commits(first: 100, after: $after)".into(),
                "commit { ...gitCommit }",
                &[GIT_COMMIT],
            ),
            Nested::Timeline => (
                format!("timelineItems(first: 100, after: $after, itemTypes: {EVENT_TYPES})"),
                "...event",
                &[EVENT, ACTOR],
            ),
        };
        format!(
            "query($owner: String!, $name: String!, $number: Int!, $after: String) {{ \
             repository(owner: $owner, name: $name) {{ pullRequest(number: $number) {{ \
             conn: {field} {{ totalCount {PAGE_INFO} nodes {{ {nodes} }} }} }} }} }}\n{}",
            fragments.join("\n")
        )
    }
}

/// The next page of a commit's status checks; the connection is at
/// `/repository/object/statusCheckRollup/contexts`.
pub fn checks() -> String {
    format!(
        "query($owner: String!, $name: String!, $oid: GitObjectID!, $after: String) {{ \
         repository(owner: $owner, name: $name) {{ object(oid: $oid) {{ ... on Commit {{ \
         statusCheckRollup {{ contexts(first: 100, after: $after) {{ totalCount {PAGE_INFO} \
         nodes {{ ...context }} }} }} }} }} }} }}\n{CONTEXT}"
    )
}

/// The next page of a commit's authors; the connection is at `/repository/object/authors`.
pub fn authors() -> String {
    format!(
        "query($owner: String!, $name: String!, $oid: GitObjectID!, $after: String) {{ \
         repository(owner: $owner, name: $name) {{ object(oid: $oid) {{ ... on Commit {{ \
         authors(first: 100, after: $after) {{ totalCount {PAGE_INFO} \
         nodes {{ name email user {{ login }} }} }} }} }} }} }}"
    )
}

/// Every shape of document this module builds, named `template: variant` after the function
/// that builds it: a search page with and without its count and protection parts, each follow-up. The
/// schema test (`tests/github_schema.rs`) validates each against GitHub's published schema.
pub fn documents() -> Vec<(String, String)> {
    let search = || SearchAlias {
        alias: "s0".into(),
        first: PAGE,
    };
    let count = || "t0".to_string();
    let mut docs = vec![
        (
            "page: first, full sync".into(),
            page(&[search()], &[], true),
        ),
        (
            "page: first, incremental".into(),
            page(
                &[search(), search_alias("s1")],
                &[count(), "t1".into()],
                true,
            ),
        ),
        ("page: next".into(), page(&[search()], &[], false)),
        ("page: counts only".into(), page(&[], &[count()], true)),
    ];
    for n in Nested::ALL {
        docs.push((format!("Nested::query: {n:?}"), n.query()));
    }
    docs.push(("checks".into(), checks()));
    docs.push(("authors".into(), authors()));
    docs
}

fn search_alias(alias: &str) -> SearchAlias {
    SearchAlias {
        alias: alias.into(),
        first: PAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fragment a document defines is used, and every spread is defined.
    fn fragments_balanced(doc: &str) {
        let defined: Vec<&str> = doc
            .split("fragment ")
            .skip(1)
            .filter_map(|f| f.split_whitespace().next())
            .collect();
        for name in &defined {
            assert!(
                doc.contains(&format!("...{name} ")) || doc.contains(&format!("...{name}}}")),
                "unused fragment {name} in {doc}"
            );
        }
        for spread in doc.split("...").skip(1).filter(|s| !s.starts_with(' ')) {
            let name = spread
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            assert!(
                defined.contains(&name),
                "undefined fragment {name} in {doc}"
            );
        }
    }

    #[test]
    fn documents_use_exactly_their_fragments() {
        let s = SearchAlias {
            alias: "s0".into(),
            first: PAGE,
        };
        fragments_balanced(&page(std::slice::from_ref(&s), &[], true));
        fragments_balanced(&page(&[s], &["t0".into()], false));
        fragments_balanced(&page(&[], &["t0".into()], true));
        for n in [
            Nested::Labels,
            Nested::Reviews,
            Nested::Commits,
            Nested::Timeline,
        ] {
            fragments_balanced(&n.query());
        }
        fragments_balanced(&checks());
        fragments_balanced(&authors());
    }

    #[test]
    fn braces_balance() {
        let s = SearchAlias {
            alias: "s0".into(),
            first: PAGE,
        };
        for doc in [
            page(&[s], &["t0".into()], true),
            Nested::Timeline.query(),
            checks(),
            authors(),
        ] {
            let open = doc.matches('{').count();
            assert_eq!(open, doc.matches('}').count(), "{doc}");
            assert_eq!(doc.matches('(').count(), doc.matches(')').count(), "{doc}");
        }
    }
}
