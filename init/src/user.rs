//! Who a container process runs as: an image's `User` (`name`, `uid`, `name:group`,
//! `uid:gid`, …) resolved in the image's own `/etc/passwd` and `/etc/group` (passwd(5),
//! group(5)), following the rules Docker gets from runc's `user.GetExecUser`:
//!
//! - no user means uid 0; a name must exist in passwd, a number need not (then gid 0, home `/`);
//!   a number matches by uid only, never by name;
//! - a passwd entry gives the uid, the primary gid and the home directory;
//! - an explicit group (name or number) replaces the primary gid, and then no supplementary
//!   groups are set; without one, the supplementary groups are those listing the user as a
//!   member.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Ids above this are refused, like runc (`uids and gids must be in range 0-2147483647`).
pub const MAX_ID: u32 = i32::MAX as u32;

#[derive(Debug, Error)]
pub enum UserError {
    #[error("{}: {}", path.display(), crate::sys::errno_of(source).desc())]
    Read { path: PathBuf, source: io::Error },
    #[error("user {user}: no such user in /etc/passwd")]
    NoUser { user: String },
    #[error("user {user}: no such group in /etc/group")]
    NoGroup { user: String },
    #[error("user {user}: ids must be in range 0-{MAX_ID}")]
    Range { user: String },
}

/// One line of passwd(5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// One line of group(5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// The accounts of one root filesystem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    pub passwd: Vec<PasswdEntry>,
    pub group: Vec<GroupEntry>,
}

/// A resolved user: what setgroups(2), setgid(2), setuid(2) and `HOME` get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, in the order of /etc/group.
    pub groups: Vec<u32>,
    pub home: String,
}

/// Lines that do not parse (comments, NIS `+` entries, garbage) are skipped, as libc does.
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 7 || f[0].is_empty() || f[0].starts_with('#') {
                return None;
            }
            Some(PasswdEntry {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                home: f[5].to_string(),
            })
        })
        .collect()
}

