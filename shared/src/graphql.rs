//! GraphQL queries typed against the committed schema.
