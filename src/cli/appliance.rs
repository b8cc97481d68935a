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
}

impl ApplianceArgs {
    pub fn config(&self) -> anyhow::Result<ApplianceConfig> {
        match &self.config {
            Some(path) => Ok(ApplianceConfig::load(path)?),
            None => Ok(ApplianceConfig::default()),
        }
    }

    pub async fn open_store(&self, config: &ApplianceConfig) -> anyhow::Result<Store> {
        let data = self
            .data
            .clone()
            .or_else(|| config.data.clone())
            .context("no data directory: pass --data or set `data` in the configuration file")?;
        Store::open(&data).await.with_context(|| format!("cannot open the store at {}", data.display()))
    }
}
