//! Mount options: util-linux `-o` text ⇄ mount(2) flags plus filesystem data, and `MountSpec`,
//! one mount as a value. Option names follow mount(8) "FILESYSTEM-INDEPENDENT MOUNT OPTIONS";
//! anything not in the table goes to the filesystem as data (`size=1m`, `mode=755`, …).

use std::fmt;
use std::path::PathBuf;

use nix::mount::MsFlags;

const fn f(bits: &[MsFlags]) -> MsFlags {
    let mut out = MsFlags::empty();
    let mut i = 0;
    while i < bits.len() {
        out = out.union(bits[i]);
        i += 1;
    }
    out
}

const NONE: MsFlags = MsFlags::empty();
const ATIME_MODES: MsFlags = f(&[
    MsFlags::MS_NOATIME,
    MsFlags::MS_RELATIME,
    MsFlags::MS_STRICTATIME,
]);

/// (name, flags it sets, flags it clears). Order matters only for [`flags_to_options`]:
/// recursive variants come before the plain ones so `rbind` is printed instead of `bind`.
const TABLE: &[(&str, MsFlags, MsFlags)] = &[
    ("ro", MsFlags::MS_RDONLY, NONE),
    ("rw", NONE, MsFlags::MS_RDONLY),
    ("nosuid", MsFlags::MS_NOSUID, NONE),
    ("suid", NONE, MsFlags::MS_NOSUID),
    ("nodev", MsFlags::MS_NODEV, NONE),
    ("dev", NONE, MsFlags::MS_NODEV),
    ("noexec", MsFlags::MS_NOEXEC, NONE),
    ("exec", NONE, MsFlags::MS_NOEXEC),
    ("sync", MsFlags::MS_SYNCHRONOUS, NONE),
    ("async", NONE, MsFlags::MS_SYNCHRONOUS),
    ("mand", MsFlags::MS_MANDLOCK, NONE),
    ("nomand", NONE, MsFlags::MS_MANDLOCK),
    ("dirsync", MsFlags::MS_DIRSYNC, NONE),
    // The kernel keeps one atime mode; the last one named wins (mount(8) "relatime").
    ("noatime", MsFlags::MS_NOATIME, ATIME_MODES),
    ("atime", NONE, MsFlags::MS_NOATIME),
    ("relatime", MsFlags::MS_RELATIME, ATIME_MODES),
    ("norelatime", NONE, MsFlags::MS_RELATIME),
    ("strictatime", MsFlags::MS_STRICTATIME, ATIME_MODES),
    ("nostrictatime", NONE, MsFlags::MS_STRICTATIME),
    ("nodiratime", MsFlags::MS_NODIRATIME, NONE),
    ("diratime", NONE, MsFlags::MS_NODIRATIME),
    ("lazytime", MsFlags::MS_LAZYTIME, NONE),
    ("nolazytime", NONE, MsFlags::MS_LAZYTIME),
    ("iversion", MsFlags::MS_I_VERSION, NONE),
    ("noiversion", NONE, MsFlags::MS_I_VERSION),
    ("silent", MsFlags::MS_SILENT, NONE),
    ("loud", NONE, MsFlags::MS_SILENT),
    ("remount", MsFlags::MS_REMOUNT, NONE),
    ("rbind", f(&[MsFlags::MS_BIND, MsFlags::MS_REC]), NONE),
    ("bind", MsFlags::MS_BIND, NONE),
    ("move", MsFlags::MS_MOVE, NONE),
    ("rshared", f(&[MsFlags::MS_SHARED, MsFlags::MS_REC]), NONE),
    ("shared", MsFlags::MS_SHARED, NONE),
    ("rslave", f(&[MsFlags::MS_SLAVE, MsFlags::MS_REC]), NONE),
    ("slave", MsFlags::MS_SLAVE, NONE),
    ("rprivate", f(&[MsFlags::MS_PRIVATE, MsFlags::MS_REC]), NONE),
    ("private", MsFlags::MS_PRIVATE, NONE),
    (
        "runbindable",
        f(&[MsFlags::MS_UNBINDABLE, MsFlags::MS_REC]),
        NONE,
    ),
    ("unbindable", MsFlags::MS_UNBINDABLE, NONE),
    // rw,suid,dev,exec,async are the kernel's defaults already: no bits to change.
    ("defaults", NONE, NONE),
];

