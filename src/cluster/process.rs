//! The cluster's processes, embedded in the `tvp` binary: a Ballista scheduler and executors that know tvp's SQL
//! functions and its job options (see [`super::job`]), so a labeling job's plan can be planned and run anywhere.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::execution_engine::{DefaultExecutionEngine, ExecutionEngine, QueryStageExecutor};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::{BallistaCluster, ClusterStateEvent};
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service};
use ballista_scheduler::scheduler_server::SchedulerServer;
use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::SessionState;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

use super::job::JobOptions;
use crate::error::{Error, Result};

/// A process's base configuration: Ballista's, plus the `tvp.*` options a job sets.
///
/// Ballista's adaptive planner is off and a task runs one partition: with the adaptive planner, or with several
/// partitions packed in a task, the tasks of some of the rules' stages (35_relays, 40_exposures) report operator
/// metrics the scheduler cannot match to the stage's plan, and the job waits forever.
pub fn config() -> SessionConfig {
    use ballista_core::extension::SessionConfigExt;
    SessionConfig::new_with_ballista()
        .with_option_extension(JobOptions::default())
        .set_bool(ballista_core::config::BALLISTA_ADAPTIVE_PLANNER_ENABLED, false)
        .set_u64(ballista_core::config::BALLISTA_SCHEDULER_MAX_PARTITIONS_PER_TASK, 1)
}

/// The scheduler's session for planning a job: DataFusion's and Ballista's functions and tvp's.
fn scheduler_state(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    let mut state = default_session_builder(config)?;
    for function in crate::label::udf::job_functions() {
        state.register_udf(Arc::new(function))?;
    }
    Ok(state)
}

/// The executors' functions, looked up by name when a task's plan is decoded: every function a local session has
/// (Ballista's default registry lacks the nested ones the rules use, such as `cardinality`) and tvp's.
fn executor_functions() -> datafusion::error::Result<Arc<BallistaFunctionRegistry>> {
    let state = scheduler_state(config())?;
    Ok(Arc::new(BallistaFunctionRegistry::from(&state)))
}

/// Ballista's execution engine, with the tasks' operator metrics left out of their reports.
///
/// The tasks of one stage of some rules (40_exposures) report different numbers of operator metrics; the scheduler
/// then rejects the report of a finished task after marking it done, and drops where its output went, so after
/// an executor is lost and stages are re-run, a later stage can read only part of its input: measured here, labels
/// that differed from local labeling. A task that reports no metrics is accepted as it is (Ballista's own path for
/// tasks without metrics); tvp does not use them.
struct WithoutOperatorMetrics(DefaultExecutionEngine);

impl ExecutionEngine for WithoutOperatorMetrics {
    fn create_query_stage_exec(
        &self,
        job_id: ballista_core::JobId,
        stage_id: usize,
        task_id: usize,
        global_output_partition_ids: Vec<usize>,
        plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
        work_dir: &str,
        config: &SessionConfig,
    ) -> datafusion::error::Result<Arc<dyn QueryStageExecutor>> {
        let inner = self.0.create_query_stage_exec(
            job_id,
            stage_id,
            task_id,
            global_output_partition_ids,
            plan,
            work_dir,
            config,
        )?;
        Ok(Arc::new(TaskWithoutMetrics(inner)))
    }
}

#[derive(Debug)]
struct TaskWithoutMetrics(Arc<dyn QueryStageExecutor>);

impl std::fmt::Display for TaskWithoutMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[async_trait::async_trait]
impl QueryStageExecutor for TaskWithoutMetrics {
    async fn execute_query_stage(
        &self,
        task_id: usize,
        context: Arc<datafusion::execution::TaskContext>,
    ) -> datafusion::error::Result<Vec<ballista_core::serde::protobuf::ShuffleWritePartition>> {
        self.0.execute_query_stage(task_id, context).await
    }
    fn collect_plan_metrics(&self) -> Vec<datafusion::physical_plan::metrics::MetricsSet> {
        Vec::new()
    }
    fn collect_runtime_stats_reports(&self) -> Vec<ballista_core::serde::protobuf::RuntimeStatsReport> {
        self.0.collect_runtime_stats_reports()
    }
    fn collect_window_state_reports(
        &self,
    ) -> datafusion::error::Result<Vec<ballista_core::serde::protobuf::WindowStateReport>> {
        self.0.collect_window_state_reports()
    }
    fn collect_column_stats(&self) -> Vec<ballista_core::serde::protobuf::TaskColumnStats> {
        self.0.collect_column_stats()
    }
}

/// How quickly the scheduler notices a lost executor.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    /// An executor that has not sent a heartbeat for this long is lost and its tasks run elsewhere.
    pub executor_timeout_seconds: u64,
}

