//! `tvp formats`: the formats ingest reads, what each reads and which canonical fields its format lacks.

use tvp::format::Format;

pub fn run() -> tvp::Result<i32> {
    println!("{:<16} {:<14} reads / lacks", "format", "framework");
    for format in Format::ALL {
        println!("{:<16} {:<14} {}", format.name(), format.framework(), format.reads());
        println!("{:<16} {:<14} lacks: {}", "", "", format.lacks());
    }
    println!("\nDetection tries the formats in this order; `tvp ingest --format NAME` skips detection.");
    Ok(0)
}
