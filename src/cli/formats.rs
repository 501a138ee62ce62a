//! `tvp formats`: the adapters ingest can use, what each reads and which canonical fields its format lacks.

use tvp::ingest::registry::adapters;

pub fn run() -> tvp::Result<i32> {
    println!("{:<16} {:<14} reads / lacks", "format", "framework");
    for adapter in adapters() {
        println!("{:<16} {:<14} {}", adapter.name(), adapter.framework(), adapter.reads());
        println!("{:<16} {:<14} lacks: {}", "", "", adapter.lacks());
    }
    println!("\nDetection tries the formats in this order; `tvp ingest --format NAME` skips detection.");
    Ok(0)
}
