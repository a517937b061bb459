//! The HTTP transport settings: an HTTP or (with the `socks` feature) SOCKS5 proxy, with or
//! without credentials, and an extra CA certificate.

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

#[cfg(feature = "socks")]
mod socks {
    use super::*;
    use finbourne_identity_emulator::Emulator;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::mpsc::UnboundedReceiver;

    /// What the SOCKS5 server saw of one connection.
    #[derive(Debug)]
    struct Seen {
        /// `user:password` when the client authenticated (RFC 1929), else none.
        credentials: Option<String>,
        target: std::net::SocketAddr,
    }

    /// A SOCKS5 proxy on 127.0.0.1 (RFC 1928): user name and password authentication when the
    /// client offers it, else none; CONNECT to the IPv4 address asked for, then splice. It
    /// reports each connection.
    async fn socks5_proxy() -> (String, UnboundedReceiver<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (seen, connections) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = [0u8; 2];
                    client.read_exact(&mut head).await?;
                    assert_eq!(head[0], 5, "SOCKS version 5");
                    let mut methods = vec![0u8; head[1] as usize];
                    client.read_exact(&mut methods).await?;
                    let credentials = if methods.contains(&2) {
                        client.write_all(&[5, 2]).await?;
                        assert_eq!(client.read_u8().await?, 1, "user/password version 1");
                        let mut user = vec![0u8; client.read_u8().await? as usize];
                        client.read_exact(&mut user).await?;
                        let mut password = vec![0u8; client.read_u8().await? as usize];
                        client.read_exact(&mut password).await?;
                        client.write_all(&[1, 0]).await?;
                        Some(format!(
                            "{}:{}",
                            String::from_utf8_lossy(&user),
                            String::from_utf8_lossy(&password)
                        ))
                    } else {
                        assert!(methods.contains(&0), "the client offers no authentication");
                        client.write_all(&[5, 0]).await?;
                        None
                    };
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
                    let _ = seen.send(Seen {
                        credentials,
                        target,
                    });
                    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
                    Ok::<_, std::io::Error>(())
                });
            }
        });
        (format!("socks5://{address}"), connections)
    }

    #[tokio::test]
    async fn calls_to_the_emulator_go_through_a_socks5_proxy() {
        let emulator = Emulator::start().await.unwrap();
        let (proxy, mut connections) = socks5_proxy().await;
        let config = ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(emulator.identity_url())
            .access_token(emulator.issue_access_token())
            .proxy_address(&proxy)
            .load()
            .unwrap();
        let identity = IdentityClient::new(config).unwrap();
        identity.get_user_info().send().await.unwrap();

        let seen = connections.recv().await.expect("a SOCKS connection");
        assert_eq!(seen.credentials, None);
        assert_eq!(seen.target, emulator.addr());
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

        let seen = connections.recv().await.expect("a SOCKS connection");
        assert_eq!(seen.credentials.as_deref(), Some("socks-user:socks-pass"));
        let target = seen.target.to_string();
        assert!(service.identity_url().contains(&target), "{target}");
        assert_eq!(service.api_requests().await.len(), 1);
    }
}

#[tokio::test]
async fn answers_are_asked_for_compressed() {
    let emulator = finbourne_identity_emulator::Emulator::start()
        .await
        .unwrap();
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(emulator.identity_url())
        .access_token(emulator.issue_access_token())
        .load()
        .unwrap();
    // The emulator compresses its answers for a client that asks: this one decodes them.
    let me = client_for(config).get_user_info().send().await.unwrap();
    assert!(!me.id.is_empty());
    let sent = emulator.journal();
    assert_eq!(sent[0].header("accept-encoding"), Some("gzip"));
}

/// A server whose every answer is `body` compressed: a few KiB on the wire that decode to
/// `decoded` bytes.
async fn gzip_bomb(decoded: usize) -> (String, usize) {
    use std::io::Write;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(b"{\"blob\": \"").unwrap();
    encoder.write_all(&vec![b'x'; decoded]).unwrap();
    encoder.write_all(b"\"}").unwrap();
    let body = encoder.finish().unwrap();
    let wire = body.len();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/identity", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = socket.read(&mut head).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    (url, wire)
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_at_the_answer_limit() {
    const LIMIT: usize = 256 * 1024;
    let (url, wire) = gzip_bomb(8 * LIMIT).await;
    assert!(wire < LIMIT / 16, "{wire} bytes on the wire: not a bomb");
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(url)
        .access_token("pat")
        .load()
        .unwrap();
    let identity = IdentityClient::builder(config)
        .answer_limit(LIMIT)
        .build()
        .unwrap();
    let error = identity.get_user_info().send().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "get_user_info: the answer is larger than the limit of 262144 bytes"
    );
}
