//! User and group names from `/etc/passwd` and `/etc/group` (a static musl binary has no NSS;
//! the initramfs has only these files). The root is a parameter so tests can fake them.

use std::collections::HashMap;
use std::path::Path;

/// Both directions of both tables.
#[derive(Debug, Default)]
pub struct Users {
    user_names: HashMap<u32, String>,
    user_ids: HashMap<String, u32>,
    group_names: HashMap<u32, String>,
    group_ids: HashMap<String, u32>,
}

impl Users {
    /// Read `ROOT/etc/passwd` and `ROOT/etc/group`; a missing file is an empty table.
    pub fn load(root: &Path) -> Users {
        let mut users = Users::default();
        let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap_or_default();
        for (name, id) in entries(&read("etc/passwd")) {
            users.user_names.entry(id).or_insert_with(|| name.clone());
            users.user_ids.entry(name).or_insert(id);
        }
        for (name, id) in entries(&read("etc/group")) {
            users.group_names.entry(id).or_insert_with(|| name.clone());
            users.group_ids.entry(name).or_insert(id);
        }
        users
    }

    pub fn user_name(&self, uid: u32) -> Option<&str> {
        self.user_names.get(&uid).map(String::as_str)
    }

    pub fn group_name(&self, gid: u32) -> Option<&str> {
        self.group_names.get(&gid).map(String::as_str)
    }

    pub fn uid(&self, name: &str) -> Option<u32> {
        self.user_ids.get(name).copied()
    }

    pub fn gid(&self, name: &str) -> Option<u32> {
        self.group_ids.get(name).copied()
    }
}

/// `name:x:ID:...` lines: the name and the third field.
fn entries(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?.parse().ok()?;
            (!name.is_empty()).then(|| (name.to_string(), id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_from_fake_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nbad line\nnobody:x:65534:65534::/:/bin/false\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("etc/group"), "wheel:x:10:root\n").unwrap();
        let u = Users::load(dir.path());
        assert_eq!(u.user_name(0), Some("root"));
        assert_eq!(u.uid("nobody"), Some(65534));
        assert_eq!(u.gid("wheel"), Some(10));
        assert_eq!(u.group_name(10), Some("wheel"));
        assert_eq!(u.user_name(5), None);
    }
}
