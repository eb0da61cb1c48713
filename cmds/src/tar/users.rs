//! User and group names from `etc/passwd` and `etc/group` under a root (an initramfs often
//! has neither: then owners are numbers only).

use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Names {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

fn table(text: &str) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if let (Some(name), Some(id)) = (fields.first(), fields.get(2)) {
            if let Ok(id) = id.parse::<u32>() {
                map.entry(id).or_insert_with(|| name.to_string());
            }
        }
    }
    map
}

impl Names {
    pub fn load(root: &Path) -> Names {
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
        Names {
            users: table(&read("etc/passwd")),
            groups: table(&read("etc/group")),
        }
    }

    pub fn user_name(&self, uid: u32) -> Option<String> {
        self.users.get(&uid).cloned()
    }

    pub fn group_name(&self, gid: u32) -> Option<String> {
        self.groups.get(&gid).cloned()
    }

    pub fn uid(&self, name: &str) -> Option<u32> {
        self.users
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| *id)
    }

    pub fn gid(&self, name: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| *id)
    }

    /// `--owner=NAME`, `--owner=NAME:UID` or `--owner=UID` (GNU tar's forms).
    pub fn resolve_user(&self, spec: &str) -> (u32, Option<String>) {
        resolve(spec, |n| self.uid(n), |id| self.user_name(id))
    }

    pub fn resolve_group(&self, spec: &str) -> (u32, Option<String>) {
        resolve(spec, |n| self.gid(n), |id| self.group_name(id))
    }
}

fn resolve(
    spec: &str,
    id_of: impl Fn(&str) -> Option<u32>,
    name_of: impl Fn(u32) -> Option<String>,
) -> (u32, Option<String>) {
    if let Some((name, id)) = spec.split_once(':') {
        return (id.parse().unwrap_or(0), Some(name.to_string()));
    }
    let spec = spec.strip_prefix('+').unwrap_or(spec);
    match spec.parse::<u32>() {
        Ok(id) => (id, name_of(id)),
        Err(_) => (id_of(spec).unwrap_or(0), Some(spec.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_specs() {
        let names = Names {
            users: table(
                "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbad\n",
            ),
            groups: table("root:x:0:\nstaff:x:50:\n"),
        };
        assert_eq!(names.user_name(1000).as_deref(), Some("alice"));
        assert_eq!(names.uid("root"), Some(0));
        assert_eq!(names.group_name(50).as_deref(), Some("staff"));
        let cases = [
            ("alice", (1000, Some("alice"))),
            ("0", (0, Some("root"))),
            ("+7", (7, None)),
            ("bob:42", (42, Some("bob"))),
        ];
        for (spec, (id, name)) in cases {
            assert_eq!(
                names.resolve_user(spec),
                (id, name.map(String::from)),
                "{spec}"
            );
        }
    }
}
