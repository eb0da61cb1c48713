//! The depth-first walk from one starting point, in readdir order (as GNU find), evaluating
//! each file before its contents, or after them with `-depth`. Following links, a directory
//! that is its own ancestor is reported as a loop instead of being entered.

use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::eval::{eval, Ctx, Entry};
use super::expr::{Expr, Follow, Settings};
use crate::error::io_reason;

/// A directory being walked: its identity and path, for loop detection.
struct Ancestor {
    dev: u64,
    ino: u64,
    path: PathBuf,
}

pub fn walk(root: &Path, settings: &Settings, expr: &mut Expr, cx: &mut Ctx) {
    let follow = settings.follow != Follow::Never;
    let meta = match stat(root, follow) {
        Ok(m) => m,
        Err(e) => {
            cx.warn(&format!("'{}': {}", root.display(), io_reason(&e)));
            return;
        }
    };
    let mut walker = Walker {
        root,
        settings,
        root_dev: meta.dev(),
        ancestors: Vec::new(),
    };
    let followed = follow && !meta.file_type().is_symlink();
    walker.visit(root.to_path_buf(), meta, 0, followed, expr, cx);
}

/// stat (following) or lstat; a dangling link followed is the link itself.
fn stat(path: &Path, follow: bool) -> io::Result<Metadata> {
    if !follow {
        return std::fs::symlink_metadata(path);
    }
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::symlink_metadata(path),
        other => other,
    }
}

struct Walker<'a> {
    root: &'a Path,
    settings: &'a Settings,
    root_dev: u64,
    ancestors: Vec<Ancestor>,
}

impl Walker<'_> {
    fn visit(
        &mut self,
        path: PathBuf,
        meta: Metadata,
        depth: usize,
        followed: bool,
        expr: &mut Expr,
        cx: &mut Ctx,
    ) {
        let s = self.settings;
        // GNU (fts) reports a directory loop instead of visiting the directory at all.
        if meta.is_dir() && self.is_loop(&path, &meta, cx) {
            return;
        }
        let evaluate = depth >= s.min_depth;
        cx.prune = false;
        if evaluate && !s.depth_first {
            self.eval(&path, &meta, depth, followed, expr, cx);
            if cx.quit {
                return;
            }
        }
        let descend = meta.is_dir()
            && !cx.prune
            && s.max_depth.is_none_or(|max| depth < max)
            && !(s.xdev && meta.dev() != self.root_dev);
        if descend {
            self.ancestors.push(Ancestor {
                dev: meta.dev(),
                ino: meta.ino(),
                path: path.clone(),
            });
            self.children(&path, depth, expr, cx);
            self.ancestors.pop();
            if cx.quit {
                return;
            }
        }
        if evaluate && s.depth_first {
            self.eval(&path, &meta, depth, followed, expr, cx);
        }
    }

    fn eval(
        &self,
        path: &Path,
        meta: &Metadata,
        depth: usize,
        followed: bool,
        expr: &mut Expr,
        cx: &mut Ctx,
    ) {
        let entry = Entry {
            path,
            root: self.root,
            depth,
            meta,
            followed,
        };
        eval(expr, &entry, cx);
    }

    /// Following links, a directory already on the way down is a loop: report, skip.
    fn is_loop(&self, path: &Path, meta: &Metadata, cx: &mut Ctx) -> bool {
        let found = self
            .ancestors
            .iter()
            .find(|a| a.dev == meta.dev() && a.ino == meta.ino());
        match found {
            Some(a) => {
                cx.warn(&format!(
                    "File system loop detected; '{}' is part of the same file system loop as '{}'.",
                    path.display(),
                    a.path.display()
                ));
                true
            }
            None => false,
        }
    }

    fn children(&mut self, dir: &Path, depth: usize, expr: &mut Expr, cx: &mut Ctx) {
        let entries = match std::fs::read_dir(dir) {
            Ok(d) => d,
            Err(e) => {
                cx.warn(&format!("'{}': {}", dir.display(), io_reason(&e)));
                return;
            }
        };
        // Read the whole directory first: its descriptor is closed before descending, so
        // deep trees do not run out of descriptors.
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => names.push(e.file_name()),
                Err(e) => {
                    cx.warn(&format!("'{}': {}", dir.display(), io_reason(&e)));
                    break;
                }
            }
        }
        let follow = self.settings.follow == Follow::Always;
        for name in names {
            let path = dir.join(name);
            match stat(&path, follow) {
                Ok(meta) => {
                    let followed = follow && !meta.file_type().is_symlink();
                    self.visit(path, meta, depth + 1, followed, expr, cx);
                }
                Err(e) => cx.warn(&format!("'{}': {}", path.display(), io_reason(&e))),
            }
            if cx.quit {
                return;
            }
        }
    }
}
