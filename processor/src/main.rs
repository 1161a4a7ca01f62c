use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    ferrite::cli::main(ferrite::cli::Cli::parse()).await
}
