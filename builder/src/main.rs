//! rroot: the host-side builder. `rroot initramfs` writes a reproducible newc cpio,
//! `rroot disk IMAGE` turns a container image into an ext4 root disk, `rroot vm` boots them.

mod compress;
mod disk;
mod elf;
mod initramfs;
mod modules;
mod newc;
mod tree;
mod vm;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "rroot",
    version,
    about = "Build and boot rroot initramfs images and disks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a newc cpio initramfs holding rbox and its applet links.
    Initramfs(initramfs::Args),
    /// Turn a container image into an ext4 root disk.
    Disk(disk::Args),
    /// Boot an initramfs (and optionally a disk) in QEMU on the serial console.
    Vm(vm::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Initramfs(args) => initramfs::run(args),
        Command::Disk(args) => disk::run(args),
        Command::Vm(args) => vm::run(args),
    };
    if let Err(e) = result {
        // One line: the chain of contexts, outermost first, without Debug formatting.
        eprintln!("rroot: {e:#}");
        std::process::exit(1);
    }
}
