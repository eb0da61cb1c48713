//! mountopt (to be written).
