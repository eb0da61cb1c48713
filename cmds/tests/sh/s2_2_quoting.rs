//! XCU 2.2 Quoting: scripts compared with dash.

use super::{section, Via};

const AGREE: &[&str] = &[
    // XCU 2.2.1 backslash
    r#"printf '[%s]\n' a\ b \a \\ \' \" \$x \` \* \?"#,
    r"printf '[%s]\n' a\
b",
    r"printf '[%s]\n' \\\\ \\\'",
    r"printf '[%s]\n' end\",
    r"printf '[%s]\n' x\ ",
    r"echo \# not a comment",
    r"echo a\;b a\&b a\|b a\<b a\>b a\(b\)",
    r"printf '[%s]\n' \	tab",
    r#"x=\$HOME; echo "$x""#,
    r"printf '[%s]\n' \",
    // XCU 2.2.2 single quotes
    r#"printf '[%s]\n' 'a b' '$x' '`echo no`' '\' '"' 'a\nb'"#,
    r"printf '[%s]\n' 'multi
line'",
    r"printf '[%s]\n' ''a''b'' '' ''''",
    r"printf '[%s]\n' 'it'\''s'",
    r"printf '[%s]\n' '\\' '\$'",
    r"echo 'a  #b'   # trailing comment",
    r"printf '[%s]\n' '*' '?' '[a]' '~'",
    r#"x='a b'; printf '[%s]\n' '$x' "$x" $x"#,
    r#"printf '[%s]\n' a'b'c 'a'"b"c"#,
    // XCU 2.2.3 double quotes
    r#"x=v; printf '[%s]\n' "$x" "${x}" "\$x" "\\" "\`" "\"" "\a" "\n" "\'""#,
    r#"printf '[%s]\n' "a\
b""#,
    r#"printf '[%s]\n' "'single'" "'$HOME'" | sed "s|$HOME|H|""#,
    r#"printf '[%s]\n' "*" "?" "[ab].txt" "~""#,
    r#"printf '[%s]\n' "a  b" "  lead" "trail  ""#,
    r#"printf '[%s]\n' "$(echo "a b")""#,
    r#"printf '[%s]\n' "$(echo 'a  b')""#,
    r#"printf '[%s]\n' "`echo 'a  b'`""#,
    r#"printf '[%s]\n' "$(echo "$(echo "x  y")")""#,
    r#"x='a b'; printf '[%s]\n' "${x}" "${x:-"q q"}" "${u:-"q  q"}""#,
    r#"printf '[%s]\n' "${u:-'s q'}""#,
    r#"printf '[%s]\n' "${u:-a"b c"d}""#,
    r#"printf '[%s]\n' "${u:-\"}""#,
    r#"printf '[%s]\n' "${u:-\$x}""#,
    r#"printf '[%s]\n' "${u:-\\}""#,
    r#"printf '[%s]\n' "${u:-a\b}""#,
    r#"x=abc; printf '[%s]\n' "${x#"a"}" "${x%"c"}" "${x#'a'}""#,
    r#"x='a*c'; printf '[%s]\n' "${x#"a*"}" "${x#a*}" "${x%\*c}""#,
    r#"printf '[%s]\n' "$((1+2))" "$(( 2 * 3 ))""#,
    r#"printf '[%s]\n' "a"'b'"c" "a"b'c'"#,
    r#"printf '[%s]\n' """" "''" "'"'"'"#,
    r#"printf '[%s]\n' "$"  "a$" "$ b" "$/""#,
    r#"x=1; printf '[%s]\n' "$x$x" "$x"$x '$x'$x"#,
    r#"printf '[%s]\n' "`echo \"in\"`""#,
    r#"printf '[%s]\n' "`echo \\$HOME`""#,
    r#"printf '[%s]\n' `echo "a  b"`"#,
    r#"printf '[%s]\n' "$@""#,
    r#"printf '[%s]\n' "$*""#,
    r#"printf '[%s]\n' "x$1" "$2x""#,
    r##"printf '[%s]\n' "#" a#b "a #b""##,
    r#"printf '[%s]\n' "\\\$x" "\\$x""#,
    r#"x='*'; printf '[%s]\n' "$x" $x"" | head -3"#,
    r#"printf '[%s]\n' "line1
line2""#,
    r#"printf '[%s]\n' "tab	x""#,
    r#"printf '[%s]\n' "${u-}" "${u:-}" """#,
    r#"printf '[%s]\n' "a""" """b""#,
    r#"x='"q"'; printf '[%s]\n' $x "$x""#,
    r#"x="'q'"; printf '[%s]\n' $x "$x""#,
    r#"x='\q'; printf '[%s]\n' $x "$x""#,
    r#"x='$HOME'; printf '[%s]\n' $x "$x""#,
    r"x='`echo no`'; printf '[%s]\n' $x",
    r#"printf '[%s]\n' "$(printf '%s' "a\"b")""#,
    r#"printf '[%s]\n' "$(echo ")")""#,
    r#"printf '[%s]\n' "$(echo '"')""#,
    r#"printf '[%s]\n' "${u:-"$(echo "a b")"}""#,
    r#"printf '[%s]\n' "${u:-$(echo "a   b")}""#,
    r#"printf '[%s]\n' ${u:-"$(echo "a   b")"}"#,
    r#"printf '[%s]\n' ${u:-$(echo "a   b")}"#,
    r#"printf '[%s]\n' "${u:-`echo "a  b"`}""#,
    r#"for w in if then do done; do printf '[%s]\n' "$w"; done"#,
    r#"printf '[%s]\n' 'if' "then" \fi"#,
    r#"echo "a" && echo 'b' || echo "c""#,
    r#"x='a|b'; printf '[%s]\n' $x "$x" 'a;b' "a&b""#,
    r#"printf '[%s]\n' "<>" '<>' \<\>"#,
    r#"x=y; printf '[%s]\n' "${x}"'${x}'\${x}"#,
    r#"case 'a b' in "a b") echo dq-case;; esac"#,
    r"case 'a b' in a\ b) echo bs-case;; esac",
    r"case 'a*' in 'a*') echo sq-case;; esac",
    r"case 'ab' in 'a*') echo bad;; a*) echo unq-case;; esac",
    r#"x='a b'; case $x in "a b") echo noSplit;; esac"#,
    r#"case x in "") echo bad;; x) echo ok;; esac"#,
    r"cat <<'E'
$HOME `x` \$
E",
    r#"cat <<E
a\$b \\ "q" 'q' \a
E"#,
    r"x=v; cat <<E
$x ${x} $(echo s) `echo b` $((1+1))
E",
    r#"cat <<"E"
$x
E"#,
    r"cat <<\E
$x
E",
    // XCU 2.2.2, 2.2.3 quotes inside ${...}: outside and inside double quotes
    r#"IFS=:; s=:; printf '[%s]' $s "$s"; echo"#,
    r"e=; printf '[%s]' ${e-a} ${U-b}; echo",
    r#"printf '[%s]' ${U:-'b'} "${U:-'b'}" ${U:-"b"} "${U-"b"}"; echo"#,
    r#"printf '[%s]' ${U:-a b c} ${U:-'a b c'} ${U:-"a b c"} "${U:-a b c}" "${U:-"a b c"}" "${U:-'a b c'}"; echo"#,
    r#"printf '[%s]' ${U:-"a b" c} "${U:-"a b" c}"; echo"#,
    r#"printf '[%s]' ${a:-${a:-"1 2" "3 4"}5 "6 7"}; echo"#,
    r#"v=${a:-${a:-"1 2" "3 4"}5 "6 7"}; printf '[%s]' "${v}"; echo"#,
    r#"var='a b c'; printf '[%s]' ${U:-$var} ${U:-'$var'} ${U:-"$var"} "${U:-$var}" "${U:-"$var"}" "${U:-'$var'}"; echo"#,
    r#"var='a b c'; printf '[%s]' ${U:-A$var " $var"D E F}; echo"#,
    r#"foo="'a b c d'"; printf '[%s]' ${foo%d\'} "${foo%d\'}"; echo"#,
    r#"foo='a b c d'; printf '[%s]' "${foo%c d}" "${foo%c  d}"; echo"#,
    r"foo='a b c d'; printf '[%s]' ${foo%'c d'} ${foo%'c  d'}; echo",
    r#"foo="'a b c d'"; printf '[%s]' "${foo%d'}"; echo"#,
    r#"foo='a b c d'; printf '[%s]' "${foo%'c d'}" "${foo%'c  d'}"; echo"#,
    r#"x=abc; echo ${x%$'b'*}; echo "${x%$'b'*}""#,
    r#"x='a*b'; printf '[%s]' "${x#"a*"}" "${x#'a*'}" "${x#a\*}" "${x#"a\*"}"; echo"#,
    r#"x='a\b'; printf '[%s]' "${x#a\\}" "${x#'a\'}" ${x#a\\}; echo"#,
    r#"x=abc; y='a*'; printf '[%s]' "${x#$y}" "${x#"$y"}" ${x#$y} ${x#"$y"}; echo"#,
    r#"x=abc; printf '[%s]' "${x#"${x%c}"}"; echo"#,
    r#"x='a}b'; printf '[%s]' "${x%\}*}" "${x%'}'*}" ${x%\}*}; echo"#,
    r#"x=abc; printf '[%s]' "${x:+"${x#a}"}"; echo"#,
    r#"printf '[%s]' "${U:-"a"#,
    r#"b"}"; echo"#,
];

