//! Every operation of the table answers with state: the list of those answering 501 is read
//! from the table and the answers, and is empty.

use finbourne_identity_client::operations::{OPERATIONS, ParamLocation};
use finbourne_identity_emulator::Emulator;
use finbourne_identity_emulator::operations::is_implemented;
use reqwest::{Method, StatusCode};

use crate::common::{api, client};

/// A request to every operation, with placeholder path parameters, its required query
/// parameters and its smallest body: the ones answered 501, and any 5xx.
#[tokio::test]
async fn no_operation_of_the_table_answers_501() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    let mut not_implemented = Vec::new();
    for op in OPERATIONS {
        let path: String = op
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let query: Vec<(&str, &str)> = op
            .params
            .iter()
            .filter(|p| p.location == ParamLocation::Query && p.required)
            .map(|p| (p.name, "x1"))
            .collect();
        let method = Method::from_bytes(op.method.as_bytes()).unwrap();
        // A token of its own for each call: InvalidateToken ends the one it is called with.
        let mut request = client
            .request(method, api(&emu, &path))
            .query(&query)
            .bearer_auth(emu.issue_access_token());
        if let Some(body) = op.minimal_body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let status = request.send().await.unwrap().status();
        assert!(
            status == StatusCode::NOT_IMPLEMENTED || !status.is_server_error(),
            "{} answered {status}",
            op.operation_id
        );
        if status == StatusCode::NOT_IMPLEMENTED {
            not_implemented.push(op.operation_id);
        }
        assert_eq!(
            is_implemented(op),
            status != StatusCode::NOT_IMPLEMENTED,
            "{}: is_implemented disagrees with the answer {status}",
            op.operation_id
        );
    }
    assert_eq!(
        not_implemented,
        Vec::<&str>::new(),
        "operations answering 501"
    );
    println!(
        "{} of {} operations answer with state",
        OPERATIONS.len() - not_implemented.len(),
        OPERATIONS.len()
    );
}
