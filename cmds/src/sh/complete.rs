//! Tab completion for the interactive shell: the first word of a command completes to command
//! names (builtins, functions, aliases, applets, `PATH` executables), other words to paths.
//! `~` is expanded to look up but kept in the line; characters the shell would take apart
//! (spaces, quotes, `$`…) are escaped with backslashes; a directory gets a `/`.

use std::os::unix::fs::PermissionsExt;

/// One completion: what the list shows and what replaces the word.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub display: String,
    pub replacement: String,
}

/// What completion looks up besides the file system.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// Builtins, functions, aliases and applets.
    pub commands: Vec<String>,
    pub path: String,
    pub home: Option<String>,
}

/// Words after which the next word is a command again.
const KEYWORDS: [&str; 9] = [
    "if", "then", "else", "elif", "while", "until", "do", "!", "time",
];

/// The word under the cursor: where it starts in `line`, its text with quoting removed, and
/// whether it is in command position.
fn current_word(line: &str) -> (usize, String, bool) {
    let mut start = 0;
    let mut word = String::new();
    let mut command = true;
    let mut prev_words: Vec<String> = Vec::new();
    let (mut single, mut double, mut escaped) = (false, false, false);
    for (i, c) in line.char_indices() {
        if escaped {
            word.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ if single || double => word.push(c),
            ' ' | '\t' | ';' | '|' | '&' | '(' | ')' | '<' | '>' | '\n' => {
                if !word.is_empty() || i > start {
                    let w = std::mem::take(&mut word);
                    command = KEYWORDS.contains(&w.as_str())
                        || (command && w.contains('=') && !w.starts_with('='));
                    prev_words.push(w);
                }
                if matches!(c, ';' | '|' | '&' | '(' | ')' | '\n') {
                    command = true;
                } else if matches!(c, '<' | '>') {
                    command = false;
                }
                start = i + c.len_utf8();
            }
            _ => word.push(c),
        }
    }
    (start, word, command)
}

/// Backslash-escape what the shell would otherwise split, expand or take as quoting.
fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if " \t\n'\"\\$`&|;()<>*?[]#!{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn is_executable(m: &std::fs::Metadata) -> bool {
    m.is_file() && m.permissions().mode() & 0o111 != 0
}

/// Completions for the word ending at `pos` in `line`: the byte offset where the replaced
/// text starts, and the choices, sorted.
pub fn complete(line: &str, pos: usize, names: &Names) -> (usize, Vec<Choice>) {
    let upto = line.get(..pos).unwrap_or(line);
    let (start, word, command) = current_word(upto);
    let mut out = if command && !word.contains('/') {
        commands(&word, names)
    } else {
        paths(&word, names, command)
    };
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup_by(|a, b| a.display == b.display);
    (start, out)
}

fn commands(prefix: &str, names: &Names) -> Vec<Choice> {
    let mut found: Vec<String> = names
        .commands
        .iter()
        .filter(|n| n.starts_with(prefix))
        .cloned()
        .collect();
    for dir in names.path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix)
                && std::fs::metadata(e.path()).is_ok_and(|m| is_executable(&m))
            {
                found.push(name);
            }
        }
    }
    found
        .into_iter()
        .map(|n| Choice {
            replacement: format!("{} ", escape(&n)),
            display: n,
        })
        .collect()
}

/// Files under the directory part of `word`; in command position only directories and
/// executables.
fn paths(word: &str, names: &Names, command: bool) -> Vec<Choice> {
    let (dir, prefix) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("", word),
    };
    // `~` and `~/…` look in $HOME; the line keeps the `~`.
    let (lookup, typed) = match (dir.strip_prefix("~/"), &names.home) {
        (Some(rest), Some(h)) => (
            format!("{}/{rest}", h.trim_end_matches('/')),
            format!("~/{}", escape(rest)),
        ),
        _ => (dir.to_string(), escape(dir)),
    };
    if word == "~" {
        if let Some(h) = &names.home {
            if std::path::Path::new(h).is_dir() {
                return vec![Choice {
                    display: "~/".into(),
                    replacement: "~/".into(),
                }];
            }
        }
    }
    let Ok(rd) = std::fs::read_dir(if lookup.is_empty() { "." } else { &lookup }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(e.path()) else {
            continue;
        };
        if command && !meta.is_dir() && !is_executable(&meta) {
            continue;
        }
        let (display, end) = if meta.is_dir() {
            (format!("{name}/"), "/")
        } else {
            (name.clone(), " ")
        };
        out.push(Choice {
            display,
            replacement: format!("{typed}{}{end}", escape(&name)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_table() {
        let cases = [
            ("", (0, "", true)),
            ("ec", (0, "ec", true)),
            ("echo a", (5, "a", false)),
            ("cat my\\ fi", (4, "my fi", false)),
            ("cat 'my fi", (4, "my fi", false)),
            ("ls | gr", (5, "gr", true)),
            ("a=1 ls", (4, "ls", true)),
            ("if tr", (3, "tr", true)),
            ("echo >ou", (6, "ou", false)),
            ("x; ca", (3, "ca", true)),
        ];
        for (line, (start, word, command)) in cases {
            assert_eq!(
                current_word(line),
                (start, word.to_string(), command),
                "{line:?}"
            );
        }
    }

    #[test]
    fn complete_table() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("home/src")).unwrap();
        std::fs::create_dir_all(d.join("bin")).unwrap();
        std::fs::write(d.join("home/notes.txt"), "").unwrap();
        std::fs::write(d.join("home/my file"), "").unwrap();
        std::fs::write(d.join("home/it's"), "").unwrap();
        std::fs::write(d.join("home/.hidden"), "").unwrap();
        let tool = d.join("bin/frobnicate");
        std::fs::write(&tool, "").unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(d.join("bin/frobdata"), "").unwrap();
        let names = Names {
            commands: vec!["fg".into(), "frob_fn".into(), "ls".into(), "echo".into()],
            path: d.join("bin").to_string_lossy().into_owned(),
            home: Some(d.join("home").to_string_lossy().into_owned()),
        };
        let h = d.join("home").to_string_lossy().into_owned();
        let cases: Vec<(String, usize, Vec<&str>)> = vec![
            ("fro".into(), 0, vec!["frob_fn ", "frobnicate "]),
            ("l".into(), 0, vec!["ls "]),
            ("cat ~/no".into(), 4, vec!["~/notes.txt "]),
            ("cat ~/s".into(), 4, vec!["~/src/"]),
            ("cat ~/my".into(), 4, vec!["~/my\\ file "]),
            ("cat ~/it".into(), 4, vec!["~/it\\'s "]),
            ("cat ~/.h".into(), 4, vec!["~/.hidden "]),
            ("cat ~".into(), 4, vec!["~/"]),
            ("x; fr".into(), 3, vec!["frob_fn ", "frobnicate "]),
        ];
        for (line, start, want) in cases {
            let (s, got) = complete(&line, line.len(), &names);
            let got: Vec<&str> = got.iter().map(|c| c.replacement.as_str()).collect();
            assert_eq!((s, got), (start, want), "{line:?}");
        }
        // Absolute paths keep their directory as typed.
        let line = format!("cat {h}/my");
        let (_, got) = complete(&line, line.len(), &names);
        let want = format!("{}/my\\ file ", escape(&h));
        assert_eq!(got[0].replacement, want);
        // Hidden files only when asked for; the listing shows directories with `/`.
        let (_, got) = complete("ls ~/", 5, &names);
        let shown: Vec<&str> = got.iter().map(|c| c.display.as_str()).collect();
        assert_eq!(shown, ["it's", "my file", "notes.txt", "src/"]);
    }
}
