//! `cargo xtask generate [--check]`, `cargo xtask diff OLD NEW [--changelog]` and `cargo xtask spec sync NEW`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use xtask::generate;

const USAGE: &str = "usage: cargo xtask generate [--check]\n       cargo xtask diff OLD NEW [--changelog]\n       cargo xtask spec sync NEW\n       cargo xtask msrv";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["generate"] => run_generate(false),
        ["generate", "--check"] => run_generate(true),
        ["diff", old, new] | ["diff", old, new, "--changelog"] => {
            match xtask::diff::diff_files(Path::new(old), Path::new(new)) {
                Ok(report) if args.len() == 4 => {
                    print!("{}", report.changelog());
                    ExitCode::SUCCESS
                }
                Ok(report) => {
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                // One line naming the file; 2, like a usage error: the input was wrong, not the tool.
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        ["spec", "sync", new] => run_sync(Path::new(new)),
        ["msrv"] => run_msrv(),
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

fn run_msrv() -> ExitCode {
    match xtask::msrv::check_workspace(&generate::workspace_root()) {
        Ok(verdict) if verdict.too_new.is_empty() => {
            println!(
                "{} packages the published crates build with: none needs a Rust newer than {}",
                verdict.checked, verdict.rust_version
            );
            ExitCode::SUCCESS
        }
        Ok(verdict) => {
            for too_new in &verdict.too_new {
                eprintln!(
                    "{} needs Rust {}, newer than the workspace's rust-version {}",
                    too_new.package, too_new.rust_version, verdict.rust_version
                );
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_sync(new: &Path) -> ExitCode {
    let ours = generate::workspace_root().join(generate::SPEC);
    let outcome = match xtask::sync::sync_file(&ours, new) {
        Ok(outcome) => outcome,
        // As for `diff`: the input was wrong, not the tool.
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (before, after) = &outcome.versions;
    println!(
        "wrote {} with the structure of {} (API version {before} -> {after})",
        generate::SPEC,
        new.display()
    );
    let needs = &outcome.synced.needs_prose;
    if needs.is_empty() {
        println!("every item has our prose");
    } else {
        println!(
            "{} new item(s) hold \"{}\" and need our prose:",
            needs.len(),
            xtask::sync::PLACEHOLDER
        );
        for item in needs {
            println!("  {item}");
        }
    }
    println!("next: cargo xtask generate && cargo test --workspace");
    println!("{}", outcome.report);
    ExitCode::SUCCESS
}
