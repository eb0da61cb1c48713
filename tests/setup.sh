#!/usr/bin/env bash
# Install and fetch what building, testing and benchmarking rroot needs. Safe to run again:
# what is already there is left alone, so `just test` runs it every time.
#
# Usage: tests/setup.sh [build] [vm] [net] [disk] [tools] [bench]   (no argument: all but bench)
#   build  Rust target x86_64-unknown-linux-musl (rbox is a static musl binary); binutils
#          (objcopy, which rroot initramfs uses)
#   vm     qemu-system-x86_64, and Debian's stock kernel (linux-image-amd64) unpacked into
#          .cache/kernel/root (boot/vmlinuz-*, lib/modules/*); KERNEL= skips the download
#   net    iproute2 and dnsmasq for the DHCP tests in network namespaces
#   disk   e2fsprogs >= 1.47.1 (`mke2fs -d` reading a tarball; Debian 12 has it in
#          bookworm-backports) with libarchive, and the nginx image fixture
#          (tests/fixtures/nginx-image.sh build: debootstrap, umoci, skopeo, docker-registry;
#          cached in .cache/fixtures)
#   tools  the reference tools the applet tests compare rbox with: dash (sh), GNU grep/sed/tar/gzip/
#          findutils/coreutils (essential in Debian), original-awk and mawk, busybox-static,
#          bsdextrautils (hexdump), xxd, binutils (strings), cpio, xz-utils, zstd, procps,
#          psmisc (killall), debianutils (which), sysvinit-utils (pidof), util-linux (setpriv)
#   bench  busybox-static and cpio, for the busybox initramfs `just bench` compares against;
#          binutils (nm) for the size table
#
# Debian packages are installed with apt-get when running as root; otherwise the script stops
# and says what to install. Nothing is downloaded from outside Debian's and Rust's own servers.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kernel_root="$root/.cache/kernel/root"
musl_target=x86_64-unknown-linux-musl

die() {
    echo "setup: $*" >&2
    exit 1
}

log() {
    echo "setup: $*" >&2
}

is_root() {
    [[ $(id -u) -eq 0 ]]
}

apt_updated=0
# apt_update: once per run (again after a new source was added).
apt_update() {
    if ((apt_updated == 0)); then
        log "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
}

# install_packages PKG... : the Debian packages that are not installed yet.
install_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    if ! is_root; then
        die "missing Debian packages: ${missing[*]}: run as root, or: sudo apt-get install -y ${missing[*]}"
    fi
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: install them by hand"
    apt_update
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_build() {
    command -v cargo >/dev/null || die "cargo: not found: install Rust with rustup (https://rustup.rs)"
    # objcopy: `rroot initramfs` strips rbox's unused unwind tables with it.
    install_packages binutils
    if command -v rustup >/dev/null; then
        if ! rustup target list --installed | grep -qx "$musl_target"; then
            log "rustup target add $musl_target"
            rustup target add "$musl_target"
        fi
    elif ! rustc --print target-libdir --target "$musl_target" >/dev/null 2>&1; then
        die "Rust target $musl_target: not installed and no rustup to add it"
    fi
}

# The newest kernel image unpacked in the cache, if any.
cached_kernel() {
    compgen -G "$kernel_root/boot/vmlinuz-*" | sort -V | tail -n 1
}