/// Options that mean something to mount(8) or fstab readers only and never reach the kernel.
const USERSPACE_ONLY: &[&str] = &[
    "auto", "noauto", "user", "nouser", "users", "owner", "group", "_netdev", "nofail", "loop",
];

/// Parsed `-o` text: flags for mount(2) and the comma-joined rest for the filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountOptions {
    pub flags: MsFlags,
    pub data: String,
}

impl MountOptions {
    /// Parse `-o` text. Never fails: unknown names are filesystem data, which the kernel judges.
    pub fn parse(opts: &str) -> Self {
        let mut o = MountOptions {
            flags: MsFlags::empty(),
            data: String::new(),
        };
        o.apply(opts);
        o
    }

    /// Apply more `-o` text on top (later options win, like repeated `-o` in mount(8)).
    pub fn apply(&mut self, opts: &str) {
        for opt in split_options(opts) {
            if let Some(&(_, set, clear)) = TABLE.iter().find(|(name, ..)| *name == opt) {
                self.flags = (self.flags & !clear) | set;
            } else if !(USERSPACE_ONLY.contains(&opt)
                || opt.starts_with("x-")
                || opt.starts_with("comment="))
            {
                if !self.data.is_empty() {
                    self.data.push(',');
                }
                self.data.push_str(opt);
            }
        }
    }
}

impl fmt::Display for MountOptions {
    /// The options as `-o` text, e.g. `ro,nosuid,size=1m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&flags_to_options(self.flags))?;
        if !self.data.is_empty() {
            write!(f, ",{}", self.data)?;
        }
        Ok(())
    }
}

/// Flags as option text, `rw` or `ro` first, e.g. `rw,nosuid,nodev,relatime`.
pub fn flags_to_options(flags: MsFlags) -> String {
    let mut out = String::from(if flags.contains(MsFlags::MS_RDONLY) {
        "ro"
    } else {
        "rw"
    });
    let mut covered = MsFlags::MS_RDONLY;
    for &(name, set, _) in TABLE {
        if !set.is_empty() && flags.contains(set) && !covered.contains(set) {
            out.push(',');
            out.push_str(name);
            covered |= set;
        }
    }
    out
}

/// Split on commas outside double quotes (`context="a,b"` stays one option); drop empties.
fn split_options(opts: &str) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    opts.split(move |c| {
        if c == '"' {
            quoted = !quoted;
        }
        c == ',' && !quoted
    })
    .filter(|o| !o.is_empty())
}

/// One mount as a value: what mount(2) gets. Built by the `mount` applet and init's mount table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountSpec {
    /// Device, file, or a name such as `proc` for virtual filesystems.
    pub source: PathBuf,
    pub target: PathBuf,
    /// `None` for bind, move and remount, where the kernel ignores it.
    pub fstype: Option<String>,
    pub flags: MsFlags,
    /// Filesystem-specific options; empty means none.
    pub data: String,
}

impl MountSpec {
    /// A mount from `-o` style text, e.g. `MountSpec::new("tmpfs", "/run", Some("tmpfs"), "nosuid,mode=755")`.
    pub fn new(
        source: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
        fstype: Option<&str>,
        options: &str,
    ) -> Self {
        let o = MountOptions::parse(options);
        MountSpec {
            source: source.into(),
            target: target.into(),
            fstype: fstype.map(str::to_string),
            flags: o.flags,
            data: o.data,
        }
    }

