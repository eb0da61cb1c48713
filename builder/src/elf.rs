//! What a dynamically linked ELF needs at run time, read from the file itself (never by
//! running `ldd`, which executes the program): the program interpreter (`PT_INTERP`) and
//! the `DT_NEEDED` libraries, found like ld.so(8) does — `DT_RPATH` (when there is no
//! `DT_RUNPATH`), `DT_RUNPATH`, then the default directories, `$ORIGIN` expanded.
//!
//! Only 64-bit little-endian ELF is understood (System V gABI, "ELF-64 Object File Format");
//! that covers x86_64 and aarch64 hosts.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

use rroot_init::io_reason;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: i64 = 0;
const DT_NEEDED: i64 = 1;
const DT_STRTAB: i64 = 5;
const DT_STRSZ: i64 = 10;
const DT_RPATH: i64 = 15;
const DT_RUNPATH: i64 = 29;

/// Upper bounds that keep a corrupt file from making us allocate gigabytes.
const MAX_TABLE: u64 = 16 << 20;

/// Where ld.so looks when the object says nothing (Debian's multiarch layout first).
pub const DEFAULT_LIBRARY_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/lib",
    "/usr/lib",
];

/// The run-time dependencies recorded in one ELF file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElfDeps {
    pub machine: u16,
    pub interp: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
}

/// Read the dependencies of `r`. `Ok(None)` when it is not an ELF file at all; an error when it
/// is ELF but not 64-bit little-endian, or is malformed.
pub fn read_deps<R: Read + Seek>(r: &mut R) -> Result<Option<ElfDeps>> {
    let mut ident = [0u8; 64];
    let got = read_up_to(r, &mut ident)?;
    if got < 4 || ident[..4] != *b"\x7fELF" {
        return Ok(None);
    }
    if got < 64 {
        bail!("truncated ELF header");
    }
    match (ident[4], ident[5]) {
        (2, 1) => {}
        (1, _) => bail!("32-bit ELF is not supported (only 64-bit little-endian)"),
        (_, 2) => bail!("big-endian ELF is not supported (only 64-bit little-endian)"),
        (class, data) => bail!("unknown ELF class {class} / data encoding {data}"),
    }
    let h = &ident;
    let machine = le16(h, 18);
    let phoff = le64(h, 32);
    let phentsize = u64::from(le16(h, 54));
    let phnum = u64::from(le16(h, 56));
    let mut deps = ElfDeps {
        machine,
        ..ElfDeps::default()
    };
    if phnum == 0 {
        return Ok(Some(deps)); // relocatable object (e.g. a kernel module)
    }
    if phentsize < 56 {
        bail!("malformed ELF: program header entry size {phentsize}");
    }
    let table = read_at(r, phoff, phentsize * phnum, "program headers")?;
    let mut loads = Vec::new();
    let mut dynamic = None;
    for ph in table.chunks_exact(phentsize as usize) {
        let (p_type, offset, vaddr, filesz) =
            (le32(ph, 0), le64(ph, 8), le64(ph, 16), le64(ph, 32));
        match p_type {
            PT_LOAD => loads.push((vaddr, offset, filesz)),
            PT_DYNAMIC => dynamic = Some((offset, filesz)),
            PT_INTERP => {
                let bytes = read_at(r, offset, filesz, "PT_INTERP")?;
                deps.interp = Some(c_string(&bytes, 0, "PT_INTERP")?);
            }
            _ => {}
        }
    }
    let Some((dyn_off, dyn_size)) = dynamic else {
        return Ok(Some(deps)); // statically linked
    };
    let table = read_at(r, dyn_off, dyn_size, "PT_DYNAMIC")?;
    let (mut strtab, mut strsz) = (None, None);
    let mut entries = Vec::new();
    for d in table.chunks_exact(16) {
        let (tag, val) = (le64(d, 0) as i64, le64(d, 8));
        match tag {
            DT_NULL => break,
            DT_STRTAB => strtab = Some(val),
            DT_STRSZ => strsz = Some(val),
            DT_NEEDED | DT_RPATH | DT_RUNPATH => entries.push((tag, val)),
            _ => {}
        }
    }
    if entries.is_empty() {
        return Ok(Some(deps));
    }
    let (Some(strtab), Some(strsz)) = (strtab, strsz) else {
        bail!("malformed ELF: DT_NEEDED without DT_STRTAB/DT_STRSZ");
    };
    // DT_STRTAB is a virtual address: map it to a file offset through the PT_LOAD segments.
    let offset = loads
        .iter()
        .find(|(vaddr, _, filesz)| strtab >= *vaddr && strtab - vaddr < *filesz)
        .and_then(|(vaddr, offset, _)| offset.checked_add(strtab - vaddr))
        .ok_or_else(|| anyhow!("malformed ELF: DT_STRTAB {strtab:#x} is in no PT_LOAD segment"))?;
    let strings = read_at(r, offset, strsz, "DT_STRTAB")?;
    for (tag, val) in entries {
        let s = c_string(&strings, val, "a dynamic string")?;
        match tag {
            DT_NEEDED => deps.needed.push(s),
            DT_RPATH => deps.rpath.extend(split_path_list(&s)),
            _ => deps.runpath.extend(split_path_list(&s)),
        }
    }
    Ok(Some(deps))
}

