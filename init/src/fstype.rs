//! fstype (to be written).
