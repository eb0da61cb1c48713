//! Coreutils applets from the uutils crates. Each runs `uumain` after setting up uucore's
//! localization (English strings are embedded, so no locale files are needed in the image).
//! uutils code may call `process::exit`, which is why the shell runs applets as children.

use std::ffi::OsString;

use crate::error::AppletResult;

macro_rules! uutils_applet {
    ($($fn_name:ident => $krate:ident, $name:literal;)*) => {
        $(
            pub fn $fn_name(args: Vec<OsString>) -> AppletResult {
                // A missing bundle only degrades messages to their ids; the applet still works.
                let _ = uucore::locale::setup_localization($name);
                Ok($krate::uumain(args.into_iter()))
            }
        )*
    };
}

uutils_applet! {
    cat => uu_cat, "cat";
    cp => uu_cp, "cp";
    echo => uu_echo, "echo";
    env => uu_env, "env";
    head => uu_head, "head";
    ln => uu_ln, "ln";
    ls => uu_ls, "ls";
    mkdir => uu_mkdir, "mkdir";
    mv => uu_mv, "mv";
    pwd => uu_pwd, "pwd";
    rm => uu_rm, "rm";
    sleep => uu_sleep, "sleep";
    tail => uu_tail, "tail";
    touch => uu_touch, "touch";
    uname => uu_uname, "uname";
    wc => uu_wc, "wc";
}
