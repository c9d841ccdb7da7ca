//! `gureum`: the command line. `serve` runs a controller; `status` reports on every
//! service and agent.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "gureum",
    version,
    about = "An OpenStack-compatible private cloud in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a controller: the portal and the OpenStack APIs on one port.
    Serve(gureum::server::ServeArgs),
    /// Show every service and agent, up or down, with its last heartbeat.
    Status {
        /// The controller's data directory.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The database, when not the data directory's SQLite file.
        #[arg(long, env = "GUREUM_DATABASE_URL")]
        database_url: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => gureum::server::cli::serve(args).await,
        Command::Status {
            data_dir,
            database_url,
        } => gureum::server::cli::status(data_dir, database_url).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gureum: {e:#}");
            ExitCode::FAILURE
        }
    }
}
