//! Redirections (XCU §2.7): opening targets (`set -C` included), duplicating and closing
//! descriptors, here-document pipes, and undoing them after a command.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use super::super::fdio;
use super::super::parser::{Redir, RedirKind};
use super::{err, Flow, Shell};

impl Shell {
    /// Apply redirections; with `save`, return how to undo them.
    pub fn redirect(
        &mut self,
        redirs: &[Redir],
        save: bool,
    ) -> Result<Vec<(i32, Option<i32>)>, Flow> {
        let mut saved = Vec::new();
        for r in redirs {
            match self.redirect_one(r, save, &mut saved) {
                Ok(()) => {}
                Err(e) => {
                    restore(saved);
                    return Err(e);
                }
            }
        }
        Ok(saved)
    }

    fn redirect_one(
        &mut self,
        r: &Redir,
        save: bool,
        saved: &mut Vec<(i32, Option<i32>)>,
    ) -> Result<(), Flow> {
        let source = match &r.kind {
            RedirKind::HereDoc(body, expand) => {
                let text = if *expand {
                    self.expand_heredoc(&body.borrow())?
                } else {
                    body.borrow().clone()
                };
                match self.heredoc_fd(text) {
                    Some(fd) => Source::Opened(fd),
                    None => return Err(Flow::Fail(1)),
                }
            }
            RedirKind::Dup => {
                let t = self.expand_single(&r.target)?;
                if t == "-" {
                    Source::Close
                } else {
                    let number = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
                    match t.parse::<i32>() {
                        Ok(n) if number && fdio::is_open(n) => Source::Dup(n),
                        _ if number => {
                            err(&format!("{t}: Bad file descriptor"));
                            return Err(Flow::Fail(1));
                        }
                        // XCU §2.7.5 leaves a word that isn't a number unspecified; dash
                        // treats it as a syntax error.
                        _ => {
                            err(&format!("{t}: Bad fd number"));
                            return Err(self.abort(2));
                        }
                    }
                }
            }
            kind => {
                let t = self.expand_single(&r.target)?;
                let mode = Mode::from_bits_truncate(0o666);
                let opened = match kind {
                    RedirKind::Write if self.noclobber => open_noclobber(&t),
                    RedirKind::Read => fdio::open(&t, OFlag::O_RDONLY, mode),
                    RedirKind::Write | RedirKind::Clobber => {
                        fdio::open(&t, OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_TRUNC, mode)
                    }
                    RedirKind::Append => {
                        fdio::open(&t, OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_APPEND, mode)
                    }
                    _ => fdio::open(&t, OFlag::O_RDWR | OFlag::O_CREAT, mode),
                };
                match opened {
                    Ok(fd) => Source::Opened(fd),
                    Err(e) => {
                        err(&format!("{t}: {}", e.desc()));
                        return Err(Flow::Fail(1));
                    }
                }
            }
        };
        if save {
            saved.push((r.fd, fdio::save(r.fd)));
        }
        match source {
            Source::Close => fdio::close(r.fd),
            Source::Dup(n) if n == r.fd => {}
            Source::Dup(n) => fdio::dup2(n, r.fd),
            Source::Opened(fd) => fdio::move_to(fd, r.fd),
        }
        Ok(())
    }

    /// A pipe whose read end yields `text`; big bodies are fed by a child so the pipe can't fill up.
    fn heredoc_fd(&mut self, text: String) -> Option<i32> {
        let (r, w) = match fdio::pipe() {
            Ok(p) => p,
            Err(e) => {
                err(&format!("pipe: {}", e.desc()));
                return None;
            }
        };
        if text.len() <= 4096 {
            fdio::write_all(w, text.as_bytes());
        } else {
            self.fork_child(false, |_| {
                fdio::close(r);
                fdio::write_all(w, text.as_bytes());
                0
            });
        }
        fdio::close(w);
        Some(r)
    }
}

/// `>` under `set -C` (XCU §2.7.2): an existing regular file is refused; anything else
/// (`/dev/null`, a FIFO) opens as it is, and a new file is created exclusively.
fn open_noclobber(path: &str) -> Result<i32, Errno> {
    let mode = Mode::from_bits_truncate(0o666);
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Err(Errno::EEXIST),
        Ok(_) => fdio::open(path, OFlag::O_WRONLY, mode),
        Err(_) => fdio::open(path, OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL, mode),
    }
}

/// What a redirection puts on its descriptor.
enum Source {
    Close,
    Dup(i32),
    /// A descriptor the shell just opened (close-on-exec until it is in place).
    Opened(i32),
}

pub fn restore(saved: Vec<(i32, Option<i32>)>) {
    for (fd, copy) in saved.into_iter().rev() {
        match copy {
            Some(c) => {
                fdio::dup2(c, fd);
                fdio::close(c);
            }
            None => fdio::close(fd),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn noclobber_table() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("existing");
        std::fs::write(&existing, "keep").unwrap();
        let new = dir.path().join("new");
        // (path, refused with EEXIST)
        let cases = [
            (existing.to_string_lossy().into_owned(), true),
            ("/dev/null".to_string(), false),
            (new.to_string_lossy().into_owned(), false),
        ];
        for (path, refused) in cases {
            match open_noclobber(&path) {
                Ok(fd) => {
                    assert!(!refused, "{path}");
                    fdio::close(fd);
                }
                Err(e) => assert!(refused && e == Errno::EEXIST, "{path}: {e}"),
            }
        }
        assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep");
        assert!(new.is_file());
    }
}
