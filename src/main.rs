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

fn main() -> ExitCode {
    // The config file feeds the flags' environment variables, so it is read before the
    // command line is parsed and before the runtime starts any thread.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        if let Err(e) = gureum::server::cli::apply_config_file(&args) {
            eprintln!("gureum: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gureum: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => gureum::server::cli::serve(args).await,
            Command::Status {
                data_dir,
                database_url,
            } => gureum::server::cli::status(data_dir, database_url).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gureum: {e:#}");
            ExitCode::FAILURE
        }
    }
}
