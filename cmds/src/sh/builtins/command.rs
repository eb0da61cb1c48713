//! How a name would be run: `command [-p] [-v|-V] NAME [ARG...]`, `type NAME...` and
//! `hash [-r] [NAME...]` (XCU command, type, hash), with dash's words: alias, keyword,
//! function, special builtin, builtin, tracked alias, path; and rbox's applets.

use super::super::exec::{err, Ex, Flow, Found, Shell, Var};
use super::super::fdio;
use super::{dispatch, is_builtin, is_keyword, is_special, out, quote};

/// The PATH of `command -p`: where the standard utilities are (getconf PATH on Debian).
pub const DEFAULT_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// What a command name is, in the order the shell looks (XCU §2.9.1.1).
#[derive(Debug, PartialEq)]
pub enum Kind {
    Alias(String),
    Keyword,
    Function,
    Special,
    Builtin,
    /// Found through `hash`.
    Tracked(String),
    Path(String),
    Applet,
    Missing,
}

pub fn classify(sh: &Shell, name: &str) -> Kind {
    if let Some(a) = sh.aliases.get(name) {
        return Kind::Alias(a.clone());
    }
    if is_keyword(name) {
        return Kind::Keyword;
    }
    if sh.funcs.contains_key(name) {
        return Kind::Function;
    }
    if is_special(name) {
        return Kind::Special;
    }
    if is_builtin(name) {
        return Kind::Builtin;
    }
    if name.contains('/') {
        let exec = std::fs::metadata(name).is_ok_and(|m| m.is_file())
            && nix::unistd::access(name, nix::unistd::AccessFlags::X_OK).is_ok();
        return if exec {
            Kind::Path(name.to_string())
        } else {
            Kind::Missing
        };
    }
    if let Some(p) = sh.hashed.get(name) {
        return Kind::Tracked(p.clone());
    }
    match sh.find_command(name) {
        Found::Path(p) => Kind::Path(p),
        Found::Applet => Kind::Applet,
        Found::Missing | Found::NoPerm => Kind::Missing,
    }
}

/// `command -v` (short) or `-V`/`type` (verbose) text for `name`; `None` when not found.
pub fn describe(kind: &Kind, name: &str, verbose: bool) -> Option<String> {
    Some(match (kind, verbose) {
        (Kind::Missing, _) => return None,
        (Kind::Alias(a), false) => format!("alias {name}={}", quote(a)),
        (Kind::Alias(a), true) => format!("{name} is an alias for {a}"),
        (Kind::Tracked(p) | Kind::Path(p), false) => p.clone(),
        (_, false) => name.to_string(),
        (Kind::Keyword, true) => format!("{name} is a shell keyword"),
        (Kind::Function, true) => format!("{name} is a shell function"),
        (Kind::Special, true) => format!("{name} is a special shell builtin"),
        (Kind::Builtin, true) => format!("{name} is a shell builtin"),
        (Kind::Tracked(p), true) => format!("{name} is a tracked alias for {p}"),
        (Kind::Path(p), true) => format!("{name} is {p}"),
        (Kind::Applet, true) => format!("{name} is an rbox applet"),
    })
}

/// Print what `name` is; false (after "NAME: not found" in verbose mode) when it is nothing.
/// A command found on PATH is remembered, as running it would (dash does the same).
fn report(sh: &mut Shell, name: &str, verbose: bool) -> bool {
    let kind = classify(sh, name);
    if let Kind::Path(p) = &kind {
        if !name.contains('/') {
            sh.hashed.insert(name.to_string(), p.clone());
        }
    }
    match describe(&kind, name, verbose) {
        Some(line) => {
            out(&format!("{line}\n"));
            true
        }
        None => {
            if verbose {
                out(&format!("{name}: not found\n"));
            }
            false
        }
    }
}

/// Run `f` with PATH set to the default one and no remembered commands (`command -p`), then
/// put both back as they were.
fn with_default_path<T>(sh: &mut Shell, f: impl FnOnce(&mut Shell) -> T) -> T {
    let var = Var {
        value: Some(DEFAULT_PATH.to_string()),
        exported: false,
        readonly: false,
    };
    let old = sh.vars.insert("PATH".into(), var);
    let hashed = std::mem::take(&mut sh.hashed);
    let r = f(sh);
    match old {
        Some(v) => sh.vars.insert("PATH".into(), v),
        None => sh.vars.remove("PATH"),
    };
    sh.hashed = hashed;
    r
}

