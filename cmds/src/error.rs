//! Errors as the dispatcher prints them: one line, `applet: subject: reason`, and an exit code.

use std::fmt;

/// What an applet returns: its exit status, or a failure the dispatcher prints.
pub type AppletResult = Result<i32, Failure>;

/// An error an applet can fail with. Each applet has its own enum implementing this.
pub trait AppletError: fmt::Display {
    /// Exit status: 1 for failures, 2 for usage errors, 125–127 for exec trouble.
    fn exit_code(&self) -> i32 {
        1
    }
}

/// A failure on its way to the dispatcher: the message (without the applet name) and exit code.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl<E: AppletError> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            message: e.to_string(),
            code: e.exit_code(),
        }
    }
}

/// Bad command-line arguments: exit status 2.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AppletError for UsageError {
    fn exit_code(&self) -> i32 {
        2
    }
}

/// `io::Error` text without the "(os error N)" suffix the standard library adds (one copy, in
/// rroot-init, shared with init and the builder).
pub use rroot_init::io_reason;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_reason_drops_os_error_suffix() {
        let cases = [
            (libc::ENOENT, "No such file or directory"),
            (libc::EACCES, "Permission denied"),
            (libc::ENXIO, "No such device or address"),
        ];
        for (code, want) in cases {
            let e = std::io::Error::from_raw_os_error(code);
            assert_eq!(io_reason(&e), want);
        }
    }

    #[test]
    fn usage_error_exits_2() {
        let f: Failure = UsageError("bad".into()).into();
        assert_eq!(
            f,
            Failure {
                message: "bad".into(),
                code: 2
            }
        );
    }
}
