//! The `tvp` command: parses arguments, runs the subcommand, prints errors as advice and maps them to exit codes
//! (0 ok, 1 bad input, 2 internal error). All the work happens in the `tvp` library.

mod cli;

use clap::Parser;

/// mimalloc instead of glibc's allocator: ingest and labeling allocate many small strings and Arrow buffers across
/// threads, and glibc's arenas spent a fifth of their CPU in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
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
