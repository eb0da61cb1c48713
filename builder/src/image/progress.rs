//! Progress for long steps: indicatif bars on a terminal, one log line per finished step
//! otherwise (CI logs should not fill with carriage returns).

use std::io::{self, IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Shared by concurrent downloads: on a terminal their bars stack in one [`MultiProgress`].
#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
    quiet: bool,
}

impl Progress {
    /// Bars when stderr is a terminal.
    pub fn detect() -> Progress {
        Progress {
            multi: io::stderr().is_terminal().then(MultiProgress::new),
            quiet: false,
        }
    }

    /// Reports nothing (`--quiet`, tests).
    pub fn quiet() -> Progress {
        Progress {
            multi: None,
            quiet: true,
        }
    }

    /// A status line on stderr (above the bars on a terminal).
    pub fn log(&self, message: &str) {
        if self.quiet {
            return;
        }
        if let Some(m) = &self.multi {
            // Above the bars, which are redrawn below.
            if m.println(format!("disk: {message}")).is_ok() {
                return;
            }
        }
        let mut err = io::stderr().lock();
        // A closed stderr must not turn into a failure of the build.
        let _ = writeln!(err, "disk: {message}");
    }

    /// A byte counter for `what`, `total` bytes expected (0 when unknown).
    pub fn bytes(&self, what: &str, total: u64) -> Bar {
        let bar = if let Some(multi) = &self.multi {
            let bar = multi.add(ProgressBar::new(total));
            let template = "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            Some(bar)
        } else {
            None
        };
        Bar {
            bar,
            what: what.to_string(),
            progress: self.clone(),
            start: Instant::now(),
            done: 0,
        }
    }
}

pub struct Bar {
    bar: Option<ProgressBar>,
    what: String,
    progress: Progress,
    start: Instant,
    done: u64,
}

impl Bar {
    pub fn inc(&mut self, n: u64) {
        self.done += n;
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Ends the bar and logs `what (12.3 MiB in 0.4 s)`.
    pub fn finish(self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        self.progress.log(&format!(
            "{} ({} in {:.1} s)",
            self.what,
            human_bytes(self.done),
            self.start.elapsed().as_secs_f64()
        ));
    }
}

/// Counts bytes read through it on a [`Bar`].
pub struct CountingReader<'a, R> {
    pub inner: R,
    pub bar: &'a mut Bar,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        super::interrupt::check()?;
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn human_bytes_table() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (5 << 20, "5.0 MiB"),
            (3 << 30, "3.0 GiB"),
        ];
        for (n, want) in cases {
            assert_eq!(human_bytes(n), want);
        }
    }
}
