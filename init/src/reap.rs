//! reap (to be written).
