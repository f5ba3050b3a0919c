//! The OAuth token endpoint: client authentication (RFC 6749 §2.3), the
//! password (§4.3) and refresh-token (§6) grants, the token response (§5.1)
//! and the error responses (§5.2).

use serde::ser::{Serialize, SerializeStruct, Serializer};
use zeroize::Zeroizing;

use super::mint::{self, AccessClaims, IdClaims, Signer};
use super::misbehavior::{self, TokenQuirks};
use super::wire::{Form, error};
use super::wire::{Outcome, Reply, Request};
use super::{Config, LiveAccessToken, LiveRefreshToken, RequestRecord, SeenAuth, Shared, lock};
use super::{jwks, resource, revocation};
use crate::form::{self, ClientAuth};
use crate::secret::Secret;

/// Answers one request: records it, lets the misbehaviour have its say,
/// then serves the token endpoint.
pub(super) fn handle(req: &Request, shared: &Shared, connection: usize) -> Outcome {
    // One of the next requests' misbehaviours, or the configured one.
    let next = lock(&shared.state).next.pop_front();
    let misbehavior = next.or_else(|| lock(&shared.config).misbehavior.clone());
    let form = Form::parse(&req.body);
    let authorization = req.header("authorization");
    let (auth, client) = authenticate(shared, authorization, &form);
    let record = RequestRecord {
        method: req.method.clone(),
        path: req.path.clone(),
        connection,
        grant_type: form.get("grant_type").map(str::to_owned),
        auth,
        had_password: form.get("password").is_some(),
        had_authorization: authorization.is_some(),
        scope: form.get("scope").map(str::to_owned),
        token_type_hint: form.get("token_type_hint").map(str::to_owned),
        had_token: form.get("token").is_some(),
        user_agent: req.header("user-agent").map(str::to_owned),
        extra_params: form.extra_params(),
    };
    let mut state = lock(&shared.state);
    if record.grant_type.as_deref() == Some("refresh_token") {
        state.refresh_grants += 1;
    }
    if req.path == jwks::PATH && req.method == "GET" {
        state.jwks_requests += 1;
    }
    state.records.push(record);
    drop(state);

    if let Some(m) = &misbehavior
        && let Some(outcome) = misbehavior::before(m, req, form.get("password"))
    {
        return outcome;
    }
    if req.path == resource::PATH {
        return resource::handle(req, shared);
    }
    if req.path == jwks::PATH {
        return jwks::handle(req, shared);
    }
    if req.path == revocation::PATH {
        if req.method != "POST" {
            let mut r = error(405, "invalid_request", "the revocation endpoint takes POST");
            r.headers.push(("Allow", "POST".into()));
            return Outcome::Reply(r);
        }
        return revocation::handle(shared, auth, client, &form);
    }
    // `/moved` is where `Misbehavior::Redirect` sends the client.
    if req.path != "/token" && req.path != "/moved" {
        return Outcome::Reply(error(404, "invalid_request", "no such endpoint"));
    }
    if req.method != "POST" {
        let mut r = error(405, "invalid_request", "the token endpoint takes POST");
        r.headers.push(("Allow", "POST".into()));
        return Outcome::Reply(r);
    }
    let content_type = req.header("content-type").unwrap_or("");
    let base_type = content_type.split(';').next().unwrap_or("").trim();
    if !base_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") || !form.is_form() {
        return Outcome::Reply(error(
            400,
            "invalid_request",
            "expected an application/x-www-form-urlencoded body",
        ));
    }
    let quirks = TokenQuirks::of(misbehavior.as_ref());
    let reply = grant(shared, auth, client, &form, &quirks);
    misbehavior::after(misbehavior.as_ref(), reply)
}

/// The body of a token response (RFC 6749 §5.1), serialized from borrowed
/// parts so that the tokens are copied into one zeroized buffer only.
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_in: u64,
    /// `expires_in` as a JSON string (a provider quirk) instead of a number.
    expires_in_as_string: bool,
    refresh_token: Option<&'a str>,
    scope: &'a str,
    /// OpenID Connect Core §3.1.3.3.
    id_token: Option<&'a str>,
}

impl Serialize for TokenResponse<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len =
            4 + usize::from(self.refresh_token.is_some()) + usize::from(self.id_token.is_some());
        let mut body = serializer.serialize_struct("TokenResponse", len)?;
        body.serialize_field("access_token", self.access_token)?;
        body.serialize_field("token_type", self.token_type)?;
        if self.expires_in_as_string {
            body.serialize_field("expires_in", &self.expires_in.to_string())?;
        } else {
            body.serialize_field("expires_in", &self.expires_in)?;
        }
        if let Some(refresh_token) = self.refresh_token {
            body.serialize_field("refresh_token", refresh_token)?;
        }
        body.serialize_field("scope", self.scope)?;
        if let Some(id_token) = self.id_token {
            body.serialize_field("id_token", id_token)?;
        }
        body.end()
    }
}

