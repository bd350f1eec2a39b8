//! Pages read through GraphQL: one typed operation (from `shared::graphql`, checked against
//! the committed schema) per request, sent with the viewer's token when signed in.

use crate::PlatformHandle;
use cynic::http::ReqwestExt;
use std::fmt;

/// Why a request gave no data: the api's error code when it refused, and words for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: Option<String>,
    pub message: String,
}

impl Failure {
    /// The request needs a signed-in viewer and its token was missing, expired or revoked.
    pub fn signed_out(&self) -> bool {
        self.code.as_deref() == Some("unauthenticated")
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(serde::Deserialize, Debug)]
struct Extensions {
    code: Option<String>,
}

/// Runs `operation` against the api and returns its data, or why there is none: the api's
/// own message when it refused, otherwise what went wrong on the way.
pub async fn run<Q, V>(
    platform: &PlatformHandle,
    token: Option<String>,
    operation: cynic::Operation<Q, V>,
) -> Result<Q, Failure>
where
    Q: serde::de::DeserializeOwned + 'static,
    V: serde::Serialize,
{
    let mut req = reqwest::Client::new().post(format!("{}/graphql", platform.0.api_base()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req
        .run_graphql(operation)
        .retain_extensions::<Extensions>()
        .await
        .map_err(|e| Failure {
            code: None,
            message: format!("the server could not be reached ({e})"),
        })?;
    match (resp.data, resp.errors) {
        (Some(data), _) => Ok(data),
        (None, Some(errors)) => Err(errors
            .into_iter()
            .next()
            .map(|e| Failure {
                code: e.extensions.and_then(|x| x.code),
                message: e.message,
            })
            .unwrap_or_else(|| Failure {
                code: None,
                message: "the server refused".to_owned(),
            })),
        (None, None) => Err(Failure {
            code: None,
            message: "the server sent no answer".to_owned(),
        }),
    }
}

/// `video(id)` as the player needs it (the watch pages' must-have query): none when the
/// viewer may not see it.
pub async fn watch_video(
    platform: &PlatformHandle,
    token: Option<String>,
    id: String,
) -> Result<Option<shared::graphql::WatchVideo>, Failure> {
    use cynic::QueryBuilder;
    let args = shared::graphql::VideoArgs {
        id: cynic::Id::new(id),
    };
    run(platform, token, shared::graphql::WatchQuery::build(args))
        .await
        .map(|q| q.video)
}
