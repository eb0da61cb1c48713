//! One-line reasons for I/O errors, as users read them from `ls` or `cp`.

use std::io;

/// The message of `e` without Rust's " (os error N)" suffix: `No such file or directory`.
pub fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if e.raw_os_error().is_some() => text[..i].to_string(),
        _ => text,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
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
            (io::Error::other("plain message"), "plain message"),
        ];
        for (e, want) in cases {
            assert_eq!(io_reason(&e), want);
        }
    }
}
