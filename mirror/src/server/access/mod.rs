//! Who may do what. Users come from an htpasswd file (bcrypt), each with a role; clients prove
//! who they are with `Basic` credentials or with a bearer token from `/token` (the Docker/OCI
//! token flow that docker, podman, containerd and helm follow with any registry).
//!
//! | role | pull, list, charts, files, API, fleet reads | push | delete | fleet writes | admin API, metrics |
//! |---|---|---|---|---|---|
//! | anonymous (only if `anonymous_pull`) | yes | | | | |
//! | puller (users without a role) | yes | | | | |
//! | pusher | yes | yes | | | |
//! | operator | yes | | | yes | |
//! | admin | yes | yes | yes | yes | yes |
//!
//! An agent (a cluster's credential, `cluster/<name>`, see [`agent`]) is no user: it may pull
//! only `fleet/<name>` and call only the fleet's agent routes.
//!
//! A refusal is a 401 with a challenge when a better credential could succeed (no credentials,
//! bad ones, or a token without the needed scope), and a 403 when the user's role forbids it.

pub mod agent;
pub(super) mod guard;
mod htpasswd;
pub(super) mod limit;
mod request;
pub mod token;
pub(super) mod token_route;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::audit::failed_logins::FailedLogins;

pub use htpasswd::{basic_credentials, Htpasswd, HtpasswdError, LoginFailure};
use limit::LoginLimiter;
pub use limit::{LoginLimit, Rate};
pub use request::{
    retry_after, too_many_failed_logins, Actor, ClientAddr, LoginFailed, Need, Principal, Refusal,
};
use token::{Grant, Tokens, SERVICE};

/// What a user may do, each role including the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Puller,
    Pusher,
    /// Fleet writes (assign, override, rollout, registration) and reads; no push or delete.
    Operator,
    Admin,
}

impl Role {
    pub fn allows(self, action: Action) -> bool {
        match action {
            Action::Pull => true,
            Action::Push => matches!(self, Role::Pusher | Role::Admin),
            Action::Operate => matches!(self, Role::Operator | Role::Admin),
            Action::Delete | Action::Admin => self == Role::Admin,
            // Only a cluster's credential calls the agent routes.
            Action::Agent => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Puller => "puller",
            Role::Pusher => "pusher",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "puller" => Ok(Role::Puller),
            "pusher" => Ok(Role::Pusher),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?} (expected puller, pusher, operator or admin)"
            )),
        }
    }
}

/// The actions of token scopes (`pull`, `push`, `delete`), plus `admin` for the management
/// routes, `operate` for the fleet's writes and `agent` for the fleet's agent routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pull,
    Push,
    Delete,
    Admin,
    Operate,
    Agent,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::Delete => "delete",
            Action::Admin => "admin",
            Action::Operate => "operate",
            Action::Agent => "agent",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "pull" => Action::Pull,
            "push" => Action::Push,
            "delete" => Action::Delete,
            _ => return None,
        })
    }
}

/// The access settings of [`super::ServerConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// bcrypt htpasswd file of the users.
    pub htpasswd: Option<PathBuf>,
    /// Roles by user name; users of the htpasswd file without one are pullers.
    pub roles: BTreeMap<String, Role>,
    /// Lets clients without credentials pull. Off by default.
    pub anonymous_pull: bool,
    /// How long a bearer token lasts.
    pub token_ttl: Duration,
    /// Failed logins allowed per client address and per user name.
    pub login_limit: LoginLimit,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            htpasswd: None,
            roles: BTreeMap::new(),
            anonymous_pull: false,
            token_ttl: Duration::from_secs(300),
            login_limit: LoginLimit::default(),
        }
    }
}

/// The checked settings: users, roles and the token key.
#[derive(Debug)]
pub struct Access {
    /// `Err`: the htpasswd file was configured but could not be loaded; every login then fails.
    users: Result<Option<Htpasswd>, String>,
    roles: BTreeMap<String, Role>,
    anonymous_pull: bool,
    pub(super) tokens: Tokens,
    /// Whether the token realm is `https`.
    tls: bool,
    limiter: LoginLimiter,
    /// Failed logins counted for the audit log.
    pub(in crate::server) failures: Arc<FailedLogins>,
    /// Clusters whose credentials log in as agents.
    agents: agent::Agents,
}

