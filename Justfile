# rroot: a Rust initramfs userland. `just --list` shows the recipes.
#
# Environment: KERNEL=/path/to/vmlinuz boots another kernel than Debian's cached one;
# INITRAMFS=/path/to/initramfs makes the VM tests and the benchmark boot another image.

set shell := ["bash", "-euo", "pipefail", "-c"]

musl := "x86_64-unknown-linux-musl"
rbox := "target/" + musl + "/release/rbox"

# List the recipes.
default:
    @just --list

# Install what the next steps need (musl target, QEMU, Debian's kernel, dnsmasq, e2fsprogs, the nginx fixture); idempotent.
setup *STEPS:
    tests/setup.sh {{ STEPS }}

# Build rbox (static musl, release) and write out/initramfs.cpio.gz.
initramfs: (setup "build")
    cargo build --release --target {{ musl }} -p rroot-cmds
    # Without --rbox the builder uses this build, less its unused unwind tables (see builder/src/initramfs.rs).
    cargo run --release -q -p rroot -- initramfs
    @ls -l {{ rbox }} out/initramfs.cpio.gz

# Boot in QEMU on the serial console (leave with `poweroff`); `just vm --disk out/disk.img` boots a disk and forwards its ports.
vm *ARGS: (setup "vm")
    #!/usr/bin/env bash
    set -euo pipefail
    # The cached stock kernel has its drivers (virtio net and block, ext4) as modules: boot an
    # image that carries them, out/initramfs.cpio.gz plus the kernel's modules, rebuilt when it
    # is missing or older than rbox, the kernel or out/initramfs.cpio.gz. The kernel version
    # comes from the cache; `just initramfs` itself stays kernel-agnostic.
    kernel=$(compgen -G '.cache/kernel/root/boot/vmlinuz-*' | sort -V | tail -n 1 || true)
    if [[ -z ${KERNEL:-} && -n $kernel ]]; then
        modules=.cache/kernel/root/lib/modules/${kernel##*/vmlinuz-}
        image=out/initramfs-modules.cpio.gz
        if [[ -d $modules ]] && { [[ ! -e $image || ! -e {{ rbox }} ]] || [[ {{ rbox }} -nt $image || $kernel -nt $image || out/initramfs.cpio.gz -nt $image ]]; }; then
            # Without --rbox the builder builds rbox itself (and slims it, as for `just initramfs`).
            cargo run --release -q -p rroot -- initramfs --kernel-modules "$modules" -o "$image"
        fi
    fi
    cargo run --release -q -p rroot -- vm {{ ARGS }}

# Turn a container image (nginx, host:port/repo:tag, oci:DIR, docker-archive:FILE) into out/disk.img; `just disk nginx` or `just disk IMAGE=nginx`.
disk IMAGE *ARGS:
    cargo run --release -q -p rroot -- disk {{ trim_start_match(IMAGE, "IMAGE=") }} {{ ARGS }}

# Run every test: unit and integration tests of all crates, then the VM tests (never skipped).
test: (setup "build" "vm" "net" "disk" "tools") initramfs
    #!/usr/bin/env bash
    # Both runs go to the end, so one report shows every failure.
    set -uo pipefail
    status=0
    cargo test --workspace --exclude rroot-vmtests --no-fail-fast || status=1
    # Two cores: at most two QEMU machines at once.
    cargo test -p rroot-vmtests --no-fail-fast -- --test-threads=2 || status=1
    exit $status

# Figures, not pass/fail: sizes, boot time against busybox, PID 1 memory; rroot disk against skopeo+umoci+mkfs.
bench: (setup "build" "vm" "disk" "bench") initramfs
    cargo run --release -q -p rroot-vmtests --bin bench
    @echo
    tests/fixtures/disk-bench.sh target/release/rroot

# Formatting check and clippy with warnings as errors.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
