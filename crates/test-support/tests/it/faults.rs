//! R2, network faults: a TCP proxy between the Rust SDK and the server cuts every connection at
//! random moments, mid-send and mid-sync. The sender resends with the same `clientMsgID` after a
//! lost answer; the receiver reconnects and catches up. Every acknowledged message must reach the
//! receiver exactly once, in order, and unread counts must equal a fresh snapshot.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mynah_client::{Client, ClientError, ClientOptions, Event, SyncState, text_message};
use mynah_proto::frames::Push;
use mynah_proto::ids::ConversationType;
use mynah_proto::objects::Message;
use mynah_proto::requests::Platform;
use mynah_test_support::{APP_ID, TestServer};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

const MESSAGES: usize = 200;

/// A proxy whose `cut` ends every connection open at that moment.
struct FaultyProxy {
    address: SocketAddr,
    cuts: watch::Sender<u64>,
}

impl FaultyProxy {
    async fn start(upstream: SocketAddr) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (cuts, _) = watch::channel(0u64);
        let cut_signal = cuts.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut cut = cut_signal.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        FaultyProxy { address, cuts }
    }

    fn cut(&self) {
        self.cuts.send_modify(|generation| *generation += 1);
    }
}

/// A small deterministic generator, so a failing run can be repeated.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

async fn connect(
    server: &TestServer,
    proxy: SocketAddr,
    user: &str,
    platform: Platform,
) -> (Client, mpsc::UnboundedReceiver<Event>) {
    let options =
        ClientOptions::new(format!("ws://{proxy}/ws"), APP_ID, user, server.user_sig(user)).platform(platform);
    loop {
        match Client::connect(options.clone()).await {
            Ok(connected) => return connected,
            Err(ClientError::Connection(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(other) => panic!("login failed: {other}"),
        }
    }
}

#[tokio::test]
async fn every_acknowledged_message_arrives_exactly_once_through_a_cutting_proxy() {
    let server = TestServer::start().await;
    let proxy = Arc::new(FaultyProxy::start(server.address).await);
    let seed = std::env::var("MYNAH_FAULT_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or(7);
    let done = Arc::new(AtomicBool::new(false));

    let cutter = {
        let (proxy, done) = (proxy.clone(), done.clone());
        tokio::spawn(async move {
            let mut random = Lcg(seed);
            while !done.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(5 + random.below(25))).await;
                proxy.cut();
            }
        })
    };

    let receiver = {
        let (proxy_address, done) = (proxy.address, done.clone());
        let sig_server = server.user_sig("bob");
        let url = format!("ws://{proxy_address}/ws");
        tokio::spawn(async move {
            let options = ClientOptions::new(url, APP_ID, "bob", sig_server).platform(Platform::Android);
            let mut state = SyncState::default();
            let mut received: Vec<Message> = Vec::new();
            let mut reconnects = 0;
            while received.len() < MESSAGES || !done.load(Ordering::Relaxed) {
                let Ok((client, mut events)) = Client::connect(options.clone()).await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                reconnects += 1;
                // A catch-up cut midway changes nothing; the next connection tries again.
                let Ok(caught_up) = state.catch_up(&client).await else { continue };
                received.extend(caught_up.messages);
                // Until the session ends, or until everything arrived after the sender finished.
                while received.len() < MESSAGES || !done.load(Ordering::Relaxed) {
                    let event = match tokio::time::timeout(Duration::from_millis(100), events.recv()).await {
                        Err(_) => continue,
                        Ok(None) => break,
                        Ok(Some(event)) => event,
                    };
                    match event {
                        Event::Push(Push::Message(message)) => {
                            if state.observe_message("C2Calice", &message) {
                                received.push(message);
                            }
                        }
                        Event::Push(_) => {}
                        Event::Closed { .. } => break,
                    }
                }
            }
            (received, reconnects)
        })
    };

    let mut acknowledged = Vec::new();
    let mut resends = 0;
    let (mut alice, mut _alice_events) = connect(&server, proxy.address, "alice", Platform::Linux).await;
    for index in 0..MESSAGES {
        let request = text_message(ConversationType::C2c, "bob", &format!("through faults {index}"));
        loop {
            match alice.send_message(request.clone()).await {
                Ok(result) => {
                    acknowledged.push(result.message);
                    break;
                }
                Err(ClientError::Connection(_)) => {
                    resends += 1;
                    (alice, _alice_events) = connect(&server, proxy.address, "alice", Platform::Linux).await;
                }
                Err(other) => panic!("send failed: {other}"),
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    cutter.await.unwrap();
    let (received, reconnects) =
        tokio::time::timeout(Duration::from_secs(30), receiver).await.expect("receiver done").unwrap();

    assert!(
        reconnects > 1 && resends > 0,
        "the proxy must actually cut (reconnects {reconnects}, resends {resends}, seed {seed})"
    );
    let sequences: Vec<u64> = acknowledged.iter().map(|message| message.sequence).collect();
    assert_eq!(sequences, (1..=MESSAGES as u64).collect::<Vec<_>>(), "stored once each, in order (seed {seed})");
    let received_ids: Vec<&str> = received.iter().map(|message| message.id.as_str()).collect();
    let unique: HashSet<&str> = received_ids.iter().copied().collect();
    assert_eq!(unique.len(), received_ids.len(), "no message reported twice (seed {seed})");
    let acknowledged_ids: HashSet<&str> = acknowledged.iter().map(|message| message.id.as_str()).collect();
    assert_eq!(unique, acknowledged_ids, "every acknowledged message arrived (seed {seed})");

    // Unread counts agree with a fresh snapshot taken directly, without the proxy.
    let (bob, _events) = server.client("bob").await;
    let fresh = bob.get_conversation("C2Calice").await.unwrap();
    assert_eq!(fresh.unread_count, MESSAGES as u64);
    assert_eq!(bob.get_total_unread_message_count().await.unwrap(), MESSAGES as u64);
}