fn split_path_list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(':').filter(|p| !p.is_empty()).map(str::to_string)
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => bail!("{}", io_reason(&e)),
        }
    }
    Ok(got)
}

fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: u64, what: &str) -> Result<Vec<u8>> {
    if len > MAX_TABLE {
        bail!("malformed ELF: {what} of {len} bytes");
    }
    r.seek(SeekFrom::Start(offset))
        .map_err(|e| anyhow!("reading {what}: {}", io_reason(&e)))?;
    let mut buf = vec![0u8; len as usize];
    if read_up_to(r, &mut buf)? != buf.len() {
        bail!("truncated ELF: {what} beyond the end of the file");
    }
    Ok(buf)
}

fn c_string(bytes: &[u8], offset: u64, what: &str) -> Result<String> {
    let start = usize::try_from(offset)
        .ok()
        .filter(|s| *s < bytes.len())
        .ok_or_else(|| anyhow!("malformed ELF: {what} at offset {offset} is out of range"))?;
    let rest = &bytes[start..];
    let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    String::from_utf8(rest[..end].to_vec())
        .map_err(|_| anyhow!("malformed ELF: {what} is not UTF-8"))
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Dependencies of the file at `path`, or `None` when it is not ELF. Errors do not repeat
/// the path (callers name it as they see fit).
pub fn read_file_deps(path: &Path) -> Result<Option<ElfDeps>> {
    let mut file = File::open(path).map_err(|e| anyhow!("{}", io_reason(&e)))?;
    read_deps(&mut file)
}

/// One file the closure of an ELF needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Dependency {
    /// Where it is on the host (below the search root).
    pub host: PathBuf,
    /// Where the guest's ld.so will look for it: the path it was found at, relative to the
    /// search root, with a leading `/` (`/lib/x86_64-linux-gnu/libc.so.6`).
    pub guest: String,
}

/// Finds the interpreter and libraries of ELF files in a host tree rooted at `root` (`/` for
/// the real host; a temporary tree in tests).
pub struct LibraryResolver {
    root: PathBuf,
    default_dirs: Vec<String>,
}

impl LibraryResolver {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            default_dirs: DEFAULT_LIBRARY_DIRS.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn host(&self, guest: &str) -> PathBuf {
        self.root.join(guest.trim_start_matches('/'))
    }

