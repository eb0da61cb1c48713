//! Raw descriptor operations by number. A shell moves descriptors 0–9 around by number, which
//! nix's `OwnedFd`-based API doesn't express, so the few libc calls are wrapped here once.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

/// Lowest descriptor the shell uses for its own saved copies (XCU §2.7: users own 0–9).
const SAVE_BASE: i32 = 10;

pub fn dup2(from: i32, to: i32) {
    // SAFETY: dup2 on plain integers has no memory-safety preconditions; failure is harmless here
    // because both descriptors were checked or just opened by the caller.
    unsafe {
        libc::dup2(from, to);
    }
}

pub fn close(fd: i32) {
    // SAFETY: closing a descriptor number the shell manages; no Rust object owns it.
    unsafe {
        libc::close(fd);
    }
}

/// Put the descriptor `from` (close-on-exec, as the shell opens them) at number `to` for
/// children to inherit. It may already be there when `to` was the lowest free number.
pub fn move_to(from: i32, to: i32) {
    if from == to {
        // SAFETY: F_SETFD only changes the descriptor's flags.
        unsafe {
            libc::fcntl(from, libc::F_SETFD, 0);
        }
    } else {
        dup2(from, to);
        close(from);
    }
}

pub fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only queries the descriptor table.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// A close-on-exec copy of `fd` above 9, or `None` if `fd` isn't open.
pub fn save(fd: i32) -> Option<i32> {
    // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor number.
    let n = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, SAVE_BASE) };
    (n >= 0).then_some(n)
}

pub fn pipe() -> Result<(i32, i32), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok((fds[0], fds[1]))
}

/// Open a file; the descriptor is close-on-exec until it is dup2'ed into place.
pub fn open(path: &str, flags: OFlag, mode: Mode) -> Result<i32, Errno> {
    use std::os::fd::IntoRawFd;
    nix::fcntl::open(path, flags | OFlag::O_CLOEXEC, mode).map(|fd| fd.into_raw_fd())
}

thread_local! {
    /// A write to standard output failed since the last `take_out_error` (a builtin's output
    /// to a closed descriptor or a full disk is an error, as dash reports it).
    static OUT_ERROR: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a write to fd 1 failed since the last call; clears the mark.
pub fn take_out_error() -> bool {
    OUT_ERROR.with(|e| e.replace(false))
}

/// Set the mark back (a builtin running others keeps its own write error).
pub fn set_out_error(failed: bool) {
    OUT_ERROR.with(|e| e.set(failed));
}

pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: `buf` is a valid readable slice of the given length.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        if n <= 0 {
            if fd == 1 {
                set_out_error(true);
            }
            return;
        }
        buf = &buf[n as usize..];
    }
}

/// Read one byte; `None` at end of file or on error. Byte at a time so that commands run
/// later see the rest of the input (XCU `read`, scripts on a pipe).
pub fn read_byte(fd: i32) -> Option<u8> {
    let mut b = 0u8;
    loop {
        // SAFETY: reading one byte into a valid local.
        let n = unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) };
        if n < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        return (n == 1).then_some(b);
    }
}

/// Read everything from `fd` until end of file.
pub fn read_all(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is a valid writable buffer of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        if n <= 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

/// Leave a forked child without running the parent's exit-time code twice.
pub fn exit(code: i32) -> ! {
    // SAFETY: _exit ends the process immediately; nothing is left to uphold.
    unsafe { libc::_exit(code) }
}
