//! The `.modinfo` section of a kernel module: NUL-separated `key=value` strings
//! (`license=`, `depends=`, `alias=`, `softdep=`, `parm=`, `vermagic=`, …) that the kernel's
//! `MODULE_INFO()` macros put there. (The same reader as rroot-init's `modules::modinfo`;
//! the builder does not link rroot-init.) Read from the ELF64 section headers (ELF gABI, "Sections").

use std::io::{Read, Seek, SeekFrom};

/// Largest `.modinfo` section accepted: real ones are a few KiB.
const MAX_MODINFO: u64 = 1 << 20;
/// Largest section header string table accepted.
const MAX_SHSTRTAB: u64 = 1 << 20;

/// What is wrong with a module file, one line.
#[derive(Debug, PartialEq, Eq)]
pub enum ModinfoError {
    NotElf,
    NotElf64,
    Truncated,
    BadSections,
    NoModinfo,
    Io(String),
}

impl std::fmt::Display for ModinfoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModinfoError::NotElf => f.write_str("not an ELF file"),
            ModinfoError::NotElf64 => f.write_str("not a 64-bit ELF file"),
            ModinfoError::Truncated => f.write_str("truncated ELF file"),
            ModinfoError::BadSections => f.write_str("ELF section table out of bounds"),
            ModinfoError::NoModinfo => f.write_str("no .modinfo section"),
            ModinfoError::Io(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for ModinfoError {}

/// The `key=value` pairs of a module's `.modinfo`, in section order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModInfo {
    pub fields: Vec<(String, String)>,
}

/// `softdep=pre: a b post: c`: modules to load before and after this one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftDeps {
    pub pre: Vec<String>,
    pub post: Vec<String>,
}

