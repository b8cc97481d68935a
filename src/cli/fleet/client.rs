//! How `ferry fleet` reaches the appliance: its URL, credentials and CA, and the output format.

use std::path::PathBuf;

use anyhow::Context;
use ferry_agent::client::ApiClient;

use crate::cli::output::OutputFormat;

#[derive(Debug, Clone, clap::Args)]
pub struct Conn {
    /// The appliance's base URL.
    #[arg(
        long,
        global = true,
        env = "FERRY_SERVER",
        default_value = "http://127.0.0.1:5000"
    )]
    pub server: String,
    /// User name for the appliance (an htpasswd user with a role).
    #[arg(long, global = true, env = "FERRY_API_USER")]
    pub user: Option<String>,
    /// File holding the user's password (FERRY_API_PASSWORD gives it directly).
    #[arg(long, global = true)]
    pub password_file: Option<PathBuf>,
    /// CA certificate (PEM) the appliance's TLS certificate chains to.
    #[arg(long, global = true)]
    pub ca: Option<PathBuf>,
    /// Output: text for people, json (one document) for programs.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

impl Conn {
    pub fn client(&self) -> anyhow::Result<ApiClient> {
        let credentials = match &self.user {
            None => None,
            Some(user) => {
                let password = match &self.password_file {
                    Some(path) => std::fs::read_to_string(path)
                        .with_context(|| format!("reading password file {}", path.display()))?
                        .trim_end_matches(['\n', '\r'])
                        .to_owned(),
                    None => std::env::var("FERRY_API_PASSWORD").with_context(|| {
                        format!("user {user} needs --password-file or FERRY_API_PASSWORD")
                    })?,
                };
                Some((user.clone(), password))
            }
        };
        Ok(ApiClient::new(
            &self.server,
            credentials,
            self.ca.as_deref(),
        )?)
    }

    pub fn json(&self) -> bool {
        self.output == OutputFormat::Json
    }
}
