//! Running the AST: shell state, fork/exec, pipelines, redirections, waiting for children.

use std::collections::HashMap;
use std::rc::Rc;

use super::jobs::Jobs;
use super::parser::{self, assignment_split, Cmd, Redir, Simple};
use super::{builtins, fdio, signals};

mod redir;
mod search;
pub use redir::restore;

#[derive(Debug, Clone)]
pub struct Var {
    /// `None`: declared by `export x` or `readonly x` without a value, still unset (as dash).
    pub value: Option<String>,
    pub exported: bool,
    pub readonly: bool,
}

/// Why execution stops early. `Fail` is an already reported, non-fatal failure of one command.
#[derive(Debug)]
pub enum Flow {
    Break(u32),
    Continue(u32),
    Return(i32),
    Exit(i32),
    /// An error that ends a non-interactive shell (expansion errors, `set -u`).
    Abort(i32),
    Fail(i32),
}

pub type Ex = Result<i32, Flow>;

pub struct Shell {
    pub vars: HashMap<String, Var>,
    pub funcs: HashMap<String, Rc<Cmd>>,
    pub arg0: String,
    pub params: Vec<String>,
    pub status: i32,
    pub pid: i32,
    pub last_bg: Option<i32>,
    pub jobs: Jobs,
    /// `set` options (see `options.rs` for their names and letters).
    pub errexit: bool,
    pub xtrace: bool,
    pub nounset: bool,
    pub noglob: bool,
    pub allexport: bool,
    pub noclobber: bool,
    pub monitor: bool,
    pub verbose: bool,
    pub noexec: bool,
    pub ignoreeof: bool,
    pub notify: bool,
    /// `alias` definitions: name to replacement text.
    pub aliases: HashMap<String, String>,
    /// The aliases as they were when the running command was parsed: dash parses `$(…)`
    /// with the command around it, so those are the ones its commands see.
    pub parsed_aliases: HashMap<String, String>,
    /// `hash`: command name to the path found for it (cleared when PATH changes).
    pub hashed: HashMap<String, String>,
    pub interactive: bool,
    /// Commands come from standard input (`sh -s`, or no file and no `-c`): `s` in `$-`.
    pub from_stdin: bool,
    /// The shell ignores SIGINT/SIGQUIT itself; children must get them back.
    pub owns_sigint: bool,
    pub in_child: bool,
    /// Depth of contexts where a failure doesn't trigger `set -e` (conditions, `!`, non-final `&&`/`||`).
    pub cond: u32,
    exempt: bool,
    pub locals: Vec<Vec<(String, Option<Var>)>>,
    pub loop_depth: u32,
    /// Status of the last command substitution, for commands made only of assignments.
    pub subst_status: Option<i32>,
    /// The EXIT trap.
    pub exit_trap: Option<String>,
    /// An interactive shell saw its foreground command die of SIGINT: abandon the command line,
    /// as if the shell itself had been interrupted.
    pub interrupted: bool,
    /// Signal traps with commands: (signal number, action).
    pub traps: Vec<(i32, String)>,
    /// `getopts` position inside a group of options (`-abc`), and the OPTIND it belongs to.
    pub optpos: (usize, usize),
}

/// How one run of a loop's condition or body ended.
enum Step {
    Done(i32),
    Break,
    Continue,
}

pub enum Found {
    Path(String),
    Applet,
    Missing,
    NoPerm,
}

/// Deepest function recursion allowed (the 8 MiB main stack holds about 700 levels in a
/// debug build).
const MAX_FUNC_DEPTH: usize = 500;

pub fn err(msg: &str) {
    fdio::write_all(2, format!("sh: {msg}\n").as_bytes());
}

