//! `tvp cluster` and `--cluster`: a scheduler and two executors on 127.0.0.1 label a simulated store exactly as
//! local labeling does; an executor killed mid-job leaves either the same labels or a clear error and the store's
//! old labels; an unreachable scheduler is a clear error with a hint.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tvp;

/// A process of the test cluster, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[String]) -> Process {
    let child = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tvp starts");
    Process(child)
}

/// A port nothing listens on now, with the next one free too (an executor takes two).
fn free_port_pair() -> u16 {
    loop {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port} after 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scheduler that declares an executor lost after 3 s without heartbeats, and two executors beating every second.
struct Cluster {
    url: String,
    _scheduler: Process,
    executors: Vec<Process>,
}

fn start_cluster() -> Cluster {
    let port = free_port_pair();
    let scheduler = spawn(&[
        "cluster".into(),
        "scheduler".into(),
        format!("--bind=127.0.0.1:{port}"),
        "--executor-timeout=3".into(),
    ]);
    wait_for_port(port);
    let mut executors = Vec::new();
    for _ in 0..2 {
        let flight = free_port_pair();
        executors.push(spawn(&[
            "cluster".into(),
            "executor".into(),
            format!("--scheduler=127.0.0.1:{port}"),
            format!("--bind=127.0.0.1:{flight}"),
            "--concurrency=2".into(),
            "--heartbeat=1".into(),
        ]));
        wait_for_port(flight + 1);
    }
    std::thread::sleep(Duration::from_secs(1)); // the executors' registration
    Cluster { url: format!("df://127.0.0.1:{port}"), _scheduler: scheduler, executors }
}

fn simulated_store(dir: &Path, chains: &str) -> String {
    let corpus = dir.join("corpus").display().to_string();
    let store = dir.join("store").display().to_string();
    let run = tvp(&["simulate", "--out", &corpus, "--chains", chains, "--format", "mixed", "--seed", "11"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = tvp(&["ingest", &corpus, "--store", &store, "--manifest", &format!("{corpus}/manifest.csv")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    store
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every row of the label tables, as sorted CSV lines with secrets shown (so a masking difference shows too).
fn labels(store: &str) -> Vec<(String, Vec<String>)> {
    ["exposures", "authorizations", "outcomes"]
        .iter()
        .map(|table| {
            let run = tvp(&["sql", "--store", store, "--format", "csv", "--reveal", &format!("SELECT * FROM {table}")]);
            assert_eq!(run.code, 0, "{}", run.stderr);
            let mut lines: Vec<String> = run.stdout.lines().map(str::to_string).collect();
            lines.sort();
            (table.to_string(), lines)
        })
        .collect()
}

fn label_files(store: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for table in ["exposures", "authorizations", "outcomes"] {
        for entry in std::fs::read_dir(Path::new(store).join(table)).unwrap().flatten() {
            files.push((entry.path().display().to_string(), std::fs::read(entry.path()).unwrap()));
        }
    }
    files.sort();
    files
}

#[test]
fn a_two_executor_cluster_labels_as_local_labeling_does_and_survives_or_reports_a_lost_executor() {
    let dir = tempfile::tempdir().unwrap();
    let store = simulated_store(&dir.path().join("small"), "1");
    let local = dir.path().join("local-store").display().to_string();
    copy_dir(Path::new(&store), Path::new(&local));
    let run = tvp(&["label", "--store", &local]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let mut cluster = start_cluster();
    let run = tvp(&["label", "--store", &store, "--cluster", &cluster.url, "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(summary["exposures"].as_u64().unwrap() > 20, "{summary}");
    assert!(summary["over_authorized"].as_u64().unwrap() > 5, "{summary}");
    let (on_cluster, here) = (labels(&store), labels(&local));
    for ((table, cluster_rows), (_, local_rows)) in on_cluster.iter().zip(&here) {
        assert!(cluster_rows.len() > 1, "{table} is empty");
        assert_eq!(cluster_rows, local_rows, "{table} differs between the cluster and local labeling");
    }
    assert!(!Path::new(&store).join(".cluster-jobs").exists(), "the job's folder is removed");

    // `tvp sql --cluster` answers as a local query does, masking what it masks.
    let query = "SELECT source_format, count(*) AS n FROM runs GROUP BY 1 ORDER BY 1";
    let remote = tvp(&["sql", "--store", &store, "--cluster", &cluster.url, query]);
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert_eq!(remote.stdout, tvp(&["sql", "--store", &store, query]).stdout);
    let evidence = "SELECT evidence FROM exposures ORDER BY run_id, turn, item_id LIMIT 5";
    let remote = tvp(&["sql", "--store", &store, "--cluster", &cluster.url, evidence]);
    assert_eq!(remote.stdout, tvp(&["sql", "--store", &store, evidence]).stdout);
    assert!(remote.stdout.contains('*'), "evidence is masked: {}", remote.stdout);

    // A larger job loses an executor part way: it completes on the other with the same labels as local labeling,
    // or fails with an error that says so and leaves the store's earlier labels in place.
    let big = simulated_store(&dir.path().join("big"), "4");
    let big_local = dir.path().join("big-local").display().to_string();
    copy_dir(Path::new(&big), Path::new(&big_local));
    assert_eq!(tvp(&["label", "--store", &big_local]).code, 0);
    assert_eq!(tvp(&["label", "--store", &big, "--scope", "final"]).code, 0);
    let before = label_files(&big);
    let job = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(["label", "--store", &big, "--cluster", &cluster.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    drop(cluster.executors.remove(0)); // killed mid-job
    let out = job.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        assert_eq!(labels(&big), labels(&big_local), "the job finished on the remaining executor");
    } else {
        assert!(stderr.contains("cluster:") && stderr.contains("hint:"), "a clear error: {stderr}");
        assert_eq!(label_files(&big), before, "a failed job leaves the store's labels as they were");
    }
    assert!(!Path::new(&big).join(".cluster-jobs").exists(), "the job's folder is removed: {stderr}");
    eprintln!("executor lost mid-job: {}", if out.status.success() { "completed" } else { "failed cleanly" });
}

#[test]
fn an_unreachable_scheduler_is_a_clear_error_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    // The fixture folder holds a file written broken on purpose: ingest reports it (exit 1) and keeps the rest.
    let run = tvp(&["ingest", &super::fixture("autogen04"), "--store", &store]);
    assert!(Path::new(&store).join("runs").exists(), "{}", run.stderr);
    let port = free_port_pair();
    let run = tvp(&["label", "--store", &store, "--cluster", &format!("df://127.0.0.1:{port}")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("cannot reach the Ballista scheduler at df://127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("tvp cluster scheduler --bind"), "{}", run.stderr);
    let run = tvp(&["sql", "--store", &store, "--cluster", "127.0.0.1:50050", "SELECT 1"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("df://HOST:PORT"), "{}", run.stderr);
}
