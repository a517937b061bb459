//! The HTTP transport settings: a proxy with credentials, and an extra CA certificate.

mod common;

use common::*;
use finbourne_identity::{ConfigLoader, IdentityClient};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn requests_go_through_the_proxy_with_its_credentials() {
    let proxy = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&proxy)
        .await;
    // Nothing listens at the identity URL: only the proxy can answer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(format!("http://{closed}/identity"))
        .access_token("pat")
        .proxy_address(proxy.uri())
        .proxy_username("proxy-user")
        .proxy_password("proxy-pass")
        .load()
        .unwrap();
    client_for(config).remove_scim().await.unwrap();

    let seen = &proxy.received_requests().await.unwrap()[0];
    assert_eq!(seen.url.path(), "/identity/api/identityprovider/scim");
    // base64("proxy-user:proxy-pass")
    assert_eq!(
        seen.headers.get("proxy-authorization").unwrap(),
        "Basic cHJveHktdXNlcjpwcm94eS1wYXNz"
    );
}

#[tokio::test]
async fn an_extra_ca_certificate_is_loaded() {
    let service = Service::start(3600).await;
    let pem = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/test-ca.pem");
    let config = service.loader().ca_certificate(pem).load().unwrap();
    IdentityClient::new(config).expect("a valid PEM certificate is accepted");
}