fetch_kernel() {
    if [[ -n ${KERNEL:-} ]]; then
        [[ -f $KERNEL ]] || die "KERNEL=$KERNEL: no such file"
        log "kernel: $KERNEL (from KERNEL=)"
        return 0
    fi
    local kernel
    kernel=$(cached_kernel || true)
    if [[ -n $kernel ]]; then
        log "kernel: $kernel (cached)"
        return 0
    fi
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
        die "no kernel in $kernel_root and no apt-get/dpkg-deb to fetch Debian's: set KERNEL=/path/to/vmlinuz"

    local work meta depends image
    work=$(mktemp -d)
    # shellcheck disable=SC2064 # expand $work now
    trap "rm -rf '$work'" EXIT
    # apt-get download needs only the package lists, not root; as root, let the _apt user write
    # into the directory so apt does not warn about its sandbox.
    is_root && chown _apt "$work" 2>/dev/null || true
    if ! (cd "$work" && apt-get download -qq linux-image-amd64 2>/dev/null); then
        is_root || die "apt-get download linux-image-amd64 failed: run 'sudo apt-get update' (package lists), or set KERNEL="
        apt_update
        (cd "$work" && apt-get download -qq linux-image-amd64) || die "apt-get download linux-image-amd64 failed"
    fi
    # linux-image-amd64 is a metapackage; its Depends names the real image package,
    # e.g. "linux-image-6.1.0-56-amd64 (= 6.1.192-2)".
    meta=$(compgen -G "$work/linux-image-amd64_*.deb" | head -n 1)
    depends=$(dpkg-deb -f "$meta" Depends)
    image=$(tr ',|' '\n\n' <<<"$depends" | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1)
    [[ -n $image ]] || die "$meta: no linux-image-VERSION package in Depends: $depends"
    log "apt-get download $image"
    (cd "$work" && apt-get download -qq "$image") || die "apt-get download $image failed"
    rm -rf "$kernel_root.tmp"
    mkdir -p "$kernel_root.tmp"
    log "unpacking $image into $kernel_root"
    dpkg-deb -x "$(compgen -G "$work/${image}_*.deb" | head -n 1)" "$kernel_root.tmp"
    rm -rf "$kernel_root"
    mv "$kernel_root.tmp" "$kernel_root"
    # Debian ships vmlinuz mode 0600; QEMU only needs to read it, also as another user.
    chmod a+r "$kernel_root"/boot/vmlinuz-*
    mv "$work"/*.deb "$root/.cache/kernel/" 2>/dev/null || true
    log "kernel: $(cached_kernel)"
}

setup_vm() {
    install_packages qemu-system-x86
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64: not found after installing qemu-system-x86"
    fetch_kernel
}

setup_net() {
    # dnsmasq-base: the binary without the system service the `dnsmasq` package would start.
    install_packages iproute2 dnsmasq-base
}

# version_at_least HAVE WANT
version_at_least() {
    [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1) == "$2" ]]
}

# Adds CODENAME-backports to apt's sources unless some source already names it; sets
# $backports to the suite name.
backports=
enable_backports() {
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [[ -n $codename ]] || die "cannot tell the Debian release from /etc/os-release"
    backports=$codename-backports
    if ! grep -rqs -- "$backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        log "adding $backports to /etc/apt/sources.list.d"
        echo "deb http://deb.debian.org/debian $backports main" >"/etc/apt/sources.list.d/$backports.list"
        apt_updated=0
    fi
}

setup_disk() {
    local have want=1.47.1
    have=$(PATH=$PATH:/usr/sbin:/sbin mke2fs -V 2>&1 | sed -n 's/^mke2fs \([0-9][0-9.]*\).*/\1/p' | head -n 1 || true)
    if [[ -z $have ]] || ! version_at_least "$have" "$want"; then
        is_root || die "e2fsprogs ${have:-missing}: rroot disk needs $want or newer (Debian 12: apt-get install -t bookworm-backports e2fsprogs)"
        enable_backports
        apt_update
        log "apt-get install -t $backports e2fsprogs"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t "$backports" e2fsprogs >/dev/null
    fi
    # mke2fs dlopens libarchive to read the tarball.
    install_packages libarchive13
    "$root/tests/fixtures/nginx-image.sh" build
}

setup_tools() {
    install_packages dash grep sed tar gzip findutils coreutils original-awk mawk busybox-static \
        bsdextrautils xxd binutils cpio xz-utils zstd procps psmisc debianutils sysvinit-utils util-linux
}

setup_bench() {
    # binutils: nm for the symbol-size table.
    install_packages busybox-static cpio binutils
}

main() {
    local steps=("$@")
    ((${#steps[@]})) || steps=(build vm net disk tools)
    local step
    for step in "${steps[@]}"; do
        case $step in
        build) setup_build ;;
        vm) setup_vm ;;
        net) setup_net ;;
        disk) setup_disk ;;
        tools) setup_tools ;;
        bench) setup_bench ;;
        *) die "unknown step '$step' (build, vm, net, disk, tools, bench)" ;;
        esac
    done
}

main "$@"
