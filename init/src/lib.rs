//! rroot-init: what bringing a machine up means. The `init` applet drives it; applets such as
//! `mount`, `modprobe` and `dhclient` reuse the same functions.

pub mod boot;
pub mod cmdline;
pub mod console;
pub mod fstype;
pub mod log;
pub mod mountopt;
pub mod modules;
pub mod mounts;
pub mod netlink;
pub mod reap;
pub mod shutdown;
pub mod sys;
pub mod supervise;
pub mod dhcp;
pub mod json;
pub mod user;
pub mod root;
pub mod container;
