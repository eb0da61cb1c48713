//! Running external commands (XCU §2.9.1.1): the PATH search, remembered locations (what
//! `hash` shows, as dash keeps them), the environment and exec.

use std::ffi::CString;

use nix::errno::Errno;

use super::super::{builtins, signals};
use super::{err, Cmd, Flow, Found, Redir, Shell};

impl Shell {
    /// Where `name` runs from: a remembered location (`hash`, or found before) while it is
    /// still an executable file, else the first executable file on PATH, else an applet.
    pub fn find_command(&self, name: &str) -> Found {
        if name.contains('/') {
            return Found::Path(name.to_string());
        }
        if let Some(p) = self.hashed.get(name) {
            if is_executable(p) {
                return Found::Path(p.clone());
            }
        }
        let path = self
            .get("PATH")
            .unwrap_or_else(|| "/bin:/sbin:/usr/bin:/usr/sbin".into());
        let mut noperm = None;
        for dir in path.split(':') {
            let p = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{}/{name}", dir.trim_end_matches('/'))
            };
            if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
                if is_executable(&p) {
                    return Found::Path(p);
                }
                noperm.get_or_insert(p);
            }
        }
        if crate::applets::exists(name) {
            return Found::Applet;
        }
        match noperm {
            Some(_) => Found::NoPerm,
            None => Found::Missing,
        }
    }

    /// Remember where a command found on PATH lives, as dash does (what `hash` lists), and
    /// forget a remembered one whose file is gone.
    pub fn remember_command(&mut self, name: &str) {
        if name.contains('/') {
            return;
        }
        if self.hashed.get(name).is_some_and(|p| !is_executable(p)) {
            self.hashed.remove(name);
        }
        if self.hashed.contains_key(name) {
            return;
        }
        if let Found::Path(p) = self.find_command(name) {
            self.hashed.insert(name.to_string(), p);
        }
    }

    /// dash remembers the commands of a pipeline in the shell itself (its children are
    /// vforked): do the same for command names written out plainly.
    pub(super) fn remember_pipeline(&mut self, cmds: &[Cmd]) {
        for c in cmds {
            let Cmd::Simple(s) = c else { continue };
            let Some(w) = s.words.first() else { continue };
            let plain = w
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c));
            if plain && !builtins::is_builtin(w) && !self.funcs.contains_key(w) {
                self.remember_command(w);
            }
        }
    }

    pub(super) fn environ(&self, assigns: &[(String, String)]) -> Vec<CString> {
        let mut env: Vec<CString> = Vec::new();
        let mut push = |k: &str, v: &str| {
            if let Ok(c) = CString::new(format!("{k}={v}")) {
                env.push(c);
            }
        };
        for (k, v) in &self.vars {
            if let (true, Some(value)) = (v.exported, &v.value) {
                if !assigns.iter().any(|(n, _)| n == k) {
                    push(k, value);
                }
            }
        }
        for (k, v) in assigns {
            push(k, v);
        }
        env
    }

    /// Apply redirections and exec `argv`; returns only on failure, with the exit status.
    pub fn exec_external(
        &mut self,
        argv: &[String],
        assigns: &[(String, String)],
        redirs: &[Redir],
    ) -> i32 {
        match self.redirect(redirs, false) {
            Ok(_) => {}
            Err(Flow::Fail(st) | Flow::Abort(st) | Flow::Exit(st)) => return st,
            Err(_) => return 1,
        }
        let Some(name) = argv.first() else { return 0 };
        let found = self.find_command(name);
        let path = match &found {
            Found::Path(p) => p.clone(),
            Found::Applet => "/proc/self/exe".to_string(),
            Found::Missing => {
                err(&format!("{name}: not found"));
                return 127;
            }
            Found::NoPerm => {
                err(&format!("{name}: Permission denied"));
                return 126;
            }
        };
        let env = self.environ(assigns);
        let cargs: Vec<CString> = argv
            .iter()
            .filter_map(|a| CString::new(a.as_str()).ok())
            .collect();
        let Ok(cpath) = CString::new(path.as_str()) else {
            err(&format!("{name}: not found"));
            return 127;
        };
        signals::reset_signals(self.owns_sigint);
        let Err(mut e) = nix::unistd::execve(&cpath, &cargs, &env);
        if e == Errno::ENOENT && matches!(found, Found::Applet) {
            // No /proc (a bare chroot): the image's own copy of rbox.
            let Err(again) = nix::unistd::execve(c"/bin/rbox", &cargs, &env);
            e = again;
        }
        if e == Errno::ENOEXEC {
            // A script without `#!`: run it with this shell (XCU §2.9.1.1).
            let mut sargs = vec![c"sh".to_owned(), cpath.clone()];
            sargs.extend(cargs.into_iter().skip(1));
            let _ = nix::unistd::execve(c"/proc/self/exe", &sargs, &env);
        }
        match e {
            Errno::ENOENT => {
                err(&format!("{name}: not found"));
                127
            }
            _ => {
                err(&format!("{name}: {}", e.desc()));
                126
            }
        }
    }
}

fn is_executable(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok()
}
