//! The kernel command line (`/proc/cmdline`) as data: `key=value` parameters, bare flags, and
//! the arguments for init after `--`.
//!
//! Splitting follows the kernel's own `next_arg()` (lib/cmdline.c, see
//! Documentation/admin-guide/kernel-parameters.rst): words are separated by white space,
//! double quotes group (and are removed), a value is what follows the first `=`, so
//! `root=UUID=1234` has the value `UUID=1234`. Single quotes are ordinary characters, which keeps
//! `entrypoint="/usr/sbin/nginx -g 'daemon off;'"` intact for the shell-style split done later.

use std::path::Path;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CmdlineError {
    #[error("{path}: {}", crate::sys::errno_of(.source).desc())]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// One word of the command line: `key=value`, or a bare flag (`value` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelCmdline {
    params: Vec<Param>,
    init_args: Vec<String>,
    warnings: Vec<String>,
}

impl KernelCmdline {
    pub fn parse(text: &str) -> KernelCmdline {
        let mut cmdline = KernelCmdline::default();
        let mut after_dashes = false;
        for word in split_words(text, &mut cmdline.warnings) {
            if after_dashes {
                cmdline.init_args.push(word);
            } else if word == "--" {
                after_dashes = true;
            } else {
                let param = match word.split_once('=') {
                    Some((k, v)) => Param {
                        key: k.to_string(),
                        value: Some(v.to_string()),
                    },
                    None => Param {
                        key: word,
                        value: None,
                    },
                };
                cmdline.params.push(param);
            }
        }
        cmdline
    }

    /// Every parameter in order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The value of the last `key=value` (the kernel lets later parameters override earlier).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .filter(|p| p.key == key)
            .find_map(|p| p.value.as_deref())
    }

    /// Every value given for `key`, in order (`console=tty0 console=ttyS0`).
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |p| p.key == key)
            .filter_map(|p| p.value.as_deref())
    }

    /// Whether `key` appears as a bare flag (`quiet`, `rw`, `rootwait`).
    pub fn flag(&self, key: &str) -> bool {
        self.params
            .iter()
            .any(|p| p.key == key && p.value.is_none())
    }

    /// The words after `--`: arguments for init.
    pub fn init_args(&self) -> &[String] {
        &self.init_args
    }

    /// `module.param[=value]` words as (module, param, value), as modprobe collects them.
    /// Names are as written: the kernel treats `-` and `_` in them alike, so compare with that.
    pub fn module_params(&self) -> impl Iterator<Item = (&str, &str, Option<&str>)> + '_ {
        self.params.iter().filter_map(|p| {
            let (module, param) = p.key.split_once('.')?;
            (!module.is_empty() && !param.is_empty()).then_some((module, param, p.value.as_deref()))
        })
    }

    /// What was wrong with the text (an unterminated quote), for the boot log.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// Read and parse `ROOT/proc/cmdline`.
pub fn read(root: &Path) -> Result<KernelCmdline, CmdlineError> {
    let path = root.join("proc/cmdline");
    let text = std::fs::read(&path).map_err(|source| CmdlineError::Read {
        path: path.display().to_string(),
        source,
    })?;
    Ok(KernelCmdline::parse(&String::from_utf8_lossy(&text)))
}

