//! The `tvp` command: parses arguments, runs the subcommand, prints errors as advice and maps them to exit codes
//! (0 ok, 1 bad input, 2 internal error). All the work happens in the `tvp` library.

mod cli;

use clap::Parser;

/// mimalloc instead of glibc's allocator: ingest and labeling allocate many small strings and Arrow buffers across
/// threads, and glibc's arenas spent a fifth of their CPU in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    disable_transparent_huge_pages();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let usage_error = e.use_stderr();
            let _ = e.print();
            std::process::exit(if usage_error { 1 } else { 0 });
        }
    };
    // Output piped into `head` (or a closed pager) ends tvp quietly, as it does any Unix tool, instead of a panic
    // on the failed write. Not for the cluster's processes and clients: there a peer that closes a connection
    // must be an error on that connection, not the end of the process.
    #[cfg(unix)]
    if !args.uses_network() {
        // SAFETY: restoring the default disposition of SIGPIPE at start-up, before any thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let code = match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            cli::print_error(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// No transparent huge pages for this process (unless `MIMALLOC_ALLOW_THP` asks for them): mimalloc advises them
/// for its arenas, and the kernel then zeroes 2 MiB at the first touch of each. Measured (release, 2 cores): labeling
/// the 1.07 GiB benchmark store in one partition spent 6.7 s in the kernel instead of 1.9 s, at a 2.1 GiB peak
/// instead of 1.7; in 12 partitions the time was the same and the peak 377 MiB instead of 314. Small jobs lose their
/// best case and their worst: AgentLeak dev's ingest took 0.14-0.43 s with them and 0.17-0.26 s without, its
/// labeling 0.14-0.44 s and 0.19-0.23 s (six interleaved rounds), at peaks 20-60 MiB lower.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process's address space, checked at page faults.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}
