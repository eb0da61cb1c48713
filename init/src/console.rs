//! console (to be written).
