//! What the CLI's tests share: an emulator on 127.0.0.1 and `fbn-identity` run with a clean
//! environment (tables 100 columns wide), an empty working directory and a configuration
//! directory of the test's own.

#![allow(dead_code)] // Each test file uses its own part.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use finbourne_identity_emulator::Emulator;

pub struct Setup {
    pub emulator: Emulator,
    pub pat: String,
    /// The working directory.
    pub dir: tempfile::TempDir,
    /// `FBN_IDENTITY_CONFIG_DIR`.
    pub config: tempfile::TempDir,
}

impl Setup {
    pub async fn start() -> Setup {
        let emulator = Emulator::start().await.expect("emulator");
        let pat = emulator.issue_access_token();
        Setup {
            emulator,
            pat,
            dir: tempfile::tempdir().unwrap(),
            config: tempfile::tempdir().unwrap(),
        }
    }

    /// The emulator's URL and personal access token, as environment variables.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FBN_IDENTITY_URL", self.emulator.identity_url().to_owned()),
            ("FBN_ACCESS_TOKEN", self.pat.clone()),
        ]
    }

    /// The program, with nothing of this machine's environment but the configuration directory.
    pub fn std_command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fbn-identity"));
        command
            .env_clear()
            .current_dir(self.dir.path())
            .env("COLUMNS", "100")
            .env("FBN_IDENTITY_CONFIG_DIR", self.config.path());
        command
    }

    /// Runs `fbn-identity args` with the emulator's settings.
    pub async fn run(&self, args: &[&str]) -> Output {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.run_with(args, &env, None).await
    }

    pub async fn run_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&str>,
    ) -> Output {
        let mut command = Command::from_std(self.std_command());
        command.args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        if let Some(input) = stdin {
            command.write_stdin(input.to_owned());
        }
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    pub fn profile_path(&self, name: &str) -> PathBuf {
        self.config
            .path()
            .join("profiles")
            .join(format!("{name}.json"))
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}
