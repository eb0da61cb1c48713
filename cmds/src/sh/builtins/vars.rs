//! Variable built-ins (XCU §2.14 export, readonly, unset; dash's local): read-only variables
//! refused, listings in the re-usable form dash prints (`export x='a b'`).

use super::super::exec::{err, Ex, Flow, Shell, Var};
use super::super::parser::is_name;
use super::{flags, out, quote};

/// `NAME` or `NAME=value` operand of export/readonly/local.
fn operand(a: &str) -> (&str, Option<String>) {
    match a.split_once('=') {
        Some((n, v)) => (n, Some(v.to_string())),
        None => (a, None),
    }
}

/// Sorted `PREFIXNAME='value'` lines of the variables `pick` selects (`set`, `export -p`,
/// `readonly -p`), to read back with `eval`.
pub fn print_vars(sh: &Shell, prefix: &str, pick: fn(&Var) -> bool) {
    let mut names: Vec<&String> = sh
        .vars
        .iter()
        .filter(|(_, v)| pick(v))
        .map(|(k, _)| k)
        .collect();
    names.sort();
    let mut text = String::new();
    for n in names {
        match sh.vars.get(n).map(|v| &v.value) {
            Some(Some(value)) => text.push_str(&format!("{prefix}{n}={}\n", quote(value))),
            // Declared without a value: `export x`, as dash lists it.
            Some(None) => text.push_str(&format!("{prefix}{n}\n")),
            None => {}
        }
    }
    out(&text);
}

/// Mark NAMEs (assigning `NAME=value` first) with `mark`; the shared body of export and readonly.
fn declare(sh: &mut Shell, cmd: &str, args: &[String], mark: fn(&mut Var)) -> Ex {
    for a in args {
        let (name, value) = operand(a);
        if !is_name(name) {
            err(&format!("{cmd}: {name}: bad variable name"));
            return Err(Flow::Fail(2));
        }
        // A NAME without a value keeps its value; an unset one stays unset, only marked.
        match value {
            Some(value) => {
                if let Err(e) = sh.try_set(name, value) {
                    err(&format!("{cmd}: {e}"));
                    return Err(Flow::Fail(2));
                }
            }
            None if !sh.vars.contains_key(name) => {
                let var = Var {
                    value: None,
                    exported: false,
                    readonly: false,
                };
                sh.vars.insert(name.to_string(), var);
            }
            None => {}
        }
        if let Some(v) = sh.vars.get_mut(name) {
            mark(v);
        }
    }
    Ok(0)
}

pub fn export(sh: &mut Shell, args: &[String]) -> Ex {
    let (_, names) = flags("export", args, "p")?;
    if names.is_empty() {
        print_vars(sh, "export ", |v| v.exported);
        return Ok(0);
    }
    declare(sh, "export", names, |v| v.exported = true)
}

pub fn readonly(sh: &mut Shell, args: &[String]) -> Ex {
    let (_, names) = flags("readonly", args, "p")?;
    if names.is_empty() {
        print_vars(sh, "readonly ", |v| v.readonly);
        return Ok(0);
    }
    declare(sh, "readonly", names, |v| v.readonly = true)
}

/// `local [NAME[=value]...]`: NAMEs get back their old values when the function returns.
pub fn local(sh: &mut Shell, args: &[String]) -> Ex {
    if sh.locals.is_empty() {
        err("local: not in a function");
        return Err(Flow::Fail(2));
    }
    for a in args {
        // dash's `local -` saves the options; they are not restored here.
        if a == "-" {
            continue;
        }
        let (name, value) = operand(a);
        if !is_name(name) {
            err(&format!("local: {name}: bad variable name"));
            return Err(Flow::Fail(2));
        }
        let old = sh.vars.get(name).cloned();
        if let Some(frame) = sh.locals.last_mut() {
            if !frame.iter().any(|(n, _)| n == name) {
                frame.push((name.to_string(), old));
            }
        }
        if let Some(v) = value {
            if let Err(e) = sh.try_set(name, v) {
                err(&format!("local: {e}"));
                return Err(Flow::Fail(2));
            }
        }
    }
    Ok(0)
}

/// `unset [-fv] NAME...`: variables (the default, or `-v`) or functions (`-f`).
pub fn unset(sh: &mut Shell, args: &[String]) -> Ex {
    let (opts, names) = flags("unset", args, "fv")?;
    let funcs = opts.contains('f') && !opts.contains('v');
    for name in names {
        if funcs {
            sh.funcs.remove(name);
            continue;
        }
        if !is_name(name) {
            err(&format!("unset: {name}: bad variable name"));
            return Err(Flow::Fail(2));
        }
        if sh.vars.get(name).is_some_and(|v| v.readonly) {
            err(&format!("unset: {name}: is read only"));
            return Err(Flow::Fail(2));
        }
        if name == "PATH" {
            sh.hashed.clear();
        }
        if name == "OPTIND" {
            sh.optpos = (0, 1);
        }
        sh.vars.remove(name);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operand_table() {
        assert_eq!(operand("x=1"), ("x", Some("1".to_string())));
        assert_eq!(operand("x="), ("x", Some(String::new())));
        assert_eq!(operand("x"), ("x", None));
        assert_eq!(operand("1x=a=b"), ("1x", Some("a=b".to_string())));
    }
}
