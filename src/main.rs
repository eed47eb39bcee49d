//! The `safetynet` binary: parse arguments, call the library, map errors to exit codes.

use clap::Parser;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let cli = safetynet::cli::Cli::parse();
    if let Err(e) = safetynet::cli::execute(cli, argv) {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
