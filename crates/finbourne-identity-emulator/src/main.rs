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
    -h, --help                 Print this help
    -V, --version              Print the version

Serves until Ctrl-C. Every address is on 127.0.0.1 only.";

/// Parsed options (no `Debug`: it may hold a password).
#[derive(Default)]
struct Options {
    port: u16,
    client_id: Option<String>,
    client_secret: Option<String>,
    user: Option<String>,
    password: Option<String>,
    token_lifetime: Option<u64>,
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
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let pat = emu.issue_access_token();
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
    println!("Demo credentials it accepts (the emulator's own, not secrets of any real service):");
    println!("  FBN_CLIENT_ID={}", emu.client_id());
    println!("  FBN_CLIENT_SECRET={}", emu.client_secret());
    println!("  FBN_USERNAME={}", emu.username());
    println!("  FBN_PASSWORD={}", emu.password());
    println!("  FBN_ACCESS_TOKEN={pat}   (a personal access token)");
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
    }
}
