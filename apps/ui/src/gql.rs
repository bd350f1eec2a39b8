//! Pages read through GraphQL: one typed operation (from `shared::graphql`, checked against
//! the committed schema) per request, sent with the viewer's token when signed in.

use crate::PlatformHandle;
use cynic::http::ReqwestExt;

/// Runs `operation` against the api and returns its data, or a message for people: the api's
/// own message when it refused, otherwise what went wrong on the way.
pub async fn run<Q, V>(
    platform: &PlatformHandle,
    token: Option<String>,
    operation: cynic::Operation<Q, V>,
) -> Result<Q, String>
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
        .await
        .map_err(|e| format!("the server could not be reached ({e})"))?;
    match (resp.data, resp.errors) {
        (Some(data), _) => Ok(data),
        (None, Some(errors)) => Err(errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "the server refused".to_owned())),
        (None, None) => Err("the server sent no answer".to_owned()),
    }
}
