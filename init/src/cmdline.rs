//! cmdline (to be written).
