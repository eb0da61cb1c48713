//! XCU 2.14 Special Built-In Utilities: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-s2_14_special_builtins"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.14 Special Built-In Utilities", Via::Arg, AGREE, DIFFER);
}
