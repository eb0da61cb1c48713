//! `rroot initramfs` (to be written).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("initramfs: not implemented yet")
}
