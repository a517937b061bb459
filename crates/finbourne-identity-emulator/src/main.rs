//! `fbn-identity-emulator`: runs the FINBOURNE Identity emulator on 127.0.0.1 until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use finbourne_identity_emulator::Emulator;

const USAGE: &str = "\
fbn-identity-emulator: a local FINBOURNE Identity service and OAuth2 token endpoint

USAGE:
    fbn-identity-emulator [OPTIONS]

OPTIONS:
    --port <N>                 Port on 127.0.0.1 to listen on (default 0: any free port)
    --client-id <ID>           OAuth2 client id to accept
    --client-secret <SECRET>   OAuth2 client secret to accept
    --user <NAME>              User name to accept (with --password)
    --password <PASSWORD>      That user's password
    --token-lifetime <SECS>    Access token lifetime in seconds (default 3600)
    --env                      Start in the background and print `export` lines for a shell:
                               eval \"$(fbn-identity-emulator --env)\"
    -h, --help                 Print this help
    -V, --version              Print the version

Serves until Ctrl-C. Every address is on 127.0.0.1 only.

With --env the emulator runs on in the background, detached from the terminal, once it
prints FBN_IDENTITY_URL, FBN_ACCESS_TOKEN and FBN_IDENTITY_EMULATOR_PID as `export` lines;
`kill $FBN_IDENTITY_EMULATOR_PID` stops it.";

/// The hidden option of the background process `--env` starts: it serves, prints the `export`
/// lines, then the line [`READY`], and never writes to standard output again.
const DETACHED: &str = "--serve-detached";
/// The last line the background process prints: the parent stops reading there.
const READY: &str = "# ready";

/// Parsed options (no `Debug`: it may hold a password).
#[derive(Default)]
struct Options {
    port: u16,
    client_id: Option<String>,
    client_secret: Option<String>,
    user: Option<String>,
    password: Option<String>,
    token_lifetime: Option<u64>,
    /// `--env`: print `export` lines and serve in the background.
    env: bool,
    /// The background process of `--env`.
    detached: bool,
}

enum Parsed {
    Run(Options),
    Help,
    Version,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--env" => options.env = true,
            DETACHED => options.detached = true,
            "--port" | "--client-id" | "--client-secret" | "--user" | "--password"
            | "--token-lifetime" => {
                let value = match inline {
                    Some(v) => v,
                    None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
                };
                match name.as_str() {
                    "--port" => {
                        options.port = value.parse().map_err(|_| {
                            format!("--port: '{value}' is not a port number (0-65535)")
                        })?;
                    }
                    "--token-lifetime" => {
                        let secs: u64 = value.parse().map_err(|_| {
                            format!("--token-lifetime: '{value}' is not a whole number of seconds")
                        })?;
                        options.token_lifetime = Some(secs);
                    }
                    "--client-id" => options.client_id = Some(value),
                    "--client-secret" => options.client_secret = Some(value),
                    "--user" => options.user = Some(value),
                    _ => options.password = Some(value),
                }
            }
            other => return Err(format!("unknown argument '{other}' (try --help)")),
        }
    }
    if options.user.is_some() != options.password.is_some() {
        return Err("--user and --password go together".to_owned());
    }
    Ok(Parsed::Run(options))
}

// One thread is plenty for a local test service.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Version) => {
            println!("fbn-identity-emulator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if options.env && !options.detached {
        return detach();
    }
    let mut builder = Emulator::builder().port(options.port);
    if let Some(id) = options.client_id {
        builder = builder.client_id(id);
    }
    if let Some(secret) = options.client_secret {
        builder = builder.client_secret(secret);
    }
    if let (Some(user), Some(password)) = (options.user, options.password) {
        builder = builder.user(user, password);
    }
    if let Some(secs) = options.token_lifetime {
        builder = builder.token_lifetime(Duration::from_secs(secs));
    }
    let emu = match builder.start().await {
        Ok(emu) => emu,
        Err(err) if options.detached => {
            // The parent relays it: this process has no standard error.
            println!("error: {err}");
            return ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let pat = emu.issue_access_token();
    if options.detached {
        return serve_detached(emu, &pat).await;
    }
    // The emulator's own demo credentials: printing them is the point of this output, and they
    // protect nothing but this local emulator.
    println!(
        "FINBOURNE Identity emulator listening on {}",
        emu.base_url()
    );
    println!();
    println!("  identity URL (FBN_IDENTITY_URL): {}", emu.identity_url());
    println!("  token URL    (FBN_TOKEN_URL):    {}", emu.token_url());
    println!("  SCIM base URL:                   {}", emu.scim_base_url());
    println!();
    println!("Demo credentials it accepts (the emulator's own, not secrets of any real service).");
    println!("For a shell, a personal access token:");
    println!("  export FBN_IDENTITY_URL={}", quoted(emu.identity_url()));
    println!("  export FBN_ACCESS_TOKEN={}", quoted(&pat));
    println!("or the password grant:");
    println!("  export FBN_TOKEN_URL={}", quoted(emu.token_url()));
    println!("  export FBN_CLIENT_ID={}", quoted(emu.client_id()));
    println!("  export FBN_CLIENT_SECRET={}", quoted(emu.client_secret()));
    println!("  export FBN_USERNAME={}", quoted(emu.username()));
    println!("  export FBN_PASSWORD={}", quoted(emu.password()));
    println!(
        "  access tokens live {} s",
        emu.token_lifetime().as_secs_f64()
    );
    println!();
    println!("Press Ctrl-C to stop.");
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {err}");
    }
    emu.shutdown().await;
    println!("stopped");
    ExitCode::SUCCESS
}