impl Shell {
    pub fn new(arg0: String, params: Vec<String>) -> Shell {
        let mut vars = HashMap::new();
        for (k, v) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if parser::is_name(&k) {
                let value = v.to_string_lossy().into_owned();
                vars.insert(
                    k,
                    Var {
                        value: Some(value),
                        exported: true,
                        readonly: false,
                    },
                );
            }
        }
        let mut sh = Shell {
            vars,
            funcs: HashMap::new(),
            arg0,
            params,
            status: 0,
            pid: std::process::id() as i32,
            last_bg: None,
            jobs: Jobs::default(),
            errexit: false,
            xtrace: false,
            nounset: false,
            noglob: false,
            allexport: false,
            noclobber: false,
            monitor: false,
            verbose: false,
            noexec: false,
            ignoreeof: false,
            notify: false,
            aliases: HashMap::new(),
            parsed_aliases: HashMap::new(),
            hashed: HashMap::new(),
            interactive: false,
            from_stdin: false,
            owns_sigint: false,
            in_child: false,
            cond: 0,
            exempt: false,
            locals: Vec::new(),
            loop_depth: 0,
            subst_status: None,
            exit_trap: None,
            interrupted: false,
            optpos: (0, 1),
            traps: Vec::new(),
        };
        sh.set("PPID", nix::unistd::getppid().as_raw().to_string());
        // XCU §2.5.3: IFS starts as <space><tab><newline> and OPTIND as 1 whatever the
        // environment says; the prompts keep an inherited value (as dash).
        let ifs_exported = sh.vars.get("IFS").is_some_and(|v| v.exported);
        sh.set("IFS", " \t\n".into());
        if let Some(v) = sh.vars.get_mut("IFS") {
            v.exported = ifs_exported;
        }
        sh.set("OPTIND", "1".into());
        let ps1 = if nix::unistd::geteuid().is_root() {
            "# "
        } else {
            "$ "
        };
        for (name, default) in [("PS1", ps1), ("PS2", "> "), ("PS4", "+ ")] {
            if sh.get(name).is_none() {
                sh.set(name, default.into());
            }
        }
        if let Ok(cwd) = std::env::current_dir() {
            let cwd = cwd.to_string_lossy().into_owned();
            let keep = sh.get("PWD").is_some_and(|p| {
                p.starts_with('/')
                    && std::fs::canonicalize(&p).is_ok_and(|c| c.to_string_lossy() == cwd)
            });
            if !keep {
                sh.set_exported("PWD", cwd);
            }
        }
        sh
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).and_then(|v| v.value.clone())
    }

    /// Assign `name`, ignoring a read-only variable's refusal (callers that must report it use
    /// `try_set`).
    pub fn set(&mut self, name: &str, value: String) {
        let _ = self.try_set(name, value);
    }

    /// Assign `name`: `set -a` exports it, PATH forgets hashed commands; a read-only variable
    /// is left alone and the error message is returned.
    pub fn try_set(&mut self, name: &str, value: String) -> Result<(), String> {
        if name == "PATH" {
            self.hashed.clear();
        }
        let export = self.allexport;
        match self.vars.get_mut(name) {
            Some(v) if v.readonly => return Err(format!("{name}: is read only")),
            Some(v) => {
                v.value = Some(value);
                v.exported |= export;
            }
            None => {
                self.vars.insert(
                    name.to_string(),
                    Var {
                        value: Some(value),
                        exported: export,
                        readonly: false,
                    },
                );
            }
        }
        Ok(())
    }

    pub fn set_exported(&mut self, name: &str, value: String) {
        if self.try_set(name, value).is_ok() {
            if let Some(v) = self.vars.get_mut(name) {
                v.exported = true;
            }
        }
    }

    pub fn ifs(&self) -> String {
        self.get("IFS").unwrap_or_else(|| " \t\n".into())
    }

    // ---- commands ----

    pub fn exec(&mut self, cmd: &Cmd) -> Ex {
        // `set -n`: a non-interactive shell reads and parses, and runs nothing more (as dash
        // checks before each command, also later in the same list).
        if self.noexec && !self.interactive {
            return Ok(self.status);
        }
        let st = match self.exec_inner(cmd) {
            Ok(st) => st,
            // `break` and `continue` are commands of status 0, also where they end a subshell.
            Err(e @ (Flow::Break(_) | Flow::Continue(_))) => {
                self.status = 0;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        self.status = st;
        if signals::pending() {
            self.run_traps()?;
        }
        if self.interrupted {
            return Err(Flow::Abort(st));
        }
        Ok(st)
    }

    fn guarded(&mut self, cmd: &Cmd) -> Ex {
        self.cond += 1;
        let r = self.exec(cmd);
        self.cond -= 1;
        r
    }

    fn exec_inner(&mut self, cmd: &Cmd) -> Ex {
        match cmd {
            Cmd::Simple(s) => self.simple(s, false),
            Cmd::Pipeline(cmds, bang) => {
                if cmds.len() > 1 {
                    self.remember_pipeline(cmds);
                }
                if *bang {
                    self.cond += 1;
                    let r = self.pipeline(cmds);
                    self.cond -= 1;
                    let st = r?;
                    self.exempt = true;
                    Ok((st == 0) as i32)
                } else {
                    self.pipeline(cmds)
                }
            }
            Cmd::AndOr(first, rest) => {
                let mut st = self.guarded(first)?;
                let mut from_last = false;
                for (i, (and, c)) in rest.iter().enumerate() {
                    if *and != (st == 0) {
                        continue;
                    }
                    from_last = i + 1 == rest.len();
                    st = if from_last {
                        // The last part is judged as it ends: `{ false && :; }` stays exempt.
                        self.exempt = false;
                        self.exec(c)?
                    } else {
                        self.guarded(c)?
                    };
                }
                if !from_last {
                    self.exempt = true;
                }
                Ok(st)
            }
            Cmd::List(items) => {
                let mut st = 0;
                for (c, bg) in items {
                    if *bg {
                        self.background(c);
                        st = 0;
                        self.status = 0;
                        continue;
                    }
                    self.exempt = false;
                    st = self.exec(c)?;
                    if st != 0 && self.errexit && self.cond == 0 && !self.exempt {
                        return Err(Flow::Exit(st));
                    }
                }
                Ok(st)
            }
            Cmd::Group(body) => self.exec(body),
            Cmd::Subshell(body) => match self.fork_child(false, |sh| sh.child_run(body)) {
                Some(pid) => Ok(self.wait_fg(pid)),
                None => Ok(2),
            },
            Cmd::If(arms, otherwise) => {
                for (c, body) in arms {
                    if self.guarded(c)? == 0 {
                        return self.exec(body);
                    }
                }
                match otherwise {
                    Some(b) => self.exec(b),
                    None => Ok(0),
                }
            }
            Cmd::Loop { until, cond, body } => {
                // XCU §2.9.4.3: the status of the last body command run, 0 if none ran; `break`
                // and `continue` count as commands of status 0, also in the condition.
                let mut last = 0;
                self.loop_depth += 1;
                let r = loop {
                    match self.loop_step(cond, true) {
                        Ok(Step::Done(st)) if (st == 0) == *until => break Ok(last),
                        Ok(Step::Done(_)) => {}
                        Ok(Step::Continue) => {
                            last = 0;
                            continue;
                        }
                        Ok(Step::Break) => break Ok(0),
                        Err(e) => break Err(e),
                    }
                    match self.loop_step(body, false) {
                        Ok(Step::Done(st)) => last = st,
                        Ok(Step::Continue) => last = 0,
                        Ok(Step::Break) => break Ok(0),
                        Err(e) => break Err(e),
                    }
                };
                self.loop_depth -= 1;
                r
            }
            Cmd::For { var, words, body } => {
                let items = match words {
                    Some(ws) => {
                        let mut v = Vec::new();
                        for w in ws {
                            v.extend(self.expand_fields(w)?);
                        }
                        v
                    }
                    None => self.params.clone(),
                };
                let mut last = 0;
                self.loop_depth += 1;
                let mut r = Ok(());
                for it in items {
                    if let Err(e) = self.assign(var, it) {
                        r = Err(e);
                        break;
                    }
                    match self.loop_step(body, false) {
                        Ok(Step::Done(st)) => last = st,
                        Ok(Step::Continue) => last = 0,
                        Ok(Step::Break) => {
                            last = 0;
                            break;
                        }
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    }
                }
                self.loop_depth -= 1;
                r.map(|_| last)
            }
            Cmd::Case(word, arms) => {
                let subject = self.expand_single(word)?;
                for (pats, body) in arms {
                    for p in pats {
                        let pat = self.expand_pattern(p)?;
                        if super::glob::matches(&pat, &subject) {
                            return self.exec(body);
                        }
                    }
                }
                Ok(0)
            }
            Cmd::FuncDef(name, body) => {
                self.funcs.insert(name.clone(), body.clone());
                Ok(0)
            }
            Cmd::Redirected(inner, redirs) => {
                let saved = match self.redirect(redirs, true) {
                    Ok(s) => s,
                    Err(Flow::Fail(st)) => return Ok(st),
                    Err(e) => return Err(e),
                };
                let r = self.exec(inner);
                restore(saved);
                r
            }
        }
    }

    /// Run a loop's condition (`cond`: exempt from `set -e`) or body, catching the `break`
    /// or `continue` meant for this loop and passing on those for outer ones.
    fn loop_step(&mut self, cmd: &Cmd, cond: bool) -> Result<Step, Flow> {
        let r = if cond {
            self.guarded(cmd)
        } else {
            self.exec(cmd)
        };
        match r {
            Ok(st) => Ok(Step::Done(st)),
            Err(Flow::Break(n)) if n > 1 => Err(Flow::Break(n - 1)),
            Err(Flow::Break(_)) => {
                self.status = 0;
                Ok(Step::Break)
            }
            Err(Flow::Continue(n)) if n > 1 => Err(Flow::Continue(n - 1)),
            Err(Flow::Continue(_)) => {
                self.status = 0;
                Ok(Step::Continue)
            }
            Err(e) => Err(e),
        }
    }

    /// Run `cmd` as the whole life of a forked child: simple commands exec without another fork.
    pub fn child_run(&mut self, cmd: &Cmd) -> i32 {
        let mut c = cmd;
        while let Cmd::List(items) = c {
            if items.len() != 1 || items[0].1 {
                break;
            }
            c = &items[0].0;
        }
        let r = match c {
            Cmd::Simple(s) if !self.errexit => self.simple(s, true),
            _ => self.exec(c),
        };
        match r {
            Ok(st) => st,
            Err(Flow::Exit(st) | Flow::Abort(st) | Flow::Return(st) | Flow::Fail(st)) => st,
            Err(_) => self.status,
        }
    }

    pub fn run_exit_trap(&mut self, st: i32) -> i32 {
        if let Some(t) = self.exit_trap.take() {
            self.status = st;
            // An `exit N` in the trap (or an error that ends the shell) decides the status.
            if let Err(Flow::Exit(n) | Flow::Abort(n)) = self.eval_text(&t) {
                return n;
            }
        }
        st
    }

    // ---- simple commands ----

    pub fn simple(&mut self, s: &Simple, nofork: bool) -> Ex {
        self.subst_status = None;
        let argv = self.command_words(&s.words)?;
        let name = argv.first().cloned();
        let func = match name.as_deref() {
            Some(n) if !builtins::is_special(n) && n != "command" => self.funcs.get(n).cloned(),
            _ => None,
        };
        // Assignments stay for special builtins and commands without a name; otherwise they
        // are undone after the command (XCU §2.9.1).
        let keep = name.as_deref().is_none_or(builtins::is_special);
        let external = func.is_none() && !name.as_deref().is_none_or(builtins::is_builtin);
        // XCU §2.9.1: redirections are performed before the assignments are expanded, so
        // `x=$(cmd 2>&1) 2>/dev/null` has the redirection in effect for `cmd`. A command run
        // from PATH inherits them (the saved copies are close-on-exec); `exec` keeps its own.
        let saved = if name.as_deref() != Some("exec") {
            match self.redirect(&s.redirs, true) {
                Ok(saved) => saved,
                // XCU §2.8.1: a redirection error on a special builtin ends the shell.
                Err(Flow::Fail(st)) if name.is_some() && keep => return Err(self.special_fail(st)),
                Err(Flow::Fail(st)) => return Ok(st),
                Err(e) => return Err(e),
            }
        } else {
            Vec::new()
        };
        // `set -x` traces to the shell's own stderr, from before the redirections (as dash).
        let trace_fd = match saved.iter().find(|(fd, _)| *fd == 2) {
            Some((_, keep_fd)) => *keep_fd,
            None => Some(2),
        };
        let r = self.simple_assigned(s, argv, (func, keep, external), nofork, trace_fd);
        restore(saved);
        r
    }

    /// Expand a simple command's words. After a declaration utility (`export`, `readonly`,
    /// `local`, also behind `command`), a word that is literally `NAME=value` is expanded as
    /// an assignment: no field splitting or globbing, `~` after `=` and `:` (as dash).
    fn command_words(&mut self, words: &[String]) -> Result<Vec<String>, Flow> {
        let mut argv: Vec<String> = Vec::new();
        let mut decl = None;
        for w in words {
            if decl == Some(true) {
                if let Some((n, raw)) = assignment_split(w) {
                    let v = self.expand_assign(raw)?;
                    argv.push(format!("{n}={v}"));
                    continue;
                }
            }
            argv.extend(self.expand_fields(w)?);
            if decl.is_none() {
                if let Some(a) = argv.iter().find(|a| *a != "command") {
                    decl = Some(matches!(a.as_str(), "export" | "readonly" | "local"));
                }
            }
        }
        Ok(argv)
    }

    /// The rest of a simple command, its redirections done (unless it is `exec`):
    /// assignments, then the command.
    fn simple_assigned(
        &mut self,
        s: &Simple,
        mut argv: Vec<String>,
        (func, keep, external): (Option<Rc<Cmd>>, bool, bool),
        nofork: bool,
        trace_fd: Option<i32>,
    ) -> Ex {
        let name = argv.first().cloned();
        // XCU §2.9.1: assignments are expanded in order, each one visible to the next.
        let mut assigns = Vec::new();
        let mut old = Vec::new();
        for a in &s.assigns {
            if let Some((n, raw)) = assignment_split(a) {
                let v = match self.expand_assign(raw) {
                    Ok(v) => v,
                    Err(e) => {
                        self.restore_vars(old);
                        return Err(e);
                    }
                };
                if !keep {
                    old.push((n.to_string(), self.vars.get(n).cloned()));
                }
                if let Err(e) = self.assign(n, v.clone()) {
                    self.restore_vars(old);
                    return Err(e);
                }
                if !keep {
                    // A regular builtin or function sees them in the environment of what it
                    // runs (`x=1 command env`), as dash.
                    if let Some(var) = self.vars.get_mut(n) {
                        var.exported = true;
                    }
                }
                assigns.push((n.to_string(), v));
            }
        }
        if external {
            // The child gets them in its environment; the shell's own stay as they were.
            self.restore_vars(std::mem::take(&mut old));
        }
        if self.xtrace {
            let mut words: Vec<String> = assigns.iter().map(|(n, v)| format!("{n}={v}")).collect();
            words.extend(argv.iter().cloned());
            let mut line = self.trace_prefix();
            line.push_str(&words.join(" "));
            line.push('\n');
            if let Some(fd) = trace_fd {
                fdio::write_all(fd, line.as_bytes());
            }
        }
        let Some(name) = name else {
            return Ok(self.subst_status.unwrap_or(0));
        };
        if name == "exec" && argv.len() == 1 {
            return match self.redirect(&s.redirs, false) {
                Ok(_) => Ok(0),
                Err(Flow::Fail(st)) => Err(self.special_fail(st)),
                Err(e) => Err(e),
            };
        }
        if name == "exec" {
            argv.remove(0);
            let st = self.exec_external(&argv, &assigns, &s.redirs);
            return if self.in_child {
                Err(Flow::Exit(st))
            } else {
                Err(self.special_fail(st))
            };
        }
        if !external {
            let r = match func {
                Some(body) => self.call_function(&body, argv),
                None => builtins::run(self, &argv),
            };
            // `set -e` judges the call itself, not the last command inside it.
            self.exempt = false;
            self.restore_vars(old);
            return r;
        }
        // A PATH given with the command is the one searched (and nothing is remembered).
        let alt_path = assigns
            .iter()
            .rev()
            .find(|(n, _)| n == "PATH")
            .map(|(_, v)| v.clone());
        if alt_path.is_none() {
            self.remember_command(&name);
        }
        let run = |sh: &mut Shell| {
            if let Some(p) = alt_path {
                // Only ever in the process about to exec.
                sh.set("PATH", p);
            }
            sh.exec_external(&argv, &assigns, &[])
        };
        if nofork {
            return Ok(run(self));
        }
        match self.fork_child(false, run) {
            Some(pid) => Ok(self.wait_fg(pid)),
            None => Ok(2),
        }
    }

    /// `set -x`: PS4 with its parameters expanded (as in double quotes), none if unset.
    fn trace_prefix(&mut self) -> String {
        let Some(ps4) = self.get("PS4") else {
            return String::new();
        };
        let st = (self.status, self.subst_status);
        let quoted = format!("\"{}\"", ps4.replace('"', "\\\""));
        // Not traced itself: a `$(…)` in PS4 would trace its commands with PS4 again.
        self.xtrace = false;
        let r = self.expand_single(&quoted).unwrap_or(ps4);
        self.xtrace = true;
        (self.status, self.subst_status) = st;
        r
    }

    /// Put back variables saved before temporary assignments, last saved first.
    fn restore_vars(&mut self, old: Vec<(String, Option<Var>)>) {
        for (n, v) in old.into_iter().rev() {
            match v {
                Some(v) => self.vars.insert(n, v),
                None => self.vars.remove(&n),
            };
        }
    }

    /// An assignment the script asked for: a read-only variable is an error that ends a
    /// non-interactive shell with status 2 (XCU §2.8.1, as dash).
    pub fn assign(&mut self, name: &str, value: String) -> Result<(), Flow> {
        match self.try_set(name, value) {
            Ok(()) => Ok(()),
            Err(msg) => {
                err(&msg);
                Err(self.abort(2))
            }
        }
    }

    /// A failing special builtin ends a non-interactive shell (XCU §2.8.1).
    fn special_fail(&self, st: i32) -> Flow {
        if self.interactive {
            Flow::Fail(st)
        } else {
            Flow::Exit(st)
        }
    }

    pub fn call_function(&mut self, body: &Cmd, argv: Vec<String>) -> Ex {
        // Each level costs a few native stack frames; fail cleanly instead of overflowing.
        if self.locals.len() >= MAX_FUNC_DEPTH {
            err(&format!("{}: function nesting too deep", argv[0]));
            return Err(self.abort(2));
        }
        let saved = std::mem::replace(&mut self.params, argv.into_iter().skip(1).collect());
        self.locals.push(Vec::new());
        // A `break` in a function doesn't reach the caller's loops (as dash).
        let depth = std::mem::replace(&mut self.loop_depth, 0);
        let r = self.exec(body);
        self.loop_depth = depth;
        for (n, v) in self.locals.pop().unwrap_or_default().into_iter().rev() {
            match v {
                Some(v) => self.vars.insert(n, v),
                None => self.vars.remove(&n),
            };
        }
        self.params = saved;
        match r {
            Err(Flow::Return(st)) => Ok(st),
            r => r,
        }
    }

    // ---- text ----

    /// Parse and run `text` in this shell (`eval`, `.`, traps, `-c`).
    pub fn eval_text(&mut self, text: &str) -> Ex {
        let src: Vec<char> = text.chars().collect();
        let mut p = parser::Parser::new(&src, 0, 1);
        p.set_complete_input(true);
        let outer = self.parsed_aliases.clone();
        let mut st = 0;
        let r = loop {
            // Aliases defined by one command apply from the next one on (XCU §2.3.1).
            p.set_aliases(self.aliases.clone());
            self.parsed_aliases = self.aliases.clone();
            match p.complete_command() {
                Ok(Some(cmd)) => match self.exec(&cmd) {
                    Ok(s) => st = s,
                    Err(e) => break Err(e),
                },
                Ok(None) => break Ok(st),
                Err(e) => {
                    err(&e.to_string());
                    break Err(self.special_fail(2));
                }
            }
        };
        self.parsed_aliases = outer;
        r
    }
}

impl super::arith::ArithVars for Shell {
    fn get_var(&self, name: &str) -> Option<String> {
        self.get(name)
    }
    fn set_var(&mut self, name: &str, value: String) {
        self.set(name, value)
    }
}
