//! Agent principals: a cluster's credential (`cluster/<name>` and its secret, as HTTP Basic),
//! checked against the fleet's stored hash. An agent may pull only its own desired-state
//! repository `fleet/<name>` and call only the fleet's agent routes; it is never a user.

use crate::fleet::clusters::{self, CREDENTIAL_USER_PREFIX};
use crate::fleet::Fleet;

use super::{Action, LoginFailure, Need};

/// The fleet whose clusters may log in, if the server has one.
#[derive(Clone, Default)]
pub(in crate::server) struct Agents(pub Option<Fleet>);

impl std::fmt::Debug for Agents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agents")
            .field("fleet", &self.0.is_some())
            .finish()
    }
}

/// The cluster a user name names, if it is a cluster credential's (`cluster/<name>`). Such
/// names are never looked up among the users.
pub fn cluster_of(user: &str) -> Option<&str> {
    user.strip_prefix(CREDENTIAL_USER_PREFIX)
}

/// The one repository an agent of `cluster` may pull.
pub fn repository_of(cluster: &str) -> String {
    format!("fleet/{cluster}")
}

impl Agents {
    /// Checks a cluster credential. Failures say only "bad credentials": whether the cluster
    /// exists is nobody's business before logging in.
    pub(super) async fn verify(&self, user: &str, secret: &str) -> Result<String, LoginFailure> {
        let Some(fleet) = &self.0 else {
            return Err(LoginFailure::BadCredentials);
        };
        match clusters::authenticate(fleet, user, secret).await {
            Ok(Some(cluster)) => Ok(cluster),
            Ok(None) => Err(LoginFailure::WrongPassword),
            Err(e) => {
                tracing::error!(error = %e, user, "checking a cluster credential failed");
                Err(LoginFailure::BadCredentials)
            }
        }
    }
}

/// Whether an agent of `cluster` may do what `need` says.
pub(super) fn agent_allows(cluster: &str, need: Need<'_>) -> bool {
    let own = repository_of(cluster);
    match need {
        Need::Login => true,
        // Both the name in the path and the name it maps to: `?ns=` cannot lead elsewhere.
        Need::Repository { names, action } => {
            action == Action::Pull && names.iter().all(|n| *n == own)
        }
        Need::Service(action) => action == Action::Agent,
        Need::Mount { .. } | Need::Catalog => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_pulls_only_its_own_repository_and_calls_only_agent_routes() {
        let pull = |a, b| Need::Repository {
            names: [a, b],
            action: Action::Pull,
        };
        assert!(agent_allows("a", Need::Login));
        assert!(agent_allows("a", pull("fleet/a", "fleet/a")));
        assert!(agent_allows("a", Need::Service(Action::Agent)));
        for refused in [
            pull("fleet/b", "fleet/b"),
            pull("fleet/a", "mirror/fleet/a"),
            pull("fleet/ab", "fleet/ab"),
            pull("team/app", "team/app"),
            Need::Repository {
                names: ["fleet/a", "fleet/a"],
                action: Action::Push,
            },
            Need::Repository {
                names: ["fleet/a", "fleet/a"],
                action: Action::Delete,
            },
            Need::Mount {
                names: ["fleet/a", "fleet/a"],
                from: "fleet/a",
            },
            Need::Catalog,
            Need::Service(Action::Pull),
            Need::Service(Action::Operate),
            Need::Service(Action::Admin),
        ] {
            assert!(!agent_allows("a", refused), "{refused:?}");
        }
        assert_eq!(cluster_of("cluster/edge-07"), Some("edge-07"));
        assert_eq!(cluster_of("alice"), None);
    }

    #[test]
    fn operators_write_the_fleet_and_nothing_else() {
        use super::super::Role;
        let can = |r: Role| {
            [
                Action::Pull,
                Action::Push,
                Action::Delete,
                Action::Admin,
                Action::Operate,
                Action::Agent,
            ]
            .map(|a| r.allows(a))
        };
        assert_eq!(can(Role::Puller), [true, false, false, false, false, false]);
        assert_eq!(can(Role::Pusher), [true, true, false, false, false, false]);
        assert_eq!(
            can(Role::Operator),
            [true, false, false, false, true, false]
        );
        assert_eq!(can(Role::Admin), [true, true, true, true, true, false]);
        assert_eq!("operator".parse::<Role>(), Ok(Role::Operator));
        assert_eq!(Role::Operator.as_str(), "operator");
    }
}
