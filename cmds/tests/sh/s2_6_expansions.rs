//! XCU 2.6 Word Expansions: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-s2_6_expansions"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.6 Word Expansions", Via::Arg, AGREE, DIFFER);
}
