//! XCU 2.10 Shell Grammar: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &[
    // 2.10.2 rule 1: reserved words only in command position
    "echo if then else fi do done case esac",
    "echo { }",
    "echo for in while; echo !",
    "{ echo a; }",
    "{ echo a\n}",
    "if true; then echo a; fi",
    "for do in a; do echo $do; done",
    "x=if; echo $x",
    "echo a; if true; then echo b; fi; echo c",
    "true && if true; then echo in-andor; fi",
    "echo a | while read x; do echo got $x; done",
    "! if false; then :; fi; echo $?",
    // 2.10.2: `{` and `}` need separators; compound command bodies
    "{echo a; } 2>/dev/null; echo $?",
    "{ echo a }\n}",
    "{ { echo deep; }; }",
    "{ echo a; } && { echo b; }",
    "f() { echo body; }; f",
    "f() echo simple-body; f",
    "f() (echo subshell-body); f",
    "f() if true; then echo if-body; fi; f",
    "f() for i in 1 2; do echo $i; done; f",
    // 2.10.2: newlines in lists, linebreaks after operators
    "echo a &&\necho b ||\necho c",
    "echo a |\n\ncat",
    "if true\nthen\necho nl\nfi",
    "while false\ndo\n:\ndone; echo end",
    "for i in a b\ndo\necho $i\ndone",
    "for i\nin x y; do echo $i; done",
    "{\necho in-braces\n}",
    "(\necho in-parens\n)",
    "\n\necho after-blank-lines\n\n",
    "true &&\n\n# comment\necho after-comment",
    // 2.10.2: case grammar: `;;` optional before esac, empty case, newlines
    "case a in esac; echo $?",
    "case a in a) echo a\nesac",
    "case a in\na)\necho nl\n;;\nesac",
    "case a in a) ;; esac; echo $?",
    "case a in (a) echo p;; (b) echo q;; esac",
    "case a\nin a) echo split;; esac",
    "case a in a|b|c) echo first;; a) echo second;; esac",
    "case in in in) echo in;; esac",
    "case esac in esac) echo esac;; esac",
    "x=$(case a in a) echo sub;; esac); echo $x",
    "if (true) then echo x; fi",
    "if { true; } then echo y; fi",
    "while (false) do :; done; echo w",
    "for i in a; do (echo $i) done",
    "case a in a) { echo x; } ;; esac",
    "case a in (x|a) echo pa;; esac",
    "case ')' in ')') echo rp;; esac",
    "case 'in' in in) echo in;; esac",
    "case a in a) echo a;; b) ;; esac",
    "echo a | if read x; then echo got $x; fi",
    "for i in c a b; do echo $i; done | sort",
    "while false; do :; done & wait; echo bg",
    "if true; then f() { echo inner; }; fi; f",
    "{ echo a; } | { cat; }",
    "echo $(( (1) + ((2)) ))",
    "echo $(( $(echo 1) ))",
    "echo ${x:-$(echo \")\")}",
    "echo \"${x:-\"}\"}\"",
    "echo \"${x:-'a'}\"",
    "(echo a) >out; cat out",
    "! (exit 1); echo $?",
    "echo a; then",
    "case a in # comment\na) echo a;; # another\n# between\nesac",
    "case a in\n# c\n(a) echo pa\n;;\nesac",
    "case a in\n  a)\n    echo a\n    ;;\n  b)\n    echo b\n    ;;\nesac",
    "if true; then\n  # comment only\n  :\nfi",
    // 2.10: syntax errors give status 2 (and stop a non-interactive shell)
    "echo a; ; echo b",
    ";",
    "if; then :; fi",
    "done",
    "echo (",
    "echo )",
    "fi; echo $?",
    "if true; then fi",
    "while true; done",
    "case a in a) echo;; ;; esac",
    "for 1 in a; do :; done",
    "echo a && && echo b",
    "| echo a",
    "echo a |",
    "false | ! true; echo $?",
    "! ! true; echo $?",
    "export() { :; }",
    "{ echo a; ) }",
    "f() { echo a; }; f(",
    "echo a\nfi\necho b",
    "eval 'if'; echo $?",
    "eval 'echo a;;'; echo after",
    "(eval 'fi') 2>/dev/null; echo $?",
];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

/// Scripts read from a pipe (`sh -s`): the parser must ask for more input.
const STDIN_AGREE: &[&str] = &[
    // 2.3 / 2.10 scripts read from a pipe: a line continuation or an open construct asks for more
    "echo a\\\nb",
    "echo a \\\nb",
    "true &\\\n& echo and",
    "x=5; echo $\\\n{x}",
    "if true\nthen echo t\nfi",
    "echo 'multi\nline'",
    "cat <<EOF\nbody\nEOF\necho after",
    "cat <<EOF\nline\\\njoined\nEOF",
    "f() {\necho in-f\n}\nf",
    "echo a |\ncat",
    "echo one; echo two\necho three",
    "case a in\na) echo a;;\nesac",
    "for i in 1 2\ndo echo $i\ndone",
    "i\\\nf true; then echo kw; fi",
    "echo a # comment \\\necho b",
    "x=$(echo a\necho b); echo $x",
    "exit 3\necho no",
    "false",
    "echo $((1 +\\\n2))",
    "alias x='echo hi'\nx",
    "alias x='echo hi'; x 2>/dev/null; echo $?",
    "alias e='echo '\nalias w=world\ne w",
    "alias x='echo a\necho b'\nx; echo c",
    "f() {\n  echo a\\\n  b\n}; f",
    "cat <<EOF\nno newline at the end\nEOF",
];

#[test]
fn agrees_with_dash() {
    section("2.10 Shell Grammar", Via::Arg, AGREE, DIFFER);
}

#[test]
fn agrees_with_dash_from_stdin() {
    section("2.10 Shell Grammar (stdin)", Via::Stdin, STDIN_AGREE, &[]);
}
