//! XCU 2.10 Shell Grammar: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-s2_10_grammar"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.10 Shell Grammar", Via::Arg, AGREE, DIFFER);
}