/// `value` quoted for a POSIX shell: in single quotes, each `'` written as `'\''`.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `--env`: starts this program again in the background, in a process group of its own (so
/// the terminal's Ctrl-C does not reach it) with nothing of the terminal, relays its `export`
/// lines and exits, so that `$(...)` returns while the emulator keeps serving.
fn detach() -> ExitCode {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(err) => {
            eprintln!("error: cannot find this program to start it in the background: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut command = Command::new(program);
    command
        .args(
            std::env::args_os()
                .skip(1)
                .filter(|a| a.to_str() != Some("--env")),
        )
        .arg(DETACHED)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            eprintln!("error: cannot start the emulator in the background: {err}");
            return ExitCode::FAILURE;
        }
    };
    let Some(stdout) = child.stdout.take() else {
        return ExitCode::FAILURE;
    };
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if line == READY {
            // The pipe is dropped here: the background process never writes to it again.
            return ExitCode::SUCCESS;
        }
        if let Some(error) = line.strip_prefix("error: ") {
            eprintln!("error: {error}");
            let _ = child.wait();
            return ExitCode::FAILURE;
        }
        println!("{line}");
    }
    eprintln!("error: the emulator stopped before it was ready");
    let _ = child.wait();
    ExitCode::FAILURE
}

/// The background process of `--env`: prints the `export` lines, then serves until it is
/// killed (or sent SIGINT).
async fn serve_detached(emu: Emulator, pat: &str) -> ExitCode {
    use std::io::Write;
    let lines = [
        "# the FINBOURNE Identity emulator, serving in the background".to_owned(),
        format!("export FBN_IDENTITY_URL={}", quoted(emu.identity_url())),
        format!("export FBN_ACCESS_TOKEN={}", quoted(pat)),
        format!("export FBN_IDENTITY_EMULATOR_PID={}", std::process::id()),
        "# stop it with: kill $FBN_IDENTITY_EMULATOR_PID".to_owned(),
        READY.to_owned(),
    ];
    let mut out = std::io::stdout().lock();
    for line in lines {
        // Nobody left to read means nobody will use the emulator: stop.
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            emu.shutdown().await;
            return ExitCode::FAILURE;
        }
    }
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    emu.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        let Ok(Parsed::Run(o)) = parse_args(args(&["--port", "8080", "--token-lifetime=5"])) else {
            panic!("did not parse")
        };
        assert_eq!(o.port, 8080);
        assert_eq!(o.token_lifetime, Some(5));
        assert!(matches!(parse_args(args(&["-h"])), Ok(Parsed::Help)));
        assert!(matches!(
            parse_args(args(&["--version"])),
            Ok(Parsed::Version)
        ));
        assert!(parse_args(args(&["--port"])).is_err());
        assert!(parse_args(args(&["--port", "70000"])).is_err());
        assert!(parse_args(args(&["--bogus"])).is_err());
        assert!(parse_args(args(&["--user", "a"])).is_err());
        let Ok(Parsed::Run(o)) = parse_args(args(&["--user=a", "--password", "b"])) else {
            panic!("did not parse")
        };
        assert_eq!(o.user.as_deref(), Some("a"));
        assert_eq!(o.password.as_deref(), Some("b"));
        let Ok(Parsed::Run(o)) = parse_args(args(&["--env", "--port", "0"])) else {
            panic!("did not parse")
        };
        assert!(o.env && !o.detached);
        assert_eq!(quoted("it's"), r"'it'\''s'");
    }
}
