//! Output streams (`print > file`, `>> file`, `| cmd`) and input streams (`getline < file`,
//! `cmd | getline`), kept open by name until `close(name)` or exit.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};

use super::ast::RedirKind;
use super::record::{RecordReader, RecordSep};

enum Output {
    File(BufWriter<File>),
    Pipe(Child, BufWriter<ChildStdin>),
    Stderr,
}

struct Input {
    reader: RecordReader,
    child: Option<Child>,
}

pub struct Streams {
    pub stdout: BufWriter<io::Stdout>,
    /// stdout is a terminal: flush after each record written, so output keeps up with input.
    pub stdout_tty: bool,
    outputs: HashMap<Vec<u8>, Output>,
    inputs: HashMap<Vec<u8>, Input>,
}

fn shell(cmd: &[u8]) -> Command {
    use std::os::unix::ffi::OsStrExt;
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(std::ffi::OsStr::from_bytes(cmd));
    c
}

fn os_path(name: &[u8]) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(name))
}

/// The status awk reports for a finished command: its exit code, 256+signal if killed
/// (as the one true awk's system() and close() do).
pub fn status_code(st: ExitStatus) -> f64 {
    match (st.code(), st.signal()) {
        (Some(c), _) => c as f64,
        (None, Some(s)) => 256.0 + s as f64,
        _ => -1.0,
    }
}

impl Streams {
    pub fn new() -> Streams {
        use std::io::IsTerminal;
        Streams {
            stdout: BufWriter::with_capacity(65536, io::stdout()),
            stdout_tty: io::stdout().is_terminal(),
            outputs: HashMap::new(),
            inputs: HashMap::new(),
        }
    }

    /// Write `data` to the stream named `name`, opening it first if needed.
    pub fn write(&mut self, kind: RedirKind, name: &[u8], data: &[u8]) -> Result<(), String> {
        if name == b"/dev/stdout" || name == b"-" {
            return self.stdout.write_all(data).map_err(|e| e.to_string());
        }
        if !self.outputs.contains_key(name) {
            let out = if name == b"/dev/stderr" {
                Output::Stderr
            } else if kind == RedirKind::Pipe {
                self.flush_all();
                let mut child = shell(name).stdin(Stdio::piped()).spawn().map_err(|e| {
                    format!(
                        "can't open pipe {}: {}",
                        show(name),
                        crate::error::io_reason(&e)
                    )
                })?;
                let Some(stdin) = child.stdin.take() else {
                    return Err(format!("can't open pipe {}", show(name)));
                };
                Output::Pipe(child, BufWriter::new(stdin))
            } else {
                let f = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .append(kind == RedirKind::Append)
                    .truncate(kind == RedirKind::Write)
                    .open(os_path(name))
                    .map_err(|e| {
                        format!(
                            "can't redirect to {}: {}",
                            show(name),
                            crate::error::io_reason(&e)
                        )
                    })?;
                Output::File(BufWriter::new(f))
            };
            self.outputs.insert(name.to_vec(), out);
        }
        let r = match self.outputs.get_mut(name) {
            Some(Output::File(w)) => w.write_all(data),
            Some(Output::Pipe(_, w)) => w.write_all(data),
            Some(Output::Stderr) => {
                let _ = self.stdout.flush();
                io::stderr().write_all(data)
            }
            None => Ok(()),
        };
        r.map_err(|e| format!("write to {}: {}", show(name), crate::error::io_reason(&e)))
    }

    /// Read one record from the file or command `name`; None at end, Err if it can't be opened.
    pub fn getline(
        &mut self,
        cmd: bool,
        name: &[u8],
        rs: &RecordSep,
    ) -> io::Result<Option<Vec<u8>>> {
        if !self.inputs.contains_key(name) {
            let input = if cmd {
                self.flush_all();
                let mut child = shell(name).stdout(Stdio::piped()).spawn()?;
                let Some(out) = child.stdout.take() else {
                    return Err(io::Error::other("no pipe"));
                };
                Input {
                    reader: RecordReader::new(Box::new(out)),
                    child: Some(child),
                }
            } else if name == b"-" || name == b"/dev/stdin" {
                Input {
                    reader: RecordReader::new(Box::new(io::stdin())),
                    child: None,
                }
            } else {
                Input {
                    reader: RecordReader::new(Box::new(File::open(os_path(name))?)),
                    child: None,
                }
            };
            self.inputs.insert(name.to_vec(), input);
        }
        match self.inputs.get_mut(name) {
            Some(input) => input.reader.read_record(rs),
            None => Ok(None),
        }
    }

    /// `close(name)`: -1 if nothing of that name is open, else 0 or the command's status.
    pub fn close(&mut self, name: &[u8]) -> f64 {
        let mut result = -1.0;
        if let Some(out) = self.outputs.remove(name) {
            result = close_output(out);
        }
        if let Some(input) = self.inputs.remove(name) {
            drop(input.reader);
            result = match input.child {
                Some(mut c) => c.wait().map(status_code).unwrap_or(-1.0),
                None => 0.0,
            };
        }
        result
    }

    pub fn flush_all(&mut self) {
        let _ = self.stdout.flush();
        for out in self.outputs.values_mut() {
            let _ = match out {
                Output::File(w) => w.flush(),
                Output::Pipe(_, w) => w.flush(),
                Output::Stderr => Ok(()),
            };
        }
    }

    /// `fflush(name)`: 0, or -1 if no such output is open.
    pub fn flush(&mut self, name: &[u8]) -> f64 {
        if name == b"/dev/stdout" {
            let _ = self.stdout.flush();
            return 0.0;
        }
        match self.outputs.get_mut(name) {
            Some(Output::File(w)) => w.flush().map_or(-1.0, |_| 0.0),
            Some(Output::Pipe(_, w)) => w.flush().map_or(-1.0, |_| 0.0),
            Some(Output::Stderr) => 0.0,
            None => -1.0,
        }
    }

    /// At exit: flush stdout, close every output and wait for output commands.
    pub fn close_all(&mut self) -> io::Result<()> {
        let r = self.stdout.flush();
        for (_, out) in self.outputs.drain() {
            close_output(out);
        }
        for (_, input) in self.inputs.drain() {
            drop(input.reader);
            if let Some(mut c) = input.child {
                let _ = c.wait();
            }
        }
        r
    }
}

fn close_output(out: Output) -> f64 {
    match out {
        Output::File(mut w) => w.flush().map_or(-1.0, |_| 0.0),
        Output::Pipe(mut child, mut w) => {
            let _ = w.flush();
            drop(w);
            child.wait().map(status_code).unwrap_or(-1.0)
        }
        Output::Stderr => 0.0,
    }
}

pub fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// `system(cmd)`: run it with our stdio after flushing everything.
pub fn system(streams: &mut Streams, cmd: &[u8]) -> f64 {
    streams.flush_all();
    match shell(cmd).status() {
        Ok(st) => status_code(st),
        Err(_) => -1.0,
    }
}
