//! `wget` against a tiny HTTP server on 127.0.0.1 run by the test itself (loopback only): plain
//! and chunked bodies, a redirect, a 404, output to a file and to stdout.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;

const RBOX: &str = env!("CARGO_BIN_EXE_rbox");

/// Serves `n` connections: each request's path picks the canned response.
fn serve(n: usize) -> (u16, thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = thread::spawn(move || {
        let mut requests = Vec::new();
        for stream in listener.incoming().take(n) {
            let mut stream = stream.expect("accept");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut first = String::new();
            reader.read_line(&mut first).expect("request line");
            let mut head = first.clone();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).expect("header") == 0 || l == "\r\n" {
                    break;
                }
                head.push_str(&l);
            }
            requests.push(head);
            let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
            let response: String = match path.as_str() {
                "/file.txt" => "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n".into(),
                "/chunked" => {
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                        .into()
                }
                "/moved" => "HTTP/1.1 302 Found\r\nLocation: /file.txt\r\nContent-Length: 0\r\n\r\n".into(),
                _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".into(),
            };
            let _ = stream.write_all(response.as_bytes());
        }
        requests
    });
    (port, handle)
}

fn wget(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let link = dir.join("wget");
    if !link.exists() {
        std::os::unix::fs::symlink(RBOX, &link).expect("symlink");
    }
    Command::new(&link)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run wget")
}

#[test]
fn fetches_files_follows_redirects_reports_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (port, server) = serve(5);
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");

    let out = wget(dir.path(), &["-q", &url("/file.txt")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("file.txt")).expect("saved"),
        "hello\n"
    );

    let out = wget(dir.path(), &["-q", "-O", "-", &url("/chunked")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "abcde");

    // Redirect: two connections, the body of the target.
    let out = wget(dir.path(), &["-q", "-O", "-", &url("/moved")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");

    let out = wget(dir.path(), &["-q", &url("/missing")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("wget: {}: server returned 404 Not Found\n", url("/missing"))
    );
    assert!(!dir.path().join("missing").exists());

    let requests = server.join().expect("server");
    assert!(requests[0].starts_with("GET /file.txt HTTP/1.1\r\n"));
    assert!(requests[0].contains(&format!("Host: 127.0.0.1:{port}\r\n")));

    let out = wget(dir.path(), &["https://127.0.0.1/"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "wget: https://127.0.0.1/: unsupported URL (only http:// is)\n"
    );
}
