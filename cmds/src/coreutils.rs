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
    arch => uu_arch, "arch";
    base32 => uu_base32, "base32";
    base64 => uu_base64, "base64";
    basename => uu_basename, "basename";
    cat => uu_cat, "cat";
    chgrp => uu_chgrp, "chgrp";
    chmod => uu_chmod, "chmod";
    chown => uu_chown, "chown";
    comm => uu_comm, "comm";
    cp => uu_cp, "cp";
    cut => uu_cut, "cut";
    dd => uu_dd, "dd";
    df => uu_df, "df";
    dirname => uu_dirname, "dirname";
    du => uu_du, "du";
    echo => uu_echo, "echo";
    env => uu_env, "env";
    expand => uu_expand, "expand";
    expr => uu_expr, "expr";
    fmt => uu_fmt, "fmt";
    fold => uu_fold, "fold";
    groups => uu_groups, "groups";
    head => uu_head, "head";
    hostid => uu_hostid, "hostid";
    id => uu_id, "id";
    install => uu_install, "install";
    join => uu_join, "join";
    link => uu_link, "link";
    ln => uu_ln, "ln";
    logname => uu_logname, "logname";
    ls => uu_ls, "ls";
    mkdir => uu_mkdir, "mkdir";
    mkfifo => uu_mkfifo, "mkfifo";
    mknod => uu_mknod, "mknod";
    mktemp => uu_mktemp, "mktemp";
    mv => uu_mv, "mv";
    nice => uu_nice, "nice";
    nl => uu_nl, "nl";
    nohup => uu_nohup, "nohup";
    nproc => uu_nproc, "nproc";
    numfmt => uu_numfmt, "numfmt";
    od => uu_od, "od";
    paste => uu_paste, "paste";
    pathchk => uu_pathchk, "pathchk";
    printenv => uu_printenv, "printenv";
    printf => uu_printf, "printf";
    pwd => uu_pwd, "pwd";
    readlink => uu_readlink, "readlink";
    realpath => uu_realpath, "realpath";
    rm => uu_rm, "rm";
    rmdir => uu_rmdir, "rmdir";
    seq => uu_seq, "seq";
    shuf => uu_shuf, "shuf";
    sleep => uu_sleep, "sleep";
    split => uu_split, "split";
    stat => uu_stat, "stat";
    stty => uu_stty, "stty";
    sync => uu_sync, "sync";
    tac => uu_tac, "tac";
    tail => uu_tail, "tail";
    tee => uu_tee, "tee";
    test => uu_test, "test";
    timeout => uu_timeout, "timeout";
    touch => uu_touch, "touch";
    tr => uu_tr, "tr";
    truncate => uu_truncate, "truncate";
    tsort => uu_tsort, "tsort";
    tty => uu_tty, "tty";
    uname => uu_uname, "uname";
    unexpand => uu_unexpand, "unexpand";
    uniq => uu_uniq, "uniq";
    unlink => uu_unlink, "unlink";
    wc => uu_wc, "wc";
    whoami => uu_whoami, "whoami";
    yes => uu_yes, "yes";
}

/// `sed` is the uutils sed crate, whose entry point lives one module deeper.
pub fn sed(args: Vec<OsString>) -> AppletResult {
    let _ = uucore::locale::setup_localization("sed");
    Ok(::sed::sed::uumain(args.into_iter()))
}

/// `[` is `test` that wants a closing `]`; uu_test tells them apart by argv[0].
pub fn bracket(args: Vec<OsString>) -> AppletResult {
    let _ = uucore::locale::setup_localization("test");
    Ok(uu_test::uumain(args.into_iter()))
}
