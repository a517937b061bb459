//! `cargo xtask generate [--check]` and `cargo xtask diff OLD NEW`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use xtask::generate;

const USAGE: &str = "usage: cargo xtask generate [--check]\n       cargo xtask diff OLD NEW";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["generate"] => run_generate(false),
        ["generate", "--check"] => run_generate(true),
        ["diff", old, new] => match xtask::diff::diff_files(Path::new(old), Path::new(new)) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            // One line naming the file; 2, like a usage error: the input was wrong, not the tool.
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_generate(check: bool) -> ExitCode {
    let started = Instant::now();
    let root = generate::workspace_root();
    let generated = match generate::generate_workspace(&root) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stale = generate::stale_files(&root, &generated);
    let elapsed = started.elapsed();
    if check {
        for path in &stale {
            eprintln!("stale: {} (run `cargo xtask generate`)", path.display());
        }
        println!(
            "checked {} generated file(s) in {:.2} s: {}",
            generated.files.len(),
            elapsed.as_secs_f64(),
            if stale.is_empty() {
                "up to date"
            } else {
                "STALE"
            }
        );
        return if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if let Err(e) = generate::write(&root, &generated) {
        eprintln!("error: cannot write generated files: {e}");
        return ExitCode::FAILURE;
    }
    for pass in &generated.passes {
        println!("pass {:<26} {} change(s)", pass.name, pass.changes);
    }
    for file in &generated.files {
        let mark = if stale.contains(&file.path) {
            "updated"
        } else {
            "unchanged"
        };
        println!("{mark}: {}", Path::new(&file.path).display());
    }
    println!("generated in {:.2} s", elapsed.as_secs_f64());
    ExitCode::SUCCESS
}
