//! XCU Regular built-in utilities (XCU chapter 3: cd, printf, umask, getopts, command, type, hash, read, alias): scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &["echo placeholder-utilities"];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("Regular built-in utilities (XCU chapter 3: cd, printf, umask, getopts, command, type, hash, read, alias)", Via::Arg, AGREE, DIFFER);
}
