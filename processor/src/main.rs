use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    ferrite::cli::main(ferrite::cli::Cli::parse())
}