    /// The options as `-o` text, for logs and listings.
    pub fn options(&self) -> String {
        MountOptions {
            flags: self.flags,
            data: self.data.clone(),
        }
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RO: MsFlags = MsFlags::MS_RDONLY;
    const NOSUID: MsFlags = MsFlags::MS_NOSUID;
    const NODEV: MsFlags = MsFlags::MS_NODEV;
    const NOEXEC: MsFlags = MsFlags::MS_NOEXEC;

    #[test]
    fn parse_table() {
        let cases: &[(&str, MsFlags, &str)] = &[
            ("", NONE, ""),
            ("defaults", NONE, ""),
            ("ro", RO, ""),
            ("ro,rw", NONE, ""),
            ("rw,ro", RO, ""),
            ("nosuid,nodev,noexec", f(&[NOSUID, NODEV, NOEXEC]), ""),
            ("nosuid,suid,dev,exec", NONE, ""),
            ("sync,async,dirsync", MsFlags::MS_DIRSYNC, ""),
            ("remount,ro", f(&[MsFlags::MS_REMOUNT, RO]), ""),
            ("bind", MsFlags::MS_BIND, ""),
            ("rbind", f(&[MsFlags::MS_BIND, MsFlags::MS_REC]), ""),
            ("move", MsFlags::MS_MOVE, ""),
            ("noatime,relatime", MsFlags::MS_RELATIME, ""),
            ("relatime,strictatime", MsFlags::MS_STRICTATIME, ""),
            ("relatime,noatime", MsFlags::MS_NOATIME, ""),
            ("noatime,atime", NONE, ""),
            (
                "nodiratime,lazytime",
                f(&[MsFlags::MS_NODIRATIME, MsFlags::MS_LAZYTIME]),
                "",
            ),
            ("mand,nomand,silent", MsFlags::MS_SILENT, ""),
            ("silent,loud", NONE, ""),
            ("rprivate", f(&[MsFlags::MS_PRIVATE, MsFlags::MS_REC]), ""),
            ("size=1m", NONE, "size=1m"),
            ("nosuid,mode=755,,size=1m", NOSUID, "mode=755,size=1m"),
            (
                "newinstance,ptmxmode=0666",
                NONE,
                "newinstance,ptmxmode=0666",
            ),
            (
                "context=\"system_u:object_r:tmp_t:s0:c127,c456\",ro",
                RO,
                "context=\"system_u:object_r:tmp_t:s0:c127,c456\"",
            ),
            (
                "noauto,nofail,_netdev,x-systemd.automount,user,loop",
                NONE,
                "",
            ),
            ("errors=remount-ro", NONE, "errors=remount-ro"),
        ];
        for &(text, flags, data) in cases {
            let o = MountOptions::parse(text);
            assert_eq!((o.flags, o.data.as_str()), (flags, data), "{text:?}");
        }
    }

    #[test]
    fn apply_accumulates_like_repeated_o() {
        let mut o = MountOptions::parse("ro,size=1m");
        o.apply("rw,mode=700");
        assert_eq!(o.flags, NONE);
        assert_eq!(o.data, "size=1m,mode=700");
    }

    #[test]
    fn flags_to_options_table() {
        let cases: &[(MsFlags, &str)] = &[
            (NONE, "rw"),
            (RO, "ro"),
            (
                f(&[NOSUID, NODEV, NOEXEC, MsFlags::MS_RELATIME]),
                "rw,nosuid,nodev,noexec,relatime",
            ),
            (f(&[MsFlags::MS_BIND, MsFlags::MS_REC]), "rw,rbind"),
            (f(&[MsFlags::MS_BIND, RO]), "ro,bind"),
            (f(&[MsFlags::MS_REMOUNT, RO]), "ro,remount"),
            (MsFlags::MS_SYNCHRONOUS, "rw,sync"),
        ];
        for &(flags, want) in cases {
            assert_eq!(flags_to_options(flags), want);
        }
    }

    #[test]
    fn round_trip_through_text() {
        for text in ["ro,nosuid,nodev", "rw,noexec,relatime,size=1m", "rw,rbind"] {
            let o = MountOptions::parse(text);
            assert_eq!(MountOptions::parse(&o.to_string()), o, "{text}");
            assert_eq!(o.to_string(), text);
        }
    }

    #[test]
    fn mount_spec_from_text() {
        let s = MountSpec::new("devpts", "/dev/pts", Some("devpts"), "nosuid,newinstance");
        assert_eq!(s.flags, NOSUID);
        assert_eq!(s.data, "newinstance");
        assert_eq!(s.fstype.as_deref(), Some("devpts"));
        assert_eq!(s.options(), "rw,nosuid,newinstance");
    }
}