/// Words separated by unquoted white space, double quotes removed. An unterminated quote
/// takes the rest of the text into the word and adds a warning.
fn split_words(text: &str, warnings: &mut Vec<String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut in_quote = false;
    for c in text.trim_end_matches('\n').chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                in_word = true;
            }
            c if c.is_whitespace() && !in_quote => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_quote {
        warnings.push(format!("unterminated quote in '{word}', taking the rest"));
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(key: &str, value: Option<&str>) -> Param {
        Param {
            key: key.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn parse_table() {
        // (input, params, init args, warnings)
        let cases: &[(&str, &[Param], &[&str], usize)] = &[
            ("", &[], &[], 0),
            ("   \n", &[], &[], 0),
            (
                "console=ttyS0 quiet\n",
                &[p("console", Some("ttyS0")), p("quiet", None)],
                &[],
                0,
            ),
            (
                "root=UUID=12-34 rw rootwait",
                &[
                    p("root", Some("UUID=12-34")),
                    p("rw", None),
                    p("rootwait", None),
                ],
                &[],
                0,
            ),
            (
                r#"entrypoint="/usr/sbin/nginx -g 'daemon off;'" x=1"#,
                &[
                    p("entrypoint", Some("/usr/sbin/nginx -g 'daemon off;'")),
                    p("x", Some("1")),
                ],
                &[],
                0,
            ),
            (r#""a=b c""#, &[p("a", Some("b c"))], &[], 0),
            (
                r#"a="b c"d e"#,
                &[p("a", Some("b cd")), p("e", None)],
                &[],
                0,
            ),
            (r#"a="""#, &[p("a", Some(""))], &[], 0),
            (r#""""#, &[p("", None)], &[], 0),
            ("empty=", &[p("empty", Some(""))], &[], 0),
            ("=v", &[p("", Some("v"))], &[], 0),
            ("\ta\t\tb ", &[p("a", None), p("b", None)], &[], 0),
            (
                "quiet -- -s \"two words\" x=y",
                &[p("quiet", None)],
                &["-s", "two words", "x=y"],
                0,
            ),
            ("-- --", &[], &["--"], 0),
            ("a--", &[p("a--", None)], &[], 0),
            (
                r#"a=1 cmd="sh -c 'x'   tail"#,
                &[p("a", Some("1")), p("cmd", Some("sh -c 'x'   tail"))],
                &[],
                1,
            ),
            ("\"", &[p("", None)], &[], 1),
            (
                "caf\u{e9}=\u{fc}",
                &[p("caf\u{e9}", Some("\u{fc}"))],
                &[],
                0,
            ),
        ];
        for (input, params, args, warnings) in cases {
            let c = KernelCmdline::parse(input);
            assert_eq!(c.params(), *params, "{input:?}");
            assert_eq!(c.init_args(), *args, "{input:?}");
            assert_eq!(c.warnings().len(), *warnings, "{input:?}");
        }
    }

    #[test]
    fn accessors() {
        let c = KernelCmdline::parse(
            "console=tty0 console=ttyS0 quiet=1 rw ip=dhcp virtio_net.napi_tx=1 usbcore.nousb .x=1 y.=2",
        );
        let cases: &[(&str, Option<&str>, bool)] = &[
            ("console", Some("ttyS0"), false),
            ("quiet", Some("1"), false),
            ("rw", None, true),
            ("ro", None, false),
            ("ip", Some("dhcp"), false),
        ];
        for (key, value, flag) in cases {
            assert_eq!(c.get(key), *value, "{key}");
            assert_eq!(c.flag(key), *flag, "{key}");
        }
        assert_eq!(c.all("console").collect::<Vec<_>>(), ["tty0", "ttyS0"]);
        assert_eq!(
            c.module_params().collect::<Vec<_>>(),
            [
                ("virtio_net", "napi_tx", Some("1")),
                ("usbcore", "nousb", None)
            ]
        );
    }

    #[test]
    fn read_takes_a_root() {
        let dir = tempfile::tempdir().expect("test fixture");
        assert!(read(dir.path())
            .expect_err("must fail")
            .to_string()
            .ends_with("proc/cmdline: No such file or directory"));
        std::fs::create_dir_all(dir.path().join("proc")).expect("test fixture");
        std::fs::write(dir.path().join("proc/cmdline"), "hostname=vm quiet\n")
            .expect("test fixture");
        let c = read(dir.path()).expect("test fixture");
        assert_eq!(c.get("hostname"), Some("vm"));
        assert!(c.flag("quiet"));
    }
}
