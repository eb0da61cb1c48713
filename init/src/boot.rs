//! boot (to be written).