impl ModInfo {
    /// Parse the raw section: NUL-separated strings, empty ones (padding) skipped.
    pub fn parse(section: &[u8]) -> ModInfo {
        let fields = section
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .filter_map(|s| {
                let s = String::from_utf8_lossy(s);
                let (k, v) = s.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect();
        ModInfo { fields }
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key`.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `depends=a,b,c` as names (empty when the module depends on nothing).
    pub fn depends(&self) -> Vec<String> {
        self.all("depends")
            .flat_map(|v| v.split(','))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// All `softdep=` lines merged.
    pub fn softdeps(&self) -> SoftDeps {
        let mut out = SoftDeps::default();
        for v in self.all("softdep") {
            let s = parse_softdep(v);
            out.pre.extend(s.pre);
            out.post.extend(s.post);
        }
        out
    }
}

/// `pre: a b post: c` (either part optional, in any order) as kmod reads `softdep`.
pub fn parse_softdep(text: &str) -> SoftDeps {
    #[derive(PartialEq)]
    enum Part {
        None,
        Pre,
        Post,
    }
    let mut part = Part::None;
    let mut out = SoftDeps::default();
    for word in text.split_whitespace() {
        match word {
            "pre:" => part = Part::Pre,
            "post:" => part = Part::Post,
            w => match part {
                Part::Pre => out.pre.push(w.to_string()),
                Part::Post => out.post.push(w.to_string()),
                Part::None => {}
            },
        }
    }
    out
}

/// Read `.modinfo` from an ELF64 module, seeking to the section headers so only a few KiB
/// of a large module are read.
pub fn read_modinfo<R: Read + Seek>(r: &mut R) -> Result<ModInfo, ModinfoError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => ModinfoError::Truncated,
        _ => ModinfoError::Io(e.to_string()),
    };
    let mut ehdr = [0u8; 64];
    r.read_exact(&mut ehdr).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => ModinfoError::NotElf,
        _ => ModinfoError::Io(e.to_string()),
    })?;
    if &ehdr[..4] != b"\x7fELF" {
        return Err(ModinfoError::NotElf);
    }
    if ehdr[4] != 2 {
        return Err(ModinfoError::NotElf64);
    }
    let big = ehdr[5] == 2;
    let shoff = word64(&ehdr[0x28..0x30], big);
    let shentsize = u64::from(word16(&ehdr[0x3a..0x3c], big));
    let shnum = u64::from(word16(&ehdr[0x3c..0x3e], big));
    let shstrndx = u64::from(word16(&ehdr[0x3e..0x40], big));
    if shentsize < 64 || shnum == 0 || shstrndx >= shnum || shnum > 65535 {
        return Err(ModinfoError::BadSections);
    }
    let table_len = shentsize * shnum;
    let mut table = vec![0u8; usize::try_from(table_len).map_err(|_| ModinfoError::BadSections)?];
    r.seek(SeekFrom::Start(shoff)).map_err(io)?;
    r.read_exact(&mut table).map_err(io)?;
    let section = |i: u64| -> (u32, u64, u64) {
        let at = usize::try_from(i * shentsize).unwrap_or(0);
        let h = &table[at..at + 64];
        (
            word32(&h[0..4], big),
            word64(&h[24..32], big),
            word64(&h[32..40], big),
        )
    };
    let (_, stroff, strsize) = section(shstrndx);
    let names = read_range(r, stroff, strsize, MAX_SHSTRTAB)?;
    for i in 0..shnum {
        let (name, off, size) = section(i);
        let name = usize::try_from(name).map_err(|_| ModinfoError::BadSections)?;
        let Some(rest) = names.get(name..) else {
            continue;
        };
        if rest.split(|b| *b == 0).next() == Some(b".modinfo") {
            let bytes = read_range(r, off, size, MAX_MODINFO)?;
            return Ok(ModInfo::parse(&bytes));
        }
    }
    Err(ModinfoError::NoModinfo)
}

fn read_range<R: Read + Seek>(
    r: &mut R,
    off: u64,
    size: u64,
    max: u64,
) -> Result<Vec<u8>, ModinfoError> {
    if size > max {
        return Err(ModinfoError::BadSections);
    }
    let mut buf = vec![0u8; usize::try_from(size).map_err(|_| ModinfoError::BadSections)?];
    r.seek(SeekFrom::Start(off))
        .map_err(|e| ModinfoError::Io(e.to_string()))?;
    r.read_exact(&mut buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => ModinfoError::Truncated,
        _ => ModinfoError::Io(e.to_string()),
    })?;
    Ok(buf)
}

fn word16(b: &[u8], big: bool) -> u16 {
    let a = [b[0], b[1]];
    if big {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

fn word32(b: &[u8], big: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

fn word64(b: &[u8], big: bool) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    if big {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    }
}

/// A minimal ELF64 little-endian relocatable file with a `.modinfo` section: the fixture
/// for tests here and in `modules`.
#[cfg(test)]
pub fn fake_module(modinfo: &[&str]) -> Vec<u8> {
    let mut info = Vec::new();
    for f in modinfo {
        info.extend_from_slice(f.as_bytes());
        info.push(0);
    }
    let shstrtab = b"\0.modinfo\0.shstrtab\0";
    let info_off = 64u64;
    let str_off = info_off + info.len() as u64;
    let sh_off = (str_off + shstrtab.len() as u64).next_multiple_of(8);
    let mut out = vec![0u8; 64];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2; // ELFCLASS64
    out[5] = 1; // little endian
    out[6] = 1; // EV_CURRENT
    out[0x10..0x12].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
    out[0x12..0x14].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    out[0x28..0x30].copy_from_slice(&sh_off.to_le_bytes());
    out[0x34..0x36].copy_from_slice(&64u16.to_le_bytes());
    out[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    out[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    out[0x3e..0x40].copy_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&info);
    out.extend_from_slice(shstrtab);
    out.resize(sh_off as usize, 0);
    let header = |name: u32, kind: u32, off: u64, size: u64| {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&name.to_le_bytes());
        h[4..8].copy_from_slice(&kind.to_le_bytes());
        h[24..32].copy_from_slice(&off.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        h
    };
    out.extend_from_slice(&[0u8; 64]);
    out.extend_from_slice(&header(1, 1, info_off, info.len() as u64));
    out.extend_from_slice(&header(10, 3, str_off, shstrtab.len() as u64));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_fields_from_a_module() {
        let elf = fake_module(&[
            "license=GPL",
            "softdep=pre: crypto-crc32c",
            "alias=fs-ext4",
            "alias=ext3",
            "depends=jbd2,mbcache,crc16",
            "name=ext4",
            "vermagic=6.1.0-56-amd64 SMP preempt mod_unload modversions ",
        ]);
        let info = read_modinfo(&mut Cursor::new(elf)).unwrap();
        assert_eq!(info.get("name"), Some("ext4"));
        assert_eq!(info.all("alias").collect::<Vec<_>>(), ["fs-ext4", "ext3"]);
        assert_eq!(info.depends(), ["jbd2", "mbcache", "crc16"]);
        assert_eq!(info.softdeps().pre, ["crypto-crc32c"]);
        assert_eq!(
            info.get("vermagic"),
            Some("6.1.0-56-amd64 SMP preempt mod_unload modversions ")
        );
    }

    #[test]
    fn rejects_bad_files() {
        let mut no_info = fake_module(&["name=x"]);
        // Rename `.modinfo` to `.modinfX`.
        let at = no_info.windows(8).position(|w| w == b".modinfo").unwrap();
        no_info[at + 7] = b'X';
        let mut elf32 = fake_module(&["name=x"]);
        elf32[4] = 1;
        let truncated = fake_module(&["name=x"])[..100].to_vec();
        let cases: [(Vec<u8>, ModinfoError); 5] = [
            (b"hello".to_vec(), ModinfoError::NotElf),
            (vec![0u8; 200], ModinfoError::NotElf),
            (elf32, ModinfoError::NotElf64),
            (no_info, ModinfoError::NoModinfo),
            (truncated, ModinfoError::Truncated),
        ];
        for (bytes, want) in cases {
            assert_eq!(read_modinfo(&mut Cursor::new(bytes)), Err(want));
        }
    }

    #[test]
    fn softdep_table() {
        let cases: [(&str, &[&str], &[&str]); 5] = [
            ("pre: crypto-crc32c", &["crypto-crc32c"], &[]),
            ("pre: a b post: c", &["a", "b"], &["c"]),
            ("post: c pre: a", &["a"], &["c"]),
            ("stray pre: a", &["a"], &[]),
            ("", &[], &[]),
        ];
        for (text, pre, post) in cases {
            let s = parse_softdep(text);
            assert_eq!(s.pre, pre, "{text}");
            assert_eq!(s.post, post, "{text}");
        }
    }

    #[test]
    fn empty_depends_is_no_dependency() {
        let info = ModInfo::parse(b"depends=\0name=virtio_blk\0\0\0");
        assert!(info.depends().is_empty());
        assert_eq!(info.get("name"), Some("virtio_blk"));
    }
}
