#!/bin/sh
# Exit 0 if /dev/kvm exists and this user can open it read-write (what QEMU -accel kvm needs);
# otherwise say why and exit 1.  `make test-kvm` and `tools/run.sh` (ACCEL=kvm) ask this first.
if [ ! -e /dev/kvm ]; then
    echo "kvm-usable: /dev/kvm does not exist (no KVM on this host, or the kvm module is not loaded)"
    exit 1
fi
if [ ! -c /dev/kvm ]; then
    echo "kvm-usable: /dev/kvm is not a character device"
    exit 1
fi
# Opening for reading and writing is the real test: permissions, ACLs, namespaces, LSMs.
if ! ( : <>/dev/kvm ) 2>/dev/null; then
    group=$(stat -c %G /dev/kvm)
    hint="ask for access (often: add the user to group 'kvm')"
    [ "$group" != root ] && hint="add the user to group '$group'"
    echo "kvm-usable: /dev/kvm cannot be opened read-write by $(id -un) ($(ls -l /dev/kvm)); $hint"
    exit 1
fi
exit 0