pub fn command(sh: &mut Shell, args: &[String]) -> Ex {
    let (opts, rest) = super::flags("command", args, "pvV")?;
    let Some(name) = rest.first() else {
        return Ok(0);
    };
    let default_path = opts.contains('p');
    if opts.contains('v') || opts.contains('V') {
        // As dash: only the first NAME is described.
        let verbose = opts.ends_with('V') || !opts.contains('v');
        let found = if default_path {
            with_default_path(sh, |sh| report(sh, name, verbose))
        } else {
            report(sh, name, verbose)
        };
        return Ok(if found { 0 } else { 127 });
    }
    if is_builtin(name) {
        // `command` takes away a special built-in's power to end the shell (XCU §2.14),
        // also for the errors of what `command eval` or `command .` runs.
        let outer = fdio::take_out_error();
        let r = match dispatch(sh, rest) {
            Err(Flow::Fail(st) | Flow::Abort(st)) => Ok(st),
            r => r,
        };
        // A write error is the builtin's own (`command echo a >&-`: "echo: I/O error").
        let failed = fdio::take_out_error();
        fdio::set_out_error(outer);
        return match r {
            Ok(st) if failed => {
                err(&format!("{name}: I/O error"));
                Ok(st | 1)
            }
            r => r,
        };
    }
    let argv = rest.to_vec();
    let pid = sh.fork_child(false, |c| {
        if !default_path {
            return c.exec_external(&argv, &[], &[]);
        }
        // The search uses the default PATH; the command still gets the caller's.
        let keep: Vec<(String, String)> = c
            .vars
            .get("PATH")
            .filter(|v| v.exported)
            .and_then(|v| v.value.clone())
            .map(|v| ("PATH".to_string(), v))
            .into_iter()
            .collect();
        with_default_path(c, |c| c.exec_external(&argv, &keep, &[]))
    });
    match pid {
        Some(pid) => Ok(sh.wait_fg(pid)),
        None => Ok(2),
    }
}

/// `type NAME...`: each described in words; 127 if any is not found.
pub fn type_(sh: &mut Shell, args: &[String]) -> i32 {
    let mut st = 0;
    for a in args {
        if !report(sh, a, true) {
            st = 127;
        }
    }
    st
}

/// `hash` lists the remembered paths, `hash NAME` looks NAME up and remembers it, `hash -r`
/// forgets them all.
pub fn hash(sh: &mut Shell, args: &[String]) -> Ex {
    let (opts, names) = super::flags("hash", args, "r")?;
    if opts.contains('r') {
        sh.hashed.clear();
        return Ok(0);
    }
    if names.is_empty() {
        let mut paths: Vec<(&String, &String)> = sh.hashed.iter().collect();
        paths.sort();
        let text: String = paths.into_iter().map(|(_, p)| format!("{p}\n")).collect();
        out(&text);
        return Ok(0);
    }
    let mut st = 0;
    for n in names {
        if n.contains('/') || is_builtin(n) || sh.funcs.contains_key(n.as_str()) {
            continue;
        }
        sh.hashed.remove(n.as_str());
        match sh.find_command(n) {
            Found::Path(p) => {
                sh.hashed.insert(n.clone(), p);
            }
            Found::Applet => {}
            Found::Missing | Found::NoPerm => {
                err(&format!("hash: {n}: not found"));
                st = 1;
            }
        }
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_table() {
        let p = |s: &str| s.to_string();
        let cases = [
            (Kind::Alias(p("ls -l")), false, Some("alias ll='ls -l'")),
            (
                Kind::Alias(p("ls -l")),
                true,
                Some("ll is an alias for ls -l"),
            ),
            (Kind::Keyword, true, Some("ll is a shell keyword")),
            (Kind::Keyword, false, Some("ll")),
            (Kind::Function, true, Some("ll is a shell function")),
            (Kind::Special, true, Some("ll is a special shell builtin")),
            (Kind::Builtin, true, Some("ll is a shell builtin")),
            (
                Kind::Tracked(p("/bin/ll")),
                true,
                Some("ll is a tracked alias for /bin/ll"),
            ),
            (Kind::Tracked(p("/bin/ll")), false, Some("/bin/ll")),
            (Kind::Path(p("/bin/ll")), true, Some("ll is /bin/ll")),
            (Kind::Applet, false, Some("ll")),
            (Kind::Missing, true, None),
        ];
        for (kind, verbose, want) in cases {
            assert_eq!(
                describe(&kind, "ll", verbose).as_deref(),
                want,
                "{kind:?} {verbose}"
            );
        }
    }

    #[test]
    fn classify_order() {
        let mut sh = Shell::new("sh".into(), Vec::new());
        assert_eq!(classify(&sh, "if"), Kind::Keyword);
        assert_eq!(classify(&sh, "export"), Kind::Special);
        assert_eq!(classify(&sh, "cd"), Kind::Builtin);
        sh.aliases.insert("cd".into(), "echo".into());
        assert_eq!(classify(&sh, "cd"), Kind::Alias("echo".into()));
        assert_eq!(classify(&sh, "/nonexistent/x"), Kind::Missing);
    }
}
