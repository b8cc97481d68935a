//! Registry bearer tokens, as the Docker/OCI token flow defines them: a client asks the token
//! endpoint for `scope=repository:<name>:pull,push`, gets a JWT listing what it was granted
//! (`access`), and presents it as `Authorization: Bearer`. Only this mirror reads its tokens, so
//! they are HS256 with a key drawn at start-up: a restart just makes clients ask again.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Action;

/// `iss` and `aud` of every token, and the `service` of every challenge.
pub const SERVICE: &str = "ferry";

/// One entry of a scope or of a token's `access` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// `repository` or `registry` (for `registry:catalog:*`).
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Grant {
    /// Parses `type:name:action,action`. The name may hold colons (`host:port/repo`), so the
    /// type ends at the first colon and the actions start after the last.
    pub fn parse_scope(scope: &str) -> Option<Grant> {
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        if kind.is_empty() || name.is_empty() || scope.len() > 512 {
            return None;
        }
        Some(Grant {
            kind: kind.to_owned(),
            name: name.to_owned(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    pub fn scope(&self) -> String {
        format!("{}:{}:{}", self.kind, self.name, self.actions.join(","))
    }

    pub fn allows(&self, kind: &str, name: &str, action: Action) -> bool {
        self.kind == kind
            && self.name == name
            && self
                .actions
                .iter()
                .any(|a| a == action.as_str() || a == "*")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user, or empty for an anonymous client.
    pub sub: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: String,
    pub access: Vec<Grant>,
}

/// Issues and checks tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("ttl", &self.ttl).finish()
    }
}

impl Tokens {
    /// A fresh random signing key.
    pub fn new(ttl: Duration) -> Self {
        let mut key = [0u8; 32];
        // Without randomness there is no safe key; the OS always has it on supported platforms.
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        Self::with_key(&key, ttl)
    }

    pub fn with_key(key: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[SERVICE]);
        validation.set_issuer(&[SERVICE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            ttl,
        }
    }

    /// A token for `sub` ("" when anonymous) granting `access`, and when it was issued.
    pub fn issue(&self, sub: &str, access: Vec<Grant>) -> (String, u64) {
        let now = jsonwebtoken::get_current_timestamp();
        let mut jti = [0u8; 12];
        let _ = getrandom::fill(&mut jti);
        let claims = Claims {
            iss: SERVICE.to_owned(),
            sub: sub.to_owned(),
            aud: SERVICE.to_owned(),
            exp: now + self.ttl.as_secs(),
            nbf: now,
            iat: now,
            jti: hex::encode(jti),
            access,
        };
        // HS256 over serializable claims cannot fail.
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("encoding HS256 claims");
        (token, now)
    }

    /// The claims of a token this mirror issued and that has not expired.
    pub fn check(&self, token: &str) -> Option<Claims> {
        if token.len() > 16 * 1024 {
            return None;
        }
        decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_with_colons_in_names() {
        let g = Grant::parse_scope("repository:localhost:5000/team/app:pull,push").unwrap();
        assert_eq!(g.kind, "repository");
        assert_eq!(g.name, "localhost:5000/team/app");
        assert_eq!(g.actions, ["pull", "push"]);
        assert_eq!(g.scope(), "repository:localhost:5000/team/app:pull,push");
        let c = Grant::parse_scope("registry:catalog:*").unwrap();
        assert!(c.allows("registry", "catalog", Action::Pull));
        for bad in ["", "repository", "repository:name", ":name:pull"] {
            assert!(Grant::parse_scope(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn tokens_round_trip_and_refuse_tampering_and_other_keys() {
        let tokens = Tokens::with_key(b"k1", Duration::from_secs(60));
        let grant = Grant::parse_scope("repository:a/b:pull").unwrap();
        let (token, _) = tokens.issue("alice", vec![grant.clone()]);
        let claims = tokens.check(&token).unwrap();
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.access, vec![grant]);

        let other = Tokens::with_key(b"k2", Duration::from_secs(60));
        assert!(other.check(&token).is_none());

        // Widen the grant in the payload and keep the signature: refused.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(b64.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = b64.encode(payload.replace("\"pull\"", "\"push\""));
        assert!(tokens.check(&parts.join(".")).is_none());
        assert!(tokens.check("not.a.token").is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let tokens = Tokens::with_key(b"k", Duration::from_secs(0));
        let (token, _) = tokens.issue("alice", vec![]);
        let mut strict = Tokens::with_key(b"k", Duration::from_secs(0));
        strict.validation.leeway = 0;
        std::thread::sleep(Duration::from_millis(1100));
        assert!(strict.check(&token).is_none());
    }
}