pub fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 || f[0].is_empty() || f[0].starts_with('#') {
                return None;
            }
            Some(GroupEntry {
                name: f[0].to_string(),
                gid: f[2].parse().ok()?,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

/// The text of `path`, or none when it does not exist (images without /etc/passwd run as
/// numeric users fine).
fn read_optional(path: &Path) -> Result<String, UserError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(UserError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A number in the id range, or `None` for a name. `Err` for a number out of range.
fn numeric(s: &str) -> Option<Result<u32, ()>> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u32>().ok().filter(|&n| n <= MAX_ID).ok_or(()))
}

impl Accounts {
    pub fn parse(passwd: &str, group: &str) -> Accounts {
        Accounts {
            passwd: parse_passwd(passwd),
            group: parse_group(group),
        }
    }

    /// `ROOT/etc/passwd` and `ROOT/etc/group`; a missing file reads as empty.
    pub fn read(root: &Path) -> Result<Accounts, UserError> {
        Ok(Accounts::parse(
            &read_optional(&root.join("etc/passwd"))?,
            &read_optional(&root.join("etc/group"))?,
        ))
    }

    /// Resolve a `User` value (`""`, `name`, `uid`, `name:group`, `uid:gid`, …).
    pub fn resolve(&self, spec: &str) -> Result<Identity, UserError> {
        let (user_arg, group_arg) = match spec.split_once(':') {
            Some((u, g)) => (u, g),
            None => (spec, ""),
        };
        let range = || UserError::Range {
            user: spec.to_string(),
        };
        let user_num = numeric(user_arg).transpose().map_err(|()| range())?;
        let mut id = Identity {
            uid: 0,
            gid: 0,
            groups: Vec::new(),
            home: "/".to_string(),
        };
        let entry = self.passwd.iter().find(|p| match (user_arg, user_num) {
            ("", _) => p.uid == 0,
            (_, Some(n)) => p.uid == n,
            (name, None) => p.name == name,
        });
        let name = match (entry, user_num) {
            (Some(p), _) => {
                id.uid = p.uid;
                id.gid = p.gid;
                id.home = p.home.clone();
                Some(p.name.as_str())
            }
            (None, Some(n)) => {
                id.uid = n;
                None
            }
            (None, None) if user_arg.is_empty() => None,
            (None, None) => {
                return Err(UserError::NoUser {
                    user: user_arg.to_string(),
                })
            }
        };
        if !group_arg.is_empty() {
            let group_num = numeric(group_arg).transpose().map_err(|()| range())?;
            let found = self.group.iter().find(|g| match group_num {
                Some(n) => g.gid == n,
                None => g.name == group_arg,
            });
            id.gid = match (found, group_num) {
                (Some(g), _) => g.gid,
                (None, Some(n)) => n,
                (None, None) => {
                    return Err(UserError::NoGroup {
                        user: spec.to_string(),
                    })
                }
            };
        } else if let Some(name) = name {
            id.groups = self
                .group
                .iter()
                .filter(|g| g.members.iter().any(|m| m == name))
                .map(|g| g.gid)
                .collect();
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
                          # comment\n\
                          daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                          +nis::::::\n\
                          broken:x:notanumber:1::/:/bin/sh\n\
                          nginx:x:101:101:nginx user:/nonexistent:/bin/false\n\
                          1000:x:1234:1234::/home/numeric:/bin/sh\n\
                          app:x:1000:1000::/home/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:root\n\
                         daemon:x:1:\n\
                         adm:x:4:app,root\n\
                         nginx:x:101:\n\
                         wheel:x:10:root\n\
                         app:x:1000:\n\
                         docker:x:999:app\n";

    #[test]
    fn resolve_table() {
        let accounts = Accounts::parse(PASSWD, GROUP);
        // (User, uid, gid, groups, home)
        let cases: &[(&str, u32, u32, &[u32], &str)] = &[
            ("", 0, 0, &[0, 4, 10], "/root"),
            ("root", 0, 0, &[0, 4, 10], "/root"),
            ("0", 0, 0, &[0, 4, 10], "/root"),
            ("nginx", 101, 101, &[], "/nonexistent"),
            ("101", 101, 101, &[], "/nonexistent"),
            ("app", 1000, 1000, &[4, 999], "/home/app"),
            // A number matches the uid, not a user named "1000".
            ("1000", 1000, 1000, &[4, 999], "/home/app"),
            ("4242", 4242, 0, &[], "/"),
            ("4242:4243", 4242, 4243, &[], "/"),
            ("nginx:adm", 101, 4, &[], "/nonexistent"),
            ("app:docker", 1000, 999, &[], "/home/app"),
            ("app:5", 1000, 5, &[], "/home/app"),
            ("root:nginx", 0, 101, &[], "/root"),
            (":adm", 0, 4, &[], "/root"),
            ("daemon:", 1, 1, &[], "/usr/sbin"),
        ];
        for (spec, uid, gid, groups, home) in cases {
            let id = accounts.resolve(spec).expect(spec);
            assert_eq!(
                (id.uid, id.gid, id.groups.as_slice(), id.home.as_str()),
                (*uid, *gid, *groups, *home),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn resolve_errors_table() {
        let accounts = Accounts::parse(PASSWD, GROUP);
        let cases = [
            ("nobody", "user nobody: no such user in /etc/passwd"),
            ("nginx:www", "user nginx:www: no such group in /etc/group"),
            ("broken", "user broken: no such user in /etc/passwd"),
            (
                "2147483648",
                "user 2147483648: ids must be in range 0-2147483647",
            ),
            (
                "99999999999",
                "user 99999999999: ids must be in range 0-2147483647",
            ),
            (
                "1:4294967295",
                "user 1:4294967295: ids must be in range 0-2147483647",
            ),
        ];
        for (spec, want) in cases {
            let e = accounts.resolve(spec).expect_err(spec);
            assert_eq!(e.to_string(), want);
        }
        // No files at all: root and numbers still work, names do not.
        let empty = Accounts::default();
        let id = empty.resolve("").expect("test fixture");
        assert_eq!((id.uid, id.gid, id.home.as_str()), (0, 0, "/"));
        assert_eq!(empty.resolve("7:8").expect("test fixture").gid, 8);
        assert!(empty.resolve("nginx").is_err());
    }

    #[test]
    fn parse_skips_what_is_not_an_entry() {
        let p = parse_passwd(PASSWD);
        let names: Vec<&str> = p.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["root", "daemon", "nginx", "1000", "app"]);
        let g = parse_group("a:x:1:u1,,u2\nshort:x\nb:x:2:\n");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].members, ["u1", "u2"]);
        assert!(g[1].members.is_empty());
    }

    #[test]
    fn read_takes_a_root() {
        let dir = tempfile::tempdir().expect("test fixture");
        assert_eq!(
            Accounts::read(dir.path()).expect("test fixture"),
            Accounts::default()
        );
        std::fs::create_dir(dir.path().join("etc")).expect("test fixture");
        std::fs::write(dir.path().join("etc/passwd"), PASSWD).expect("test fixture");
        std::fs::write(dir.path().join("etc/group"), GROUP).expect("test fixture");
        let a = Accounts::read(dir.path()).expect("test fixture");
        assert_eq!(a.resolve("nginx").expect("test fixture").uid, 101);
        // A directory where the file should be is an error worth reporting.
        let dir2 = tempfile::tempdir().expect("test fixture");
        std::fs::create_dir_all(dir2.path().join("etc/passwd")).expect("test fixture");
        let e = Accounts::read(dir2.path()).expect_err("must fail");
        assert!(e.to_string().ends_with("etc/passwd: Is a directory"), "{e}");
    }
}