    /// Everything `deps` (read from the object at guest path `object`) needs, transitively,
    /// sorted by guest path. An error names the library that cannot be found and where it
    /// was looked for.
    pub fn closure(&self, object: &str, deps: &ElfDeps) -> Result<Vec<Dependency>> {
        let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut queue: VecDeque<(String, ElfDeps)> = VecDeque::new();
        queue.push_back((object.to_string(), deps.clone()));
        while let Some((object, deps)) = queue.pop_front() {
            let mut wanted = Vec::new();
            if let Some(interp) = &deps.interp {
                let host = self.host(interp);
                if !host.is_file() {
                    bail!("{object}: interpreter {interp}: No such file or directory");
                }
                wanted.push((interp.clone(), host));
            }
            for name in &deps.needed {
                // ld.so first matches a DT_NEEDED name against the objects already loaded:
                // the interpreter is, and libc.so.6 needs it by its soname.
                let loaded = found
                    .iter()
                    .chain(wanted.iter().map(|(g, h)| (g, h)))
                    .find(|(g, _)| g.rsplit('/').next() == Some(name.as_str()));
                if loaded.is_some() {
                    continue;
                }
                let (guest, host) = self.find(&object, &deps, name)?.ok_or_else(|| {
                    anyhow!("{object}: {name}: {}", self.not_found(&object, &deps))
                })?;
                wanted.push((guest, host));
            }
            for (guest, host) in wanted {
                if found.contains_key(&guest) {
                    continue;
                }
                let more =
                    read_file_deps(&host).map_err(|e| anyhow!("{}: {e:#}", host.display()))?;
                if let Some(more) = more {
                    queue.push_back((guest.clone(), more));
                }
                found.insert(guest, host);
            }
        }
        Ok(found
            .into_iter()
            .map(|(guest, host)| Dependency { host, guest })
            .collect())
    }

    fn search_dirs(&self, object: &str, deps: &ElfDeps) -> Vec<String> {
        let origin = match object.rsplit_once('/') {
            Some(("", _)) => "/",
            Some((dir, _)) => dir,
            None => ".",
        };
        let expand = |d: &String| d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin);
        let mut dirs: Vec<String> = Vec::new();
        // ld.so(8): DT_RPATH is used only when DT_RUNPATH is absent.
        if deps.runpath.is_empty() {
            dirs.extend(deps.rpath.iter().map(expand));
        }
        dirs.extend(deps.runpath.iter().map(expand));
        dirs.extend(self.default_dirs.iter().cloned());
        dirs
    }

    fn not_found(&self, object: &str, deps: &ElfDeps) -> String {
        format!(
            "library not found (searched {})",
            self.search_dirs(object, deps).join(", ")
        )
    }

    /// The first candidate that is an ELF for the same machine, like ld.so, which skips
    /// libraries of the wrong class or architecture.
    fn find(&self, object: &str, deps: &ElfDeps, name: &str) -> Result<Option<(String, PathBuf)>> {
        if name.contains('/') {
            let host = self.host(name);
            return Ok(host.is_file().then(|| (name.to_string(), host)));
        }
        for dir in self.search_dirs(object, deps) {
            if !dir.starts_with('/') {
                continue; // a relative search path depends on the current directory at run time
            }
            let guest = normalize(&format!("{dir}/{name}"));
            let host = self.host(&guest);
            if !host.is_file() {
                continue;
            }
            match read_file_deps(&host) {
                Ok(Some(lib)) if lib.machine == deps.machine => return Ok(Some((guest, host))),
                _ => continue,
            }
        }
        Ok(None)
    }
}

