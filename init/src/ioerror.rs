//! One-line reasons for I/O errors, as users read them from `ls` or `mount`: the text of an
//! `io::Error` without the " (os error N)" suffix the standard library adds. The one copy for
//! init, rbox's applets and the host builder.

use std::io;

/// `No such file or directory` for ENOENT. The text comes from nix's errno table rather than the
/// C library's strerror, so a static musl rbox and the glibc builder say the same words.
pub fn io_reason(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_reason_table() {
        let cases = [
            (
                io::Error::from_raw_os_error(libc::ENOENT),
                "No such file or directory",
            ),
            (
                io::Error::from_raw_os_error(libc::EACCES),
                "Permission denied",
            ),
            (
                io::Error::from_raw_os_error(libc::ENXIO),
                "No such device or address",
            ),
            (io::Error::other("plain message"), "plain message"),
        ];
        for (e, want) in cases {
            assert_eq!(io_reason(&e), want);
        }
    }
}
