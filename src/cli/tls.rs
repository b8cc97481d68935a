//! `ferry tls`: certificates for the mirror's HTTPS.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ferry_mirror::tls::{init, InitOptions};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an enclave CA (ca.crt, ca.key) and a server certificate (server.crt, server.key).
    Init(InitArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory for the four files; nothing in it is overwritten.
    #[arg(long)]
    pub out: PathBuf,
    /// DNS name or IP address the server certificate is valid for (repeat for more).
    #[arg(long = "name", required = true)]
    pub names: Vec<String>,
    /// Validity of the server certificate in days (the CA is valid for ten years).
    #[arg(long, default_value_t = 825)]
    pub days: u32,
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Init(args) => {
            let files = init(
                &args.out,
                &InitOptions {
                    names: args.names,
                    days: args.days,
                },
            )
            .with_context(|| format!("cannot create certificates in {}", args.out.display()))?;
            outln!("CA certificate:     {}", files.ca_cert.display());
            outln!("CA key:             {}", files.ca_key.display());
            outln!("server certificate: {}", files.server_cert.display());
            outln!("server key:         {}", files.server_key.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
