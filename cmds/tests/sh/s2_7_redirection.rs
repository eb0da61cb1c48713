//! XCU 2.7 Redirection: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-s2_7_redirection"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.7 Redirection", Via::Arg, AGREE, DIFFER);
}
