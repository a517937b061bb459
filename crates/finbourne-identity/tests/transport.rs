//! The HTTP transport settings: an HTTP or SOCKS5 proxy with credentials, and an extra CA
//! certificate.

mod common;

use common::*;
use finbourne_identity::{ConfigLoader, IdentityClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
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

/// A SOCKS5 proxy on 127.0.0.1 that takes user name and password authentication (RFC 1928,
/// 1929), connects to the IPv4 address asked for and splices. It reports the credentials and
/// target of each connection.
async fn socks5_proxy() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (seen, connections) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 2];
                client.read_exact(&mut head).await?;
                let mut methods = vec![0u8; head[1] as usize];
                client.read_exact(&mut methods).await?;
                assert!(methods.contains(&2), "the client offers user/password auth");
                client.write_all(&[5, 2]).await?;
                let version = client.read_u8().await?;
                assert_eq!(version, 1);
                let mut user = vec![0u8; client.read_u8().await? as usize];
                client.read_exact(&mut user).await?;
                let mut password = vec![0u8; client.read_u8().await? as usize];
                client.read_exact(&mut password).await?;
                client.write_all(&[1, 0]).await?;
                let mut request = [0u8; 4];
                client.read_exact(&mut request).await?;
                assert_eq!(request[..2], [5, 1], "CONNECT");
                assert_eq!(request[3], 1, "an IPv4 address");
                let mut ip = [0u8; 4];
                client.read_exact(&mut ip).await?;
                let port = client.read_u16().await?;
                let target = std::net::SocketAddr::from((ip, port));
                let mut upstream = TcpStream::connect(target).await?;
                client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
                let who = format!(
                    "{}:{}",
                    String::from_utf8_lossy(&user),
                    String::from_utf8_lossy(&password)
                );
                let _ = seen.send((who, target.to_string()));
                tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
                Ok::<_, std::io::Error>(())
            });
        }
    });
    (format!("socks5://{address}"), connections)
}

#[tokio::test]
async fn requests_go_through_a_socks5_proxy_with_its_credentials() {
    let service = Service::removing_scim().await;
    let (proxy, mut connections) = socks5_proxy().await;
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(service.identity_url())
        .access_token("pat")
        .proxy_address(&proxy)
        .proxy_username("socks-user")
        .proxy_password("socks-pass")
        .load()
        .unwrap();
    client_for(config).remove_scim().await.unwrap();

    let (credentials, target) = connections.recv().await.expect("a SOCKS connection");
    assert_eq!(credentials, "socks-user:socks-pass");
    assert!(service.identity_url().contains(&target), "{target}");
    assert_eq!(service.api_requests().await.len(), 1);
}
