//! The crate docs' and README's example of a user's test, run as the test it is.

// EXAMPLE START
use finbourne_identity_emulator::http::StatusCode;
use finbourne_identity_emulator::{Emulator, SeedRole, SeedUser};

#[tokio::test]
async fn my_code_survives_one_failed_get_user() {
    // State the test relies on, seeded before start.
    let emu = Emulator::builder()
        .seed_role(SeedRole::new("Readers"))
        .seed_user(
            SeedUser::new("jo.bloggs@example.com")
                .id("00u-jo")
                .role("Readers"),
        )
        .seed_access_token("jo-token", "jo.bloggs@example.com")
        .start()
        .await
        .unwrap();
    // The next GetUser call fails; then the operation answers with state again.
    emu.answers().on("GetUser").respond(
        StatusCode::SERVICE_UNAVAILABLE,
        serde_json::json!({"name": "ServiceUnavailable", "code": -1, "title": "Busy"}),
    );

    // The calls (plain reqwest, to see both answers: the SDK would retry the 503 itself).
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/api/users/00u-jo", emu.identity_url());
    let first = client
        .get(&url)
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 503);
    let second = client
        .get(&url)
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);

    // What the emulator received.
    let journal = emu.journal();
    assert_eq!(journal.len(), 2);
    assert!(
        journal
            .iter()
            .all(|entry| entry.path() == "/identity/api/users/00u-jo")
    );
    assert_eq!(journal[0].header("authorization"), Some("Bearer jo-token"));
}
// EXAMPLE END

/// The README and the crate docs show the example above, word for word.
#[test]
fn the_docs_show_this_example() {
    let this = include_str!("example.rs");
    let example = this
        .split("// EXAMPLE START\n")
        .nth(1)
        .and_then(|rest| rest.split("// EXAMPLE END").next())
        .unwrap();
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(example),
        "README.md does not show tests/it/example.rs"
    );
    // In the crate docs the lines are `//! `-prefixed and the attribute is wrapped in hidden
    // comment lines, so that the doctest runs the test's body.
    let lib: String = include_str!("../../src/lib.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .filter(|line| !line.starts_with("# "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        lib.contains(example.trim_end()),
        "src/lib.rs does not show tests/it/example.rs"
    );
}
