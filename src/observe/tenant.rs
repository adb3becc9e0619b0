//! Which tenant a client reads, and who it reads as.
//!
//! The access token says both, at no cost: its `tid` claim is the tenant, and `oid`, `upn`/`unique_name`, `appid`
//! and `app_displayname` the caller (`graph::client::claims`). A token that is not a JWT (given through
//! `PIMCTL_ACCESS_TOKEN` by another tool, or an emulator's test token) says neither; the tenant is then read from
//! Graph with one request, `GET /organization?$select=id,displayName` (any signed-in user may read it; an
//! application needs `Organization.Read.All`), and the caller stays unknown.

use crate::graph::Organization;
use crate::graph::client::{ClientError, GraphClient};
use crate::model::{Caller, Tenant};

/// The one request of the fallback.
pub(crate) const ORGANIZATION: &str = "/organization?$select=id,displayName";

/// The tenant the client acts in, and the caller when the token names it.
pub async fn identify(client: &GraphClient) -> Result<(Tenant, Option<Caller>), ClientError> {
    let claims = client.token_claims().await?;
    if let Some(c) = &claims
        && let Some(tenant) = c.tenant()
    {
        return Ok((tenant, Some(c.caller())));
    }
    let orgs: Vec<Organization> = client.list_all(ORGANIZATION).await?;
    match &orgs[..] {
        [org] => Ok((
            Tenant::new(&org.id, org.display_name.clone()),
            claims.map(|c| c.caller()),
        )),
        _ => Err(ClientError::Invalid(format!(
            "GET {ORGANIZATION} answered {} organizations; a tenant has exactly one",
            orgs.len()
        ))),
    }
}
