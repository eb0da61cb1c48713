//! XCU 2.5 Parameters and Variables: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-s2_5_parameters"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.5 Parameters and Variables", Via::Arg, AGREE, DIFFER);
}
