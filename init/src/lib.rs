//! rroot-init: what bringing a machine up means. The `init` applet drives it; applets such as
//! `mount`, `modprobe` and `dhclient` reuse the same functions.

pub mod boot;
pub mod cmdline;
pub mod console;
pub mod container;
pub mod dhcp;
pub mod fstype;
pub mod ioerror;
pub mod json;
pub mod log;
pub mod modules;
pub mod mountopt;
pub mod mounts;
pub mod netlink;
pub mod reap;
pub mod root;
pub mod shutdown;
pub mod supervise;
pub mod sys;
pub mod user;

pub use ioerror::io_reason;