/// Finds the client the request authenticated as.
fn authenticate(
    shared: &Shared,
    authorization: Option<&str>,
    form: &Form,
) -> (SeenAuth, Option<(String, Secret)>) {
    let config = lock(&shared.config);
    let find = |id: &str, secret: Secret| {
        config
            .clients
            .iter()
            .find(|(cid, csecret)| cid == id && *csecret == secret)
            .cloned()
    };
    let (body_id, body_secret) = (form.get("client_id"), form.get("client_secret"));
    match (authorization, body_secret.is_some() || body_id.is_some()) {
        (Some(_), true) => (SeenAuth::Invalid, None), // two methods at once
        (Some(value), false) => {
            for style in [ClientAuth::Basic, ClientAuth::BasicFormEncoded] {
                if let Some((id, secret)) = form::parse_basic_authorization(value, style)
                    && let Some(c) = find(&id, Secret::from(secret))
                {
                    let seen = if style == ClientAuth::Basic {
                        SeenAuth::Basic
                    } else {
                        SeenAuth::BasicFormEncoded
                    };
                    return (seen, Some(c));
                }
            }
            (SeenAuth::Invalid, None)
        }
        (None, true) => match (body_id, body_secret) {
            (Some(id), Some(secret)) => match find(id, Secret::from(secret)) {
                Some(c) => (SeenAuth::Post, Some(c)),
                None => (SeenAuth::Invalid, None),
            },
            // A public client: its id, no secret (RFC 6749 §2.3, §3.2.1).
            (Some(id), None) if config.public_clients.iter().any(|p| p == id) => {
                (SeenAuth::Public, Some((id.to_owned(), Secret::default())))
            }
            _ => (SeenAuth::Invalid, None),
        },
        (None, false) => (SeenAuth::None, None),
    }
}

/// What a grant gives: to whom, which scope, and whether with a refresh
/// token.
struct Granted {
    username: String,
    scope: String,
    refresh_token: bool,
    /// The family a refresh token continues (a refresh), or `None` for a
    /// new one (a login).
    family: Option<u64>,
}

