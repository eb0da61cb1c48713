//! The interactive line editor: rustyline with in-memory history (filled from and written to
//! the history file by `history.rs`, without rustyline's file-history code) and the shell's
//! tab completion (`complete.rs`).

use rustyline::completion::{Completer, Pair};
use rustyline::config::Configurer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::builtins;
use super::complete::{self, Names};
use super::exec::Shell;

/// Builtin names worth completing; those this shell lacks are filtered out by `is_builtin`.
const BUILTIN_CANDIDATES: [&str; 41] = [
    ".", ":", "[", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval", "exec",
    "exit", "export", "false", "fc", "fg", "getopts", "hash", "history", "jobs", "kill", "local",
    "printf", "pwd", "read", "readonly", "return", "set", "shift", "source", "test", "times",
    "trap", "true", "type", "ulimit", "umask", "unalias", "unset", "wait",
];

/// Completion's view of the shell, refreshed before each line is read.
#[derive(Default)]
struct ShHelper {
    names: Names,
}

impl Completer for ShHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, choices) = complete::complete(line, pos, &self.names);
        let pairs = choices
            .into_iter()
            .map(|c| Pair {
                display: c.display,
                replacement: c.replacement,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShHelper {
    type Hint = String;
}
impl Highlighter for ShHelper {}
impl Validator for ShHelper {}
impl Helper for ShHelper {}

pub struct LineEditor {
    ed: Editor<ShHelper, DefaultHistory>,
}

pub enum Read {
    Line(String),
    Interrupted,
    Eof,
}

impl LineEditor {
    /// An editor on the terminal.
    pub fn new() -> Option<LineEditor> {
        // Plain output for serial consoles and expect-style tests: no bracketed-paste or
        // synchronized-update escapes around each prompt. Tab: longest common prefix, then a
        // list, as readline does.
        let config = Config::builder()
            .bracketed_paste(false)
            .completion_type(CompletionType::List)
            .history_ignore_dups(true)
            .ok()?
            .build();
        let mut ed = Editor::with_config(config).ok()?;
        ed.enable_synchronized_output(false);
        ed.set_helper(Some(ShHelper::default()));
        Some(LineEditor { ed })
    }

    /// Start the history with `lines` (oldest first), keeping as many as there are (the
    /// history file's limit is HISTSIZE, `history.rs` applies it).
    pub fn load_history(&mut self, lines: &[String]) {
        let h = self.ed.history_mut();
        let _ = h.set_max_len(lines.len().max(super::history::DEFAULT_SIZE));
        for l in lines {
            let _ = h.add(l);
        }
    }

    pub fn read(&mut self, sh: &Shell, prompt: &str) -> Read {
        if let Some(h) = self.ed.helper_mut() {
            h.names = names(sh);
        }
        match self.ed.readline(prompt) {
            Ok(l) => {
                if !l.trim().is_empty() {
                    let _ = self.ed.add_history_entry(l.as_str());
                }
                Read::Line(l)
            }
            Err(ReadlineError::Interrupted) => Read::Interrupted,
            Err(_) => Read::Eof,
        }
    }
}

/// Command names for completion: builtins, functions, aliases and applets; PATH and HOME.
fn names(sh: &Shell) -> Names {
    let mut commands: Vec<String> = BUILTIN_CANDIDATES
        .iter()
        .filter(|b| builtins::is_builtin(b))
        .map(|b| b.to_string())
        .collect();
    commands.extend(sh.funcs.keys().cloned());
    commands.extend(sh.aliases.keys().cloned());
    commands.extend(
        crate::applets::in_preset(crate::applets::Preset::Full).map(|a| a.name.to_string()),
    );
    Names {
        commands,
        path: sh.get("PATH").unwrap_or_default(),
        home: sh.get("HOME"),
    }
}