/// Resolve `.` and `..` lexically in an absolute guest path (`/opt/app/bin/../lib` →
/// `/opt/app/lib`), as ld.so does with `$ORIGIN/../lib` strings before opening them.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Synthetic ELF files for tests (of this module and of the initramfs planner).
#[cfg(test)]
pub mod synth {
    /// A minimal 64-bit little-endian x86_64 ELF: one PT_LOAD covering the file, optional
    /// PT_INTERP, and a PT_DYNAMIC with the given DT_NEEDED and DT_RUNPATH when `needed` or
    /// `runpath` is non-empty (none at all for a static binary).
    pub fn elf(interp: Option<&str>, needed: &[&str], runpath: Option<&str>) -> Vec<u8> {
        let dynamic = !needed.is_empty() || runpath.is_some();
        let phnum = 1 + usize::from(interp.is_some()) + usize::from(dynamic);
        let phoff = 64;
        let mut tail = Vec::new(); // data after the program headers
        let data_start = phoff + 56 * phnum;
        let interp_off = data_start;
        if let Some(i) = interp {
            tail.extend_from_slice(i.as_bytes());
            tail.push(0);
        }
        // String table.
        let strtab_off = data_start + tail.len();
        let mut strtab = vec![0u8];
        let mut add = |s: &str| {
            let at = strtab.len();
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            at as u64
        };
        let mut dyns: Vec<(i64, u64)> = needed.iter().map(|n| (1, add(n))).collect();
        if let Some(r) = runpath {
            dyns.push((29, add(r)));
        }
        tail.extend_from_slice(&strtab);
        while tail.len() % 8 != 0 {
            tail.push(0);
        }
        let vaddr = 0x400000u64;
        dyns.push((5, vaddr + strtab_off as u64));
        dyns.push((10, strtab.len() as u64));
        dyns.push((0, 0));
        let dyn_off = data_start + tail.len();
        for (tag, val) in &dyns {
            tail.extend_from_slice(&tag.to_le_bytes());
            tail.extend_from_slice(&val.to_le_bytes());
        }
        let total = (data_start + tail.len()) as u64;

        let mut f = Vec::new();
        f.extend_from_slice(b"\x7fELF\x02\x01\x01\x00");
        f.extend_from_slice(&[0u8; 8]);
        f.extend_from_slice(&3u16.to_le_bytes()); // ET_DYN
        f.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&vaddr.to_le_bytes()); // e_entry
        f.extend_from_slice(&(phoff as u64).to_le_bytes());
        f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        f.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
        f.extend_from_slice(&56u16.to_le_bytes());
        f.extend_from_slice(&(phnum as u16).to_le_bytes());
        f.extend_from_slice(&[0u8; 6]); // shentsize, shnum, shstrndx
        let ph = |f: &mut Vec<u8>, p_type: u32, off: u64, size: u64| {
            f.extend_from_slice(&p_type.to_le_bytes());
            f.extend_from_slice(&4u32.to_le_bytes());
            f.extend_from_slice(&off.to_le_bytes());
            f.extend_from_slice(&(vaddr + off).to_le_bytes());
            f.extend_from_slice(&(vaddr + off).to_le_bytes());
            f.extend_from_slice(&size.to_le_bytes());
            f.extend_from_slice(&size.to_le_bytes());
            f.extend_from_slice(&8u64.to_le_bytes());
        };
        ph(&mut f, 1, 0, total);
        if let Some(i) = interp {
            ph(&mut f, 3, interp_off as u64, i.len() as u64 + 1);
        }
        if dynamic {
            ph(&mut f, 2, dyn_off as u64, 16 * dyns.len() as u64);
        }
        f.extend_from_slice(&tail);
        f
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::synth::elf;
    use super::*;
    use std::io::Cursor;

    fn parse(bytes: &[u8]) -> Result<Option<ElfDeps>> {
        read_deps(&mut Cursor::new(bytes))
    }

    #[test]
    fn synthetic_files_table() {
        let dynamic = elf(
            Some("/lib64/ld.so"),
            &["liba.so.1", "libc.so.6"],
            Some("$ORIGIN/../lib"),
        );
        let cases: Vec<(&str, Vec<u8>, Option<ElfDeps>)> = vec![
            ("not elf", b"#!/bin/sh\necho hi\n".to_vec(), None),
            ("empty", Vec::new(), None),
            (
                "static",
                elf(None, &[], None),
                Some(ElfDeps {
                    machine: 62,
                    ..ElfDeps::default()
                }),
            ),
            (
                "dynamic",
                dynamic,
                Some(ElfDeps {
                    machine: 62,
                    interp: Some("/lib64/ld.so".into()),
                    needed: vec!["liba.so.1".into(), "libc.so.6".into()],
                    rpath: vec![],
                    runpath: vec!["$ORIGIN/../lib".into()],
                }),
            ),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(parse(&bytes).unwrap(), want, "{name}");
        }
    }