/// Answers a token request from an authenticated (or not) client.
fn grant(
    shared: &Shared,
    auth: SeenAuth,
    client: Option<(String, Secret)>,
    form: &Form,
    quirks: &TokenQuirks<'_>,
) -> Reply {
    let Some((client_id, client_secret)) = client else {
        let why = if auth == SeenAuth::None {
            "client authentication required"
        } else {
            "client authentication failed"
        };
        return error(401, "invalid_client", why);
    };
    let Some(grant_type) = form.get("grant_type") else {
        return error(400, "invalid_request", "grant_type is missing");
    };
    let config = lock(&shared.config);
    if matches!(grant_type, "password" | "refresh_token")
        && let Some((name, _)) = config
            .required_params
            .iter()
            .find(|(name, value)| form.get(name) != Some(value.as_str()))
    {
        return error(
            400,
            "invalid_request",
            &format!("the {name} parameter is missing or has another value"),
        );
    }
    if let Some(scope) = form.get("scope")
        && !scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .all(|s| config.scopes.iter().any(|a| a == s))
    {
        return error(
            400,
            "invalid_scope",
            "a requested scope is not granted to this client",
        );
    }
    let granted = match grant_type {
        "password" => password_grant(&config, form),
        "refresh_token" => refresh_grant(shared, &config, &client_id, form),
        _ => Err(error(
            400,
            "unsupported_grant_type",
            "only password and refresh_token are supported",
        )),
    };
    let granted = match granted {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    let now = config.clock.now();
    let lifetime = config.lifetime;
    let issuer = config.issuer.clone();
    let (opaque, id_tokens, awkward) = (
        config.opaque_access_tokens,
        config.id_tokens,
        config.awkward_tokens,
    );
    drop(config);

    let mut state = lock(&shared.state);
    state.counter += 1;
    let jti = state.counter;
    let refresh = if granted.refresh_token {
        let token = mint::refresh_token(&shared.seed, jti, awkward);
        state.refresh.push(LiveRefreshToken {
            token: token.clone(),
            client_id: client_id.clone(),
            username: granted.username.clone(),
            scope: granted.scope.clone(),
            family: granted.family.unwrap_or(jti),
        });
        Some(token)
    } else {
        None
    };
    let claims = AccessClaims {
        iss: &issuer,
        sub: &granted.username,
        aud: &client_id,
        exp: quirks.exp(now, lifetime),
        iat: now,
        jti,
        scope: &granted.scope,
    };
    let opaque = opaque.then(|| {
        let token = mint::opaque_access_token(&shared.seed, jti, awkward);
        // Those the protected resource would refuse as expired: forgotten.
        state
            .access
            .retain(|live| live.exp.saturating_add(resource::leeway()) >= now);
        state.access.push(LiveAccessToken {
            token: token.clone(),
            client_id: client_id.clone(),
            exp: claims.exp,
            claims: super::to_json(&claims),
        });
        token
    });
    drop(state);
    let access_token =
        opaque.unwrap_or_else(|| Secret::from(sign(shared, quirks, &client_secret, &claims)));
    let id_token = id_tokens.then(|| sign(shared, quirks, &client_secret, &IdClaims(&claims)));

    Reply::json(
        200,
        &TokenResponse {
            access_token: access_token.expose_secret(),
            token_type: quirks.token_type,
            expires_in: lifetime,
            expires_in_as_string: quirks.expires_in_as_string,
            refresh_token: refresh.as_ref().map(Secret::expose_secret),
            scope: &granted.scope,
            id_token: id_token.as_deref().map(String::as_str),
        },
    )
}

/// A JWT of `claims`, signed as the provider signs — HS256 with the client
/// secret, or its current key — or as the misbehaviour bends it.
fn sign(
    shared: &Shared,
    quirks: &TokenQuirks<'_>,
    client_secret: &Secret,
    claims: &impl Serialize,
) -> Zeroizing<String> {
    #[cfg(feature = "asymmetric")]
    {
        let keys = lock(&shared.keys);
        let signer = keys.signer(quirks.wrong_key);
        let confusion = matches!(quirks.alg, mint::Alg::Hs512)
            .then(|| keys.current().map(|k| k.pem()))
            .flatten();
        drop(keys);
        if let Some((key, kid)) = signer {
            let signer = match &confusion {
                // The public key's PEM text as an HMAC secret (CVE-2015-9235).
                Some(pem) => Signer::Hmac {
                    alg: mint::Alg::Hs256,
                    key: pem.as_bytes(),
                    kid: Some(&kid),
                },
                None => Signer::Key {
                    key: &key,
                    kid: &kid,
                },
            };
            return mint::jwt(claims, &signer);
        }
    }
    #[cfg(not(feature = "asymmetric"))]
    let _ = shared;
    let signer = Signer::Hmac {
        alg: quirks.alg,
        key: quirks.key(client_secret),
        kid: None,
    };
    mint::jwt(claims, &signer)
}

/// The password grant (RFC 6749 §4.3.2): the resource owner's credentials.
fn password_grant(config: &Config, form: &Form) -> Result<Granted, Reply> {
    let (Some(username), Some(password)) = (form.get("username"), form.get("password")) else {
        return Err(error(
            400,
            "invalid_request",
            "username and password are required",
        ));
    };
    let password = Secret::from(password);
    let known = config
        .users
        .iter()
        .any(|(u, p)| u == username && *p == password);
    if !known {
        return Err(error(400, "invalid_grant", "invalid username or password"));
    }
    Ok(Granted {
        username: username.to_owned(),
        scope: form
            .get("scope")
            .map_or_else(|| config.scopes.join(" "), str::to_owned),
        refresh_token: config.issue_refresh,
        family: None,
    })
}

/// The refresh-token grant (RFC 6749 §6): a live refresh token issued to
/// this client, revoked as it is used when the provider rotates them.
fn refresh_grant(
    shared: &Shared,
    config: &Config,
    client_id: &str,
    form: &Form,
) -> Result<Granted, Reply> {
    let Some(token) = form.get("refresh_token").map(Secret::from) else {
        return Err(error(400, "invalid_request", "refresh_token is missing"));
    };
    let mut state = lock(&shared.state);
    let found = state.refresh.iter().position(|live| live.token == token);
    match found {
        Some(i) if state.refresh[i].client_id == client_id => {
            let live = &state.refresh[i];
            let granted = Granted {
                username: live.username.clone(),
                scope: live.scope.clone(),
                refresh_token: config.rotate,
                family: Some(live.family),
            };
            if config.rotate {
                let live = state.refresh.remove(i);
                state.rotated.push((live.token, live.family));
            }
            Ok(granted)
        }
        None if config.detect_reuse => {
            // A token rotated away, back again: someone holds a copy.
            // Revoke the family, as Auth0 and Keycloak do.
            if let Some(family) = state
                .rotated
                .iter()
                .find(|(rotated, _)| *rotated == token)
                .map(|(_, family)| *family)
            {
                state.reuse_detections += 1;
                state.refresh.retain(|live| live.family != family);
            }
            Err(error(
                400,
                "invalid_grant",
                "the refresh token is invalid, expired or revoked",
            ))
        }
        _ => Err(error(
            400,
            "invalid_grant",
            "the refresh token is invalid, expired or revoked",
        )),
    }
}
