//! `eval "$(fbn-identity-emulator --env)"` in a real shell: the command returns, the shell has
//! the settings, and the emulator keeps serving in the background until it is killed.

#![cfg(unix)]

use std::process::Command;
use std::time::Duration;

#[tokio::test]
async fn eval_env_configures_a_shell_and_the_emulator_keeps_serving() {
    let script = r#"eval "$("$EMULATOR" --env)" || exit 9
printf '%s\n%s\n%s\n' "$FBN_IDENTITY_URL" "$FBN_ACCESS_TOKEN" "$FBN_IDENTITY_EMULATOR_PID""#;
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(script)
        .env("EMULATOR", env!("CARGO_BIN_EXE_fbn-identity-emulator"));
    // The shell must end on its own: a `$(...)` that waited for the server would hang here.
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || shell.output().unwrap()),
    )
    .await
    .expect("eval returns while the emulator serves on")
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let [url, token, pid] = lines[..] else {
        panic!("three settings: {stdout:?}")
    };
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/identity"),
        "{url}"
    );
    assert!(!token.is_empty());
    let pid: u32 = pid.parse().expect("a process id");

    let client = reqwest::Client::new();
    let me = client
        .get(format!("{url}/api/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the emulator still serves after the shell is gone");
    assert_eq!(me.status(), 200, "the exported token is accepted");
    let refused = client
        .get(format!("{url}/api/me"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    assert!(
        Command::new("kill")
            .arg(pid.to_string())
            .status()
            .unwrap()
            .success()
    );
    let mut stopped = false;
    for _ in 0..100 {
        if client.get(format!("{url}/api/me")).send().await.is_err() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stopped, "kill $FBN_IDENTITY_EMULATOR_PID stops it");
}
