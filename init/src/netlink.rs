//! netlink (to be written).