    #[test]
    fn unsupported_and_malformed_files_are_errors() {
        let mut class32 = elf(None, &[], None);
        class32[4] = 1;
        let mut big = elf(None, &[], None);
        big[5] = 2;
        let truncated = elf(Some("/lib64/ld.so"), &["libc.so.6"], None)[..100].to_vec();
        let cases = [
            (
                class32,
                "32-bit ELF is not supported (only 64-bit little-endian)",
            ),
            (
                big,
                "big-endian ELF is not supported (only 64-bit little-endian)",
            ),
            (b"\x7fELF\x02\x01".to_vec(), "truncated ELF header"),
            (
                truncated,
                "truncated ELF: program headers beyond the end of the file",
            ),
        ];
        for (bytes, want) in cases {
            let err = parse(&bytes).unwrap_err();
            assert_eq!(format!("{err:#}"), want);
        }
    }

    #[test]
    fn corrupt_files_never_panic() {
        // Every single-byte corruption and every truncation of a dynamic ELF gives a result
        // or an error, never a panic or a huge allocation.
        let good = elf(Some("/lib64/ld.so"), &["libc.so.6"], Some("/opt/lib"));
        for at in 0..good.len() {
            for value in [0x00, 0x7f, 0xff] {
                let mut bad = good.clone();
                bad[at] = value;
                let _ = parse(&bad);
            }
            let _ = parse(&good[..at]);
        }
    }

    #[test]
    fn normalize_table() {
        let cases = [
            ("/opt/app/bin/../lib/x.so", "/opt/app/lib/x.so"),
            ("/lib//./x.so", "/lib/x.so"),
            ("/../../x.so", "/x.so"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "{input}");
        }
    }

    #[test]
    fn host_bin_ls_needs_libc() {
        let Some(deps) = read_file_deps(Path::new("/bin/ls")).unwrap() else {
            panic!("/bin/ls is not ELF");
        };
        assert!(
            deps.interp
                .as_deref()
                .is_some_and(|i| i.contains("ld-linux")),
            "{deps:?}"
        );
        assert!(deps.needed.iter().any(|n| n == "libc.so.6"), "{deps:?}");
        let closure = LibraryResolver::new(Path::new("/"))
            .closure("/bin/ls", &deps)
            .unwrap();
        let guests: Vec<&str> = closure.iter().map(|d| d.guest.as_str()).collect();
        assert!(
            guests.iter().any(|g| g.ends_with("/libc.so.6")),
            "{guests:?}"
        );
        assert!(
            guests.contains(&deps.interp.as_deref().unwrap_or_default()),
            "{guests:?}"
        );
    }

    fn write(root: &Path, path: &str, bytes: &[u8]) {
        let p = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn closure_in_a_fake_root() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        write(r, "/lib64/ld.so", &elf(None, &[], None));
        write(
            r,
            "/lib/x86_64-linux-gnu/libc.so.6",
            &elf(None, &["ld.so"], None),
        );
        write(r, "/lib64/ld.so.wrong", b"not elf");
        // Found through $ORIGIN/../lib of the program, needs libc from the default dirs.
        write(
            r,
            "/opt/app/lib/libapp.so",
            &elf(None, &["libc.so.6"], None),
        );
        // A non-ELF file with the right name earlier in the path is skipped, like ld.so does.
        write(r, "/lib/x86_64-linux-gnu/ld.so", b"text");
        let app = elf(
            Some("/lib64/ld.so"),
            &["libapp.so", "libc.so.6"],
            Some("$ORIGIN/../lib"),
        );
        let deps = parse(&app).unwrap().unwrap();
        let closure = LibraryResolver::new(r)
            .closure("/opt/app/bin/app", &deps)
            .unwrap();
        let got: Vec<(String, PathBuf)> = closure.into_iter().map(|d| (d.guest, d.host)).collect();
        let want: Vec<(String, PathBuf)> = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib64/ld.so",
            "/opt/app/lib/libapp.so",
        ]
        .iter()
        .map(|g| (g.to_string(), r.join(g.trim_start_matches('/'))))
        .collect();
        assert_eq!(got, want);

        let missing = elf(Some("/lib64/ld.so"), &["libnope.so.1"], None);
        let deps = parse(&missing).unwrap().unwrap();
        let err = LibraryResolver::new(r)
            .closure("/bin/x", &deps)
            .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "/bin/x: libnope.so.1: library not found (searched /lib/x86_64-linux-gnu, \
             /usr/lib/x86_64-linux-gnu, /lib64, /lib, /usr/lib)"
        );
    }
}
