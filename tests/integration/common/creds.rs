//! One test module's OAuth client and user, and what is made from them: the
//! loopback provider that knows them, a client, the `ropc` environment.

use ropc::testing::{Provider, ProviderBuilder};
use ropc::{Client, ClientBuilder, Secret};

/// The client id and secret, username and password of one test module.
/// Each module keeps its own values, with its own markers in them: the
/// markers a module asserts never show can then only come from that
/// module's secrets.
#[derive(Clone, Copy, Debug)]
pub struct Creds {
    pub id: &'static str,
    pub secret: &'static str,
    pub user: &'static str,
    pub password: &'static str,
}

impl Creds {
    /// A loopback provider that knows this client and this user, for more
    /// settings before `start`.
    pub fn provider_builder(self) -> ProviderBuilder {
        Provider::builder()
            .client(self.id, self.secret)
            .user(self.user, self.password)
    }

    /// A loopback provider that knows this client and this user, started.
    pub fn provider(self) -> Provider {
        self.provider_builder().start().unwrap()
    }

    /// A builder for this client of `p`, for more settings before `build`.
    pub fn client_builder(self, p: &Provider) -> ClientBuilder {
        Client::builder(p.url(), self.id, self.secret)
    }

    /// This client of `p`, with the defaults.
    pub fn client(self, p: &Provider) -> Client {
        self.client_builder(p).build().unwrap()
    }

    /// This client of `p`, expecting `p`'s issuer and itself as the
    /// audience of the access token.
    pub fn checking_client(self, p: &Provider) -> Client {
        self.client_builder(p)
            .issuer(p.issuer())
            .audience(self.id)
            .build()
            .unwrap()
    }

    /// The user's password.
    pub fn password(self) -> Secret {
        Secret::from(self.password)
    }

    /// The `ropc` variables that configure this client of `token_url`.
    pub fn client_env(self, token_url: &str) -> Vec<(&'static str, String)> {
        vec![
            ("ROPC_TOKEN_URL", token_url.to_owned()),
            ("ROPC_CLIENT_ID", self.id.to_owned()),
            ("ROPC_CLIENT_SECRET", self.secret.to_owned()),
        ]
    }

    /// [`client_env`](Self::client_env) and `ROPC_USERNAME`.
    pub fn login_env(self, token_url: &str) -> Vec<(&'static str, String)> {
        let mut env = self.client_env(token_url);
        env.push(("ROPC_USERNAME", self.user.to_owned()));
        env
    }
}
