//! `scim rotate`: a new token, the old one ending after the overlap, the new one proven against
//! the SCIM endpoint, saved or printed, and what is left to do.

mod common;

use common::*;
use finbourne_identity_emulator::http::{Method, StatusCode};

fn ends_in(output: &serde_json::Value) -> chrono::Duration {
    let ends = chrono::DateTime::parse_from_rfc3339(output["oldTokenEnds"].as_str().unwrap())
        .unwrap()
        .to_utc();
    ends - chrono::Utc::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_saves_the_new_token_proves_it_and_keeps_the_old_one_for_the_overlap() {
    let s = Setup::start().await;
    let old = json(&s.run(&["scim", "enable"]).await)["apiToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = s
        .run(&[
            "scim",
            "rotate",
            "--overlap",
            "2h",
            "--token-file",
            "scim.token",
            "--yes",
        ])
        .await;
    assert_eq!(code(&rotated), 0, "{}", stderr(&rotated));
    let path = s.dir.path().join("scim.token");
    let new = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    assert_ne!(new, old);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let mut active = s.emulator.active_scim_tokens();
    active.sort();
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(active, both, "the old one works for the overlap");

    let answer = json(&rotated);
    assert_eq!(answer["tokenFile"], "scim.token");
    assert_eq!(answer["proven"], true);
    assert!(answer.get("apiToken").is_none() && !stdout(&rotated).contains(&new));
    let left = ends_in(&answer);
    assert!(
        left > chrono::Duration::minutes(119) && left <= chrono::Duration::hours(2),
        "{left}"
    );

    let journal = s.emulator.journal();
    let put = journal.iter().rev().find(|e| e.method() == "PUT").unwrap();
    assert_eq!(
        put.query_param("apiTokenAction").as_deref(),
        Some("regenerate")
    );
    let sent = put
        .query_param("oldApiTokenDeactivation")
        .expect("the old token's end is sent");
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
    let printed = at(answer["oldTokenEnds"].as_str().unwrap());
    assert!(
        (at(&sent) - printed).num_seconds().abs() <= 1,
        "{sent} is what was printed"
    );
    let proof = journal
        .iter()
        .find(|e| e.path().ends_with("/ServiceProviderConfig"))
        .expect("the SCIM endpoint was asked");
    assert_eq!(
        proof.header("authorization"),
        Some(format!("Bearer {new}").as_str())
    );

    let said = stderr(&rotated);
    assert!(
        said.contains(
            "the new token works: the SCIM endpoint's ServiceProviderConfig answered 200 OK"
        ),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "the old token stops working at {} (in 2h)",
            answer["oldTokenEnds"].as_str().unwrap()
        )),
        "{said}"
    );
    assert!(
        said.contains(
            "left to do: give your identity provider (Okta, Entra ID...) the new token before"
        ),
        "{said}"
    );
    assert!(!said.contains(&new), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_file_the_new_token_is_printed_as_json() {
    let s = Setup::start().await;
    s.run(&["scim", "enable"]).await;
    let rotated = s.run(&["scim", "rotate", "--yes", "-o", "json"]).await;
    assert_eq!(code(&rotated), 0, "{}", stderr(&rotated));
    let answer = json(&rotated);
    let new = answer["apiToken"].as_str().unwrap();
    assert!(s.emulator.active_scim_tokens().contains(&new.to_owned()));
    assert_eq!(answer["baseUrl"], s.emulator.scim_base_url());
    let left = ends_in(&answer);
    assert!(
        left > chrono::Duration::minutes(59) && left <= chrono::Duration::hours(1),
        "the default overlap is 1h: {left}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_proof_says_so_exits_non_zero_and_leaves_the_token_in_its_file() {
    let s = Setup::start().await;
    s.run(&["scim", "enable"]).await;
    s.emulator
        .faults()
        .on(Method::GET, "/scim/v2/ServiceProviderConfig")
        .respond_status(StatusCode::INTERNAL_SERVER_ERROR);
    let rotated = s
        .run(&["scim", "rotate", "--token-file", "scim.token", "--yes"])
        .await;
    assert_eq!(code(&rotated), 1, "{}", stderr(&rotated));
    let said = stderr(&rotated);
    assert!(
        said.contains("refused the new token: it answered 500 Internal Server Error"),
        "{said}"
    );
    assert!(said.contains("the new token was issued but NOT proven: the new token is in scim.token; the old token works until"), "{said}");
    let new = std::fs::read_to_string(s.dir.path().join("scim.token"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        s.emulator.active_scim_tokens().contains(&new),
        "the saved token is the new one"
    );
    assert_eq!(json(&rotated)["proven"], false);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_refuses_a_symbolic_link_before_issuing_a_token() {
    let s = Setup::start().await;
    let old = json(&s.run(&["scim", "enable"]).await)["apiToken"]
        .as_str()
        .unwrap()
        .to_owned();
    std::os::unix::fs::symlink(s.dir.path().join("target"), s.dir.path().join("scim.token"))
        .unwrap();
    s.emulator.clear_journal();
    let refused = s
        .run(&["scim", "rotate", "--token-file", "scim.token", "--yes"])
        .await;
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("symbolic link"),
        "{}",
        stderr(&refused)
    );
    assert!(s.emulator.journal().is_empty());
    assert_eq!(s.emulator.active_scim_tokens(), [old]);
}
