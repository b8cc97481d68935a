//! Flags shared by the enclave-side commands, merged over the appliance configuration file.

use std::path::PathBuf;

use anyhow::Context;
use ferry_mirror::config::ApplianceConfig;
use ferry_mirror::store::Store;

#[derive(Debug, Clone, clap::Args)]
pub struct ApplianceArgs {
    /// Appliance configuration file (YAML); flags override it.
    #[arg(long, env = "FERRY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory of the store.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Create an empty store in the data directory if it has none (`import` and `serve --push`
    /// create one anyway; other commands refuse a directory without a store).
    #[arg(long)]
    pub init: bool,
}

impl ApplianceArgs {
    pub fn config(&self) -> anyhow::Result<ApplianceConfig> {
        match &self.config {
            Some(path) => Ok(ApplianceConfig::load(path)?),
            None => Ok(ApplianceConfig::default()),
        }
    }

    /// Opens the store for a command that only reads or manages it: it must exist, unless
    /// `--init` asks for a new one.
    pub async fn open_store(&self, config: &ApplianceConfig) -> anyhow::Result<Store> {
        self.open(config, self.init).await
    }

    /// Opens the store for a command that writes content into it, creating it if needed.
    pub async fn open_or_create_store(&self, config: &ApplianceConfig) -> anyhow::Result<Store> {
        self.open(config, true).await
    }

    async fn open(&self, config: &ApplianceConfig, create: bool) -> anyhow::Result<Store> {
        let data =
            self.data.clone().or_else(|| config.data.clone()).context(
                "no data directory: pass --data or set `data` in the configuration file",
            )?;
        let store = match create {
            true => Store::open(&data).await,
            false => Store::open_existing(&data).await,
        };
        store.with_context(|| format!("cannot open the store at {}", data.display()))
    }
}