/// Differences from dash kept on purpose: (script, why).
const DIFFER: &[(&str, &str)] = &[];

#[test]
fn agrees_with_dash() {
    section("2.2 Quoting", Via::Arg, AGREE, DIFFER);
}

/// Scripts read from standard input (`sh -s`): quotes and continuations across lines.
const AGREE_STDIN: &[&str] = &[
    r"printf '[%s]\n' 'one
two'
echo after",
    r#"printf '[%s]\n' "one
$1
two""#,
    r#"printf '[%s]\n' "a\
b" a\
b"#,
    r#"x='a
b'; printf '[%s]\n' $x "$x""#,
    r#"echo "$(echo 'x
y')""#,
    r#"printf '[%s]\n' "${u:-'a
b'}" ${u:-"c
d"}"#,
    r#"cat <<E
"quoted" 'single' \$ \\ \"
E"#,
    r"echo 'unterminated",
    r"echo `echo a\
b`",
    r#"printf '[%s]\n' "$@" "$*" $#"#,
    r"echo \
  continued \
  line",
    r#"printf '[%s]\n' "tab	in" 'new
line' end"#,
];

#[test]
fn agrees_with_dash_from_stdin() {
    section("2.2 Quoting (stdin)", Via::Stdin, AGREE_STDIN, &[]);
}
