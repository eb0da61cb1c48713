//! XCU 2.3 Token Recognition: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-s2_3_tokens"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.3 Token Recognition", Via::Arg, AGREE, DIFFER);
}