/// Run a scheduler on `bind` until the process is stopped.
pub async fn scheduler(bind: SocketAddr, liveness: Liveness) -> Result<()> {
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        external_host: bind.ip().to_string(),
        bind_port: bind.port(),
        executor_timeout_seconds: liveness.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: 1.max(liveness.executor_timeout_seconds / 4),
        no_executors_grace_period_seconds: liveness.executor_timeout_seconds,
        override_config_producer: Some(Arc::new(config)),
        override_session_builder: Some(Arc::new(scheduler_state)),
        ..Default::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(cluster_error)?;
    let server: Scheduler = create_scheduler(cluster, Arc::new(config)).await.map_err(cluster_error)?;
    tokio::spawn(cancel_jobs_when_an_executor_leaves(server.clone()));
    eprintln!("tvp scheduler listening on {bind} (clients: --cluster df://{bind})");
    start_grpc_service(bind, server).await.map_err(|e| cluster_error(format!("scheduler on {bind}: {e}")))
}

type Scheduler = SchedulerServer<LogicalPlanNode, PhysicalPlanNode>;

const EXECUTOR_LOST: &str = "an executor left the cluster while the job ran";

/// Cancel every running job as soon as an executor is removed (its heartbeats stopped, or it shut down).
///
/// Ballista would re-run the lost executor's tasks on the others, but measured here with tvp's rules that recovery
/// either waited forever (stages rolled back and never resubmitted) or, before tasks stopped reporting operator
/// metrics, finished with labels that differed from local labeling. A cancelled job leaves the store's labels as
/// they were (the client says why); rerunning it on the remaining executors is safe.
async fn cancel_jobs_when_an_executor_leaves(server: Scheduler) {
    use futures::StreamExt;
    let mut events = match server.state.executor_manager.cluster_state_events().await {
        Ok(events) => events,
        Err(e) => {
            eprintln!("tvp scheduler: cannot watch the executors ({e}); a lost executor may leave jobs waiting");
            return;
        }
    };
    while let Some(event) = events.next().await {
        let ClusterStateEvent::RemovedExecutor { executor_id } = event else { continue };
        for job_id in server.state.task_manager.get_running_job_cache().keys() {
            eprintln!("tvp scheduler: {EXECUTOR_LOST} ({executor_id}); cancelling job {job_id}");
            if let Err(e) = server.cancel_job(job_id.clone()).await {
                eprintln!("tvp scheduler: cannot cancel job {job_id}: {e}");
            }
        }
    }
}

/// Where an executor listens and whom it serves.
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    pub scheduler: SocketAddr,
    /// Arrow Flight (results and shuffles) on this address; the task service on the next port, or `grpc_port`.
    pub bind: SocketAddr,
    pub grpc_port: Option<u16>,
    /// Tasks run at once.
    pub concurrency: usize,
    pub heartbeat_seconds: u64,
    /// Scratch space for shuffle files (default: a temporary folder).
    pub work_dir: Option<String>,
}

/// Run an executor until the process is stopped (or the scheduler tells it to stop).
pub async fn executor(settings: ExecutorSettings) -> Result<()> {
    let grpc_port = settings.grpc_port.unwrap_or(settings.bind.port().wrapping_add(1));
    let config = ExecutorProcessConfig {
        bind_host: settings.bind.ip().to_string(),
        external_host: Some(settings.bind.ip().to_string()),
        port: settings.bind.port(),
        grpc_port,
        scheduler_host: settings.scheduler.ip().to_string(),
        scheduler_port: settings.scheduler.port(),
        scheduler_connect_timeout_seconds: 10,
        vcores: settings.concurrency.max(1),
        work_dir: settings.work_dir.clone(),
        executor_heartbeat_interval_seconds: settings.heartbeat_seconds.max(1),
        override_function_registry: Some(executor_functions().map_err(cluster_error)?),
        override_execution_engine: Some(Arc::new(WithoutOperatorMetrics(DefaultExecutionEngine::new()))),
        override_config_producer: Some(Arc::new(config)),
        ..Default::default()
    };
    eprintln!(
        "tvp executor on {} (task service port {grpc_port}), {} task(s) at once, serving the scheduler at {}",
        settings.bind, config.vcores, settings.scheduler
    );
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| cluster_error(format!("executor on {} (task service port {grpc_port}): {e}", settings.bind)))
}

/// Print the cluster's log records at `level` and above (`TVP_LOG=debug` for more) to standard error.
pub fn log_to_stderr() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, metadata: &log::Metadata) -> bool {
            metadata.level() <= log::max_level()
        }
        fn log(&self, record: &log::Record) {
            // tvp's executors report no operator metrics (see `WithoutOperatorMetrics`): the scheduler's warning
            // about it, once per stage, says nothing to the user.
            let expected = record.target() == "ballista_scheduler::state::execution_stage"
                && record.args().to_string().starts_with("The metrics for stage");
            if self.enabled(record.metadata()) && !expected {
                eprintln!("[{} {}] {}", record.level(), record.target(), record.args());
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    let level = std::env::var("TVP_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(log::LevelFilter::Warn);
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

fn cluster_error(e: impl std::fmt::Display) -> Error {
    Error::Cluster { message: e.to_string() }
}
