//! The `tvp` command: parses arguments, runs the subcommand, prints errors as advice and maps them to exit codes
//! (0 ok, 1 bad input, 2 internal error). All the work happens in the `tvp` library.

mod cli;

use clap::Parser;

fn main() {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let usage_error = e.use_stderr();
            let _ = e.print();
            std::process::exit(if usage_error { 1 } else { 0 });
        }
    };
    let code = match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            cli::print_error(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}
