//! The controlling terminal as job control uses it: which process group is in the foreground
//! (`tcsetpgrp`), and the terminal modes the shell keeps for itself and for stopped jobs.
//! XCU §2.11 and the GNU libc manual's "Implementing a Job Control Shell".

use super::fdio;

/// The shell's own copy of the terminal descriptor and its process groups.
#[derive(Clone)]
pub struct Tty {
    pub fd: i32,
    /// The shell's process group (its pid once it made itself a group leader).
    pub pgid: i32,
    /// The foreground group when the shell started, given back when it exits.
    orig_pgid: i32,
    /// The modes to restore when a job stops or dies by a signal with the terminal in raw mode.
    modes: Option<libc::termios>,
}

impl std::fmt::Debug for Tty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tty(fd {}, pgid {})", self.fd, self.pgid)
    }
}

pub fn foreground(fd: i32) -> i32 {
    // SAFETY: tcgetpgrp only queries the terminal.
    unsafe { libc::tcgetpgrp(fd) }
}

/// Make `pgid` the terminal's foreground group. The caller ignores SIGTTOU, which a
/// background group would otherwise get for this.
pub fn give(fd: i32, pgid: i32) {
    // SAFETY: tcsetpgrp only changes the terminal's foreground group.
    unsafe {
        libc::tcsetpgrp(fd, pgid);
    }
}

pub fn get_modes(fd: i32) -> Option<libc::termios> {
    // SAFETY: all-zero is a valid termios (plain integers and arrays) for tcgetattr to fill.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a valid termios to write to.
    (unsafe { libc::tcgetattr(fd, &mut t) } == 0).then_some(t)
}

pub fn set_modes(fd: i32, t: &libc::termios) {
    // SAFETY: `t` came from tcgetattr on a terminal.
    unsafe {
        libc::tcsetattr(fd, libc::TCSADRAIN, t);
    }
}

impl Tty {
    /// Take the terminal on stdin for job control: wait to be in the foreground (as a job of
    /// another shell, stop with SIGTTIN until continued there), become a process-group leader
    /// and put that group in the foreground. `None` when stdin isn't a controlling terminal.
    pub fn acquire() -> Option<Tty> {
        // High, as bash keeps it, out of the way of `exec 10>file`; lower if the limit says so.
        // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor number.
        let high = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 255) };
        let fd = if high >= 0 { high } else { fdio::save(0)? };
        // Bounded: with SIGTTIN ignored (`set -m` typed later) the signal doesn't stop us.
        for tries in 0.. {
            let fg = foreground(fd);
            if fg < 0 || tries == 100 {
                fdio::close(fd);
                return None;
            }
            let own = nix::unistd::getpgrp().as_raw();
            if fg == own {
                break;
            }
            // SAFETY: kill on our own process group; the default action stops us until our
            // parent shell continues us in the foreground.
            unsafe {
                libc::kill(0, libc::SIGTTIN);
            }
        }
        let orig_pgid = nix::unistd::getpgrp().as_raw();
        let pid = std::process::id() as i32;
        // Taking the terminal for a new group is done from outside the foreground group: with
        // SIGTTOU at its default the kernel would stop us (tcsetpgrp(3)). The interactive shell
        // ignores it from here on anyway.
        // SAFETY: SIG_IGN installs no handler code.
        let _ = unsafe {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGTTOU,
                nix::sys::signal::SigHandler::SigIgn,
            )
        };
        // A session leader is already its group's leader (and may not call setpgid).
        let _ = nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), nix::unistd::Pid::from_raw(0));
        let pgid = nix::unistd::getpgrp().as_raw();
        if pgid == pid {
            give(fd, pgid);
        }
        Some(Tty {
            fd,
            pgid,
            orig_pgid,
            modes: get_modes(fd),
        })
    }

    /// Put the shell's group back in the foreground after a job.
    pub fn take_back(&self) {
        give(self.fd, self.pgid);
    }

    /// The modes the shell is comfortable with (after a job ended normally, `stty` sticks).
    pub fn save_modes(&mut self) {
        if let Some(m) = get_modes(self.fd) {
            self.modes = Some(m);
        }
    }

    pub fn restore_modes(&self) {
        if let Some(m) = &self.modes {
            set_modes(self.fd, m);
        }
    }

    /// On exit: the terminal's foreground group as it was when the shell started.
    pub fn release(&self) {
        if self.orig_pgid != self.pgid {
            let _ = nix::unistd::setpgid(
                nix::unistd::Pid::from_raw(0),
                nix::unistd::Pid::from_raw(self.orig_pgid),
            );
            give(self.fd, self.orig_pgid);
        }
    }
}
