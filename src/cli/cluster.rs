//! `tvp cluster scheduler|executor`: the processes of a Ballista cluster that runs tvp's rules (`--cluster` on
//! `tvp label`, `tvp sql` and `tvp run`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use tvp::cluster::process::{self, ExecutorSettings, Liveness};

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Run a scheduler: it plans the jobs clients send (`--cluster df://HOST:PORT`) and hands their tasks to executors
    Scheduler(SchedulerArgs),
    /// Run an executor: it runs tasks for a scheduler, reading the store at the path the client gave (every node must
    /// see the store at the same path: a shared file system)
    Executor(ExecutorArgs),
}

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to listen on (clients and executors connect here)
    #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
    bind: SocketAddr,
    /// Seconds without a heartbeat after which an executor is lost and its tasks are run by the others
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    executor_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler's address
    #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
    scheduler: SocketAddr,
    /// Address for Arrow Flight (results and shuffles); the scheduler reaches the task service on the next port
    #[arg(long, default_value = "127.0.0.1:50051", value_name = "HOST:PORT")]
    bind: SocketAddr,
    /// Port of the task service (default: the --bind port + 1)
    #[arg(long, value_name = "PORT")]
    grpc_port: Option<u16>,
    /// Tasks run at once (default: the number of cores)
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// Seconds between heartbeats to the scheduler (keep it well under the scheduler's --executor-timeout)
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    heartbeat: u64,
    /// Folder for shuffle files (default: a temporary folder)
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

pub fn run(command: ClusterCommand) -> tvp::Result<i32> {
    let runtime = super::runtime()?;
    process::log_to_stderr();
    match command {
        ClusterCommand::Scheduler(args) => runtime
            .block_on(process::scheduler(args.bind, Liveness { executor_timeout_seconds: args.executor_timeout }))?,
        ClusterCommand::Executor(args) => runtime.block_on(process::executor(ExecutorSettings {
            scheduler: args.scheduler,
            bind: args.bind,
            grpc_port: args.grpc_port,
            concurrency: args
                .concurrency
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            heartbeat_seconds: args.heartbeat,
            work_dir: args.work_dir.map(|p| p.display().to_string()),
        }))?,
    }
    Ok(0)
}
