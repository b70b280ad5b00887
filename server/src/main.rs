//! `tos-local-server`: a TOS-native-protocol object server for tests, demos and
//! benchmarks. Binds loopback only.

mod acl;
mod admin;
mod body;
mod conditions;
mod config;
mod copy;
mod digest;
mod errors;
mod faults;
mod link;
mod listing;
mod multipart;
mod names;
mod objects;
mod presign;
mod reqlog;
mod restore;
mod routing;
mod s3;
mod s3_checks;
mod s3_chunked;
mod s3_list;
mod s3_read;
mod sent_body;
mod service;
mod sign;
mod sse;
mod storage;
mod sts;
mod throttle;
mod tls;
mod traffic;
mod util;
mod versioning;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Notify;

use config::{Config, StorageMode};
use faults::{Faults, OneOrMany};
use service::{AppState, ConnCtx};

fn load_state(cfg: Config) -> Result<AppState, String> {
    let root = match &cfg.storage {
        StorageMode::Disk(d) => Some(d.clone()),
        StorageMode::Discard => None,
    };
    let store = storage::Store::open(root, cfg.md5_etags)
        .map_err(|e| format!("cannot open data dir: {e}"))?;
    for b in &cfg.buckets {
        store.create_bucket(b).map_err(|e| e.message)?;
    }
    let faults = Faults::default();
    if let Some(path) = &cfg.faults_file {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let rules: OneOrMany =
            serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        faults.add(rules.into_vec());
    }
    Ok(AppState {
        store,
        log: Default::default(),
        sts: Default::default(),
        link: link::Link::new(cfg.link),
        throttle: throttle::Throttle::new(cfg.throttle),
        acls: Default::default(),
        faults,
        cfg,
    })
}

async fn serve(state: Arc<AppState>) -> std::io::Result<()> {
    let tls = if state.cfg.tls_self_signed {
        Some(
            tls::self_signed_acceptor(
                state.cfg.tls_cert_out.as_ref(),
                state.cfg.tls_client_ca.as_ref(),
            )
            .map_err(std::io::Error::other)?,
        )
    } else {
        None
    };
    let listener =
        TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, state.cfg.port))).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "LISTENING {addr}")?;
        out.flush()?;
    }
    let s3 = state.cfg.s3.then(|| Arc::new(s3::S3State::default()));
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                // Transient accept errors (EMFILE, aborted handshakes) must not kill the server.
                Err(_) => continue,
            },
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        if state.link.settings().is_on() {
            // Loopback lets a socket buffer grow to megabytes; across a WAN what a sender has
            // in flight is bounded by the window. Without this a client would see bursts of
            // megabytes "sent" that the link has not carried.
            let _ = socket2::SockRef::from(&stream).set_recv_buffer_size(link::RECV_BUFFER);
        }
        let conn = ConnCtx {
            peer,
            fd: stream.as_raw_fd(),
            kill: Arc::new(Notify::new()),
            link: Default::default(),
        };
        let state = state.clone();
        let s3 = s3.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let counted = state.clone();
            let _open = counted.link.stats.connection();
            // The TCP handshake's round trip, which loopback does not have.
            let rtt = state.link.settings().rtt();
            if !rtt.is_zero() {
                tokio::time::sleep(rtt).await;
            }
            match tls {
                Some(acceptor) => {
                    // A failed handshake (a client refusing our certificate) ends the connection.
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve_connection(stream, state, s3, conn).await;
                    }
                }
                None => serve_connection(stream, state, s3, conn).await,
            }
        });
    }
}

async fn serve_connection<S>(
    stream: S,
    state: Arc<AppState>,
    s3: Option<Arc<s3::S3State>>,
    conn: ConnCtx,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = conn.kill.clone();
    let svc = service_fn(move |req| {
        let (state, s3, conn) = (state.clone(), s3.clone(), conn.clone());
        async move {
            if req.uri().path().starts_with("/__admin/") {
                return Ok(admin::handle(&state, &conn, req).await);
            }
            let _open = state.link.stats.request();
            // Held across the emulated round trip below: a request is in flight at the
            // server until its answer leaves, which is what an in-flight cap counts.
            let admitted = state.throttle.admit();
            let mut req = req;
            if let Err(refusal) = &admitted {
                req.extensions_mut()
                    .insert(throttle::Refused(refusal.clone()));
            }
            let response = match s3 {
                Some(s3) => s3::handle(state.clone(), s3, conn, req).await,
                None => service::handle(state.clone(), conn, req).await,
            };
            // The request's round trip on the emulated link, paid before the client sees
            // the response (the body's own round trips are paced while it is read).
            let rtt = state.link.settings().rtt();
            if !rtt.is_zero() {
                tokio::time::sleep(rtt).await;
            }
            response
        }
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = connection => {}
        _ = kill.notified() => {}
    }
}

fn main() {
    let cfg = match Config::from_args(std::env::args_os().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let state = match load_state(cfg) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("tos-local-server: {e}");
            std::process::exit(1);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(serve(state.clone()));
    // In-flight connections are simply dropped; completed writes are already on disk.
    rt.shutdown_background();
    if let (true, StorageMode::Disk(dir)) = (state.cfg.owns_data_dir, &state.cfg.storage) {
        let _ = std::fs::remove_dir_all(dir);
    }
    if let Err(e) = result {
        eprintln!("tos-local-server: {e}");
        std::process::exit(1);
    }
}
