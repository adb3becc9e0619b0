//! The few claims of an access token that say which tenant and who: read from the token's payload, never from its
//! signature (the token is the one Entra just gave this process, for Graph), and never kept or logged beyond them.
//!
//! Microsoft Entra access tokens for Graph are JWTs whose payload names the tenant (`tid`), the caller's object id
//! (`oid`), a user's sign-in name (`upn`, or `unique_name`), and the application (`appid` in v1.0 tokens, `azp` in
//! v2.0; `app_displayname`); `idtyp` is `app` for an application's own token. A token that is not a JWT (one given
//! through `PIMCTL_ACCESS_TOKEN` by another tool, an emulator's) has no claims to read: the caller then asks Graph
//! (`observe::tenant`).

use crate::model::{Caller, CallerKind, Tenant};
use serde::Deserialize;

/// The claims pimctl reads. Everything else in the payload is ignored (and not kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenClaims {
    pub tid: Option<String>,
    pub oid: Option<String>,
    pub upn: Option<String>,
    pub unique_name: Option<String>,
    pub appid: Option<String>,
    pub azp: Option<String>,
    pub app_displayname: Option<String>,
    pub idtyp: Option<String>,
    /// Delegated scopes: present only in a token acting for a user.
    pub scp: Option<String>,
}

impl TokenClaims {
    /// The claims of a JWT (`header.payload.signature`, base64url), or `None` for anything else.
    pub fn read(token: &str) -> Option<TokenClaims> {
        let mut parts = token.trim().split('.');
        let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || payload.len() > 64 * 1024 {
            return None;
        }
        let bytes = azure_core::base64::decode_url_safe(payload).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The tenant the token was issued for.
    pub fn tenant(&self) -> Option<Tenant> {
        let tid = self.tid.as_deref().filter(|t| !t.trim().is_empty())?;
        Some(Tenant::new(tid, None))
    }

    /// Who the token acts for.
    pub fn caller(&self) -> Caller {
        let user_name = self.upn.clone().or_else(|| self.unique_name.clone());
        let app =
            self.idtyp.as_deref() == Some("app") || (self.scp.is_none() && user_name.is_none());
        Caller {
            kind: if app {
                CallerKind::App
            } else {
                CallerKind::User
            },
            name: if app {
                self.app_displayname.clone()
            } else {
                user_name
            },
            app_id: self.appid.clone().or_else(|| self.azp.clone()),
            object_id: self.oid.clone(),
        }
    }
}

/// An unsigned JWT carrying `claims` (`alg: none`): what the emulator hands out as its tenant's access token.
pub fn unsigned_jwt(claims: &serde_json::Value) -> String {
    let enc = |v: &serde_json::Value| azure_core::base64::encode_url_safe(v.to_string());
    format!(
        "{}.{}.",
        enc(&serde_json::json!({"typ": "JWT", "alg": "none"})),
        enc(claims)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_token_names_its_tenant_and_application() {
        let t = unsigned_jwt(&serde_json::json!({
            "aud": "https://graph.microsoft.com", "tid": "4D3C2B1A-0F9E-4D8C-8B7A-6F5E4D3C2B1A",
            "oid": "3c1e", "appid": "7a1b", "app_displayname": "pimctl-ci", "idtyp": "app",
            "roles": ["RoleManagement.ReadWrite.Directory"]
        }));
        let c = TokenClaims::read(&t).expect("a JWT");
        assert_eq!(
            c.tenant().unwrap().id,
            "4d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a"
        );
        assert_eq!(
            c.caller().to_string(),
            "app pimctl-ci (app 7a1b, object 3c1e)"
        );
    }

    #[test]
    fn a_user_token_names_the_user() {
        let t = unsigned_jwt(&serde_json::json!({
            "tid": "t", "oid": "9f", "upn": "alice@contoso.com", "appid": "04b07795", "scp": "User.Read"
        }));
        let c = TokenClaims::read(&t).unwrap().caller();
        assert_eq!(c.kind, CallerKind::User);
        assert_eq!(c.name.as_deref(), Some("alice@contoso.com"));
        // v1.0 tokens of some accounts carry `unique_name` instead.
        let t = unsigned_jwt(
            &serde_json::json!({"tid": "t", "unique_name": "bob@contoso.com", "scp": "x"}),
        );
        assert_eq!(
            TokenClaims::read(&t).unwrap().caller().name.as_deref(),
            Some("bob@contoso.com")
        );
    }

    #[test]
    fn anything_but_a_jwt_has_no_claims() {
        for t in ["emulator", "a.b", "a.b.c.d", "eyJ.!!!.x", "", "x.e30"] {
            assert_eq!(TokenClaims::read(t), None, "{t}");
        }
        // A JWT without a tenant id names none.
        let t = unsigned_jwt(&serde_json::json!({"oid": "1"}));
        assert_eq!(TokenClaims::read(&t).unwrap().tenant(), None);
    }
}
