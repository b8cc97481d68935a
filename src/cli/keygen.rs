//! `ferry keygen`: a cosign-compatible key pair.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for ferry.key (encrypted, cosign format) and ferry.pub.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Encrypt the key with an empty password. Without it the password comes from FERRY_PASSWORD
    /// (or COSIGN_PASSWORD), or is asked for twice on a terminal.
    #[arg(long)]
    pub empty_password: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Before anything is created: a refusal leaves no files behind.
    let password = super::password::for_new_key(args.empty_password)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let files = ferry_bundler::sign::keygen(&args.out, &password)
        .with_context(|| format!("cannot write a key pair into {}", args.out.display()))?;
    outln!("private key: {}", files.private_key.display());
    outln!("public key:  {}", files.public_key.display());
    Ok(ExitCode::SUCCESS)
}
