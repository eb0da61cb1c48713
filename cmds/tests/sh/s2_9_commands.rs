//! XCU 2.9 Shell Commands: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-s2_9_commands"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.9 Shell Commands", Via::Arg, AGREE, DIFFER);
}