impl Access {
    /// Loads the users. A broken htpasswd file only makes every login fail (`serve` refuses one
    /// up front through [`super::check_access`]). Warns of roles given to nobody (likely a typo
    /// in a user name).
    pub fn load(cfg: &AccessConfig, tls: bool) -> Self {
        let users = match cfg.htpasswd.as_deref().map(Htpasswd::load).transpose() {
            Ok(u) => {
                for user in cfg.roles.keys() {
                    if !u.as_ref().is_some_and(|u| u.has_user(user)) {
                        tracing::warn!(%user, "a role is given to a user who is not in the htpasswd file");
                    }
                }
                Ok(u)
            }
            Err(e) => {
                tracing::error!(error = %e, "logins disabled: users unavailable");
                Err(e.to_string())
            }
        };
        Self {
            users,
            roles: cfg.roles.clone(),
            anonymous_pull: cfg.anonymous_pull,
            tokens: Tokens::new(cfg.token_ttl),
            tls,
            limiter: LoginLimiter::new(&cfg.login_limit),
            failures: FailedLogins::new(cfg.login_limit.audit_window),
            agents: agent::Agents::default(),
        }
    }

    /// Lets the clusters of `fleet` log in with their credentials.
    pub fn with_fleet(mut self, fleet: Option<crate::fleet::Fleet>) -> Self {
        self.agents = agent::Agents(fleet);
        self
    }

    /// Checks basic credentials: a cluster's (`cluster/<name>`) or a user's. Both count against
    /// the same failed-login limits.
    pub async fn login_principal(
        &self,
        user: &str,
        password: &str,
        client: ClientAddr,
    ) -> Result<Principal, LoginFailure> {
        let Some(cluster) = agent::cluster_of(user) else {
            let role = self.login(user, password, client).await?;
            return Ok(Principal::User {
                name: user.to_owned(),
                role,
            });
        };
        if let Err(wait) = self.limiter.begin(client.0, user) {
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(LoginFailure::Limited { retry_after });
        }
        let verified = self.agents.verify(user, password).await?;
        debug_assert_eq!(verified, cluster);
        self.limiter.succeeded(client.0, user);
        Ok(Principal::Agent {
            user: user.to_owned(),
            cluster: verified,
        })
    }

    /// Whether clients without credentials may read.
    pub fn anonymous_reads(&self) -> bool {
        self.anonymous_pull
    }

    /// Whether any user could log in (else `/v2/` need not challenge anonymous clients).
    fn has_users(&self) -> bool {
        !matches!(self.users, Ok(None))
    }

    pub fn has_user(&self, user: &str) -> bool {
        matches!(&self.users, Ok(Some(u)) if u.has_user(user))
    }

    pub fn role_of(&self, user: &str) -> Role {
        self.roles.get(user).copied().unwrap_or(Role::Puller)
    }

    /// Checks a user's password and returns the user's role. A client or user that failed too
    /// often is refused unchecked; unknown users and wrong passwords count alike, so that the
    /// limit does not tell which names exist either.
    pub async fn login(
        &self,
        user: &str,
        password: &str,
        client: ClientAddr,
    ) -> Result<Role, LoginFailure> {
        let Ok(Some(users)) = &self.users else {
            return Err(LoginFailure::NoUsers);
        };
        // Credentials that verified before cost no check, so they are not limited either.
        if !users.remembered(user, password) {
            if let Err(wait) = self.limiter.begin(client.0, user) {
                let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return Err(LoginFailure::Limited { retry_after });
            }
            users.verify(user, password).await?;
            self.limiter.succeeded(client.0, user);
        }
        Ok(self.role_of(user))
    }

