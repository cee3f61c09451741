//! Live GitHub API client (GraphQL + REST) for merged pull requests.