    /// Who the request's `Authorization` header says it is, checked. Refused credentials are a
    /// challenge that carries why, for the audit log.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        client: ClientAddr,
    ) -> Result<Principal, Refusal> {
        let failed = |user, reason| Refusal::Challenge {
            failure: Some((user, reason)),
            scope: None,
            insufficient_scope: false,
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(Principal::Anonymous);
        };
        if let Some((user, password)) = basic_credentials(headers) {
            return match self.login_principal(&user, &password, client).await {
                Ok(principal) => Ok(principal),
                Err(LoginFailure::Limited { retry_after }) => Err(Refusal::Limited {
                    user: Some(user),
                    retry_after,
                }),
                Err(reason) => Err(failed(Some(user), reason)),
            };
        }
        let bearer = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        match bearer.and_then(|t| self.tokens.check(t)) {
            Some(claims) => Ok(Principal::Token(claims)),
            None => Err(failed(None, LoginFailure::BadCredentials)),
        }
    }

    /// Whether `principal` may do what `need` says.
    pub fn authorize(&self, principal: &Principal, need: Need<'_>) -> Result<(), Refusal> {
        let challenge = |insufficient_scope| Refusal::Challenge {
            failure: None,
            scope: need.scope(),
            insufficient_scope,
        };
        let action = need.action();
        let role_allows = |user: &str| {
            // A user removed from the file keeps no rights, even with a token still valid.
            if !self.has_user(user) {
                return Err(challenge(false));
            }
            let role = self.role_of(user);
            if role.allows(action) {
                Ok(())
            } else {
                Err(Refusal::Denied {
                    user: user.to_owned(),
                    role: role.as_str(),
                })
            }
        };
        match principal {
            Principal::Anonymous => {
                if self.anonymous_pull && action == Action::Pull && !self.login_first(need) {
                    Ok(())
                } else {
                    Err(challenge(false))
                }
            }
            Principal::User { name, .. } => role_allows(name),
            Principal::Agent { user, cluster } => {
                if agent::agent_allows(cluster, need) {
                    Ok(())
                } else {
                    Err(Refusal::Denied {
                        user: user.clone(),
                        role: "agent",
                    })
                }
            }
            Principal::Token(claims) => {
                if let Some(cluster) = agent::cluster_of(&claims.sub) {
                    if !agent::agent_allows(cluster, need) {
                        return Err(Refusal::Denied {
                            user: claims.sub.clone(),
                            role: "agent",
                        });
                    }
                } else if claims.sub.is_empty() {
                    if !(self.anonymous_pull && action == Action::Pull) {
                        return Err(challenge(true));
                    }
                } else {
                    role_allows(&claims.sub)?;
                }
                let granted = |kind: &str, name: &str| {
                    claims.access.iter().any(|g| g.allows(kind, name, action))
                };
                let ok = match need {
                    Need::Login | Need::Service(_) => true,
                    Need::Repository { names, .. } => {
                        names.iter().any(|n| granted("repository", n))
                    }
                    Need::Mount { names, from } => {
                        names.iter().any(|n| granted("repository", n))
                            && claims
                                .access
                                .iter()
                                .any(|g| g.allows("repository", from, Action::Pull))
                    }
                    Need::Catalog => granted("registry", "catalog"),
                };
                if ok {
                    Ok(())
                } else {
                    Err(challenge(true))
                }
            }
        }
    }

    /// With users configured, `/v2/` challenges anonymous clients (as distribution does) so that
    /// they learn the token realm before they try anything that needs a login.
    fn login_first(&self, need: Need<'_>) -> bool {
        matches!(need, Need::Login) && self.has_users()
    }

    /// What a token for `principal` may grant of the `requested` scopes.
    pub fn grant(&self, principal: &Principal, requested: Vec<Grant>) -> Vec<Grant> {
        let allowed = |action: Action, name: &str| match principal {
            Principal::User { name, .. } => self.role_of(name).allows(action),
            Principal::Agent { cluster, .. } => {
                action == Action::Pull && name == agent::repository_of(cluster)
            }
            _ => self.anonymous_pull && action == Action::Pull,
        };
        requested
            .into_iter()
            .filter_map(|mut g| {
                match g.kind.as_str() {
                    // Nothing is granted on a name no request could address.
                    "repository" if !super::path::is_valid_name(&g.name) => g.actions.clear(),
                    "repository" => {
                        let name = g.name.clone();
                        g.actions.retain(|a| {
                            Action::parse(a)
                                .is_some_and(|a| allowed(a, &name) && a != Action::Admin)
                        })
                    }
                    "registry" if g.name == "catalog" => g.actions.retain(|a| {
                        a == "*"
                            && allowed(Action::Pull, "")
                            && !matches!(principal, Principal::Agent { .. })
                    }),
                    _ => g.actions.clear(),
                }
                (!g.actions.is_empty()).then_some(g)
            })
            .collect()
    }

    /// `WWW-Authenticate` for a registry refusal: where and what to ask for a token.
    pub fn bearer_challenge(
        &self,
        headers: &HeaderMap,
        scope: Option<&str>,
        insufficient_scope: bool,
    ) -> HeaderValue {
        let scheme = if self.tls { "https" } else { "http" };
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.len() <= 255
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .unwrap_or("localhost");
        let mut value = format!("Bearer realm=\"{scheme}://{host}/token\",service=\"{SERVICE}\"");
        if let Some(scope) = scope.filter(|s| !s.contains('"')) {
            value.push_str(&format!(",scope=\"{scope}\""));
        }
        if insufficient_scope {
            value.push_str(",error=\"insufficient_scope\"");
        }
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }
}

/// `WWW-Authenticate` for the routes outside `/v2` (helm and curl send basic credentials).
pub fn basic_challenge() -> HeaderValue {
    HeaderValue::from_static("Basic realm=\"ferry\"")
}
