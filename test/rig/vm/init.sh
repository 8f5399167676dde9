#!/bin/busybox sh
# Stage 1, the initramfs's /init (busybox only): load the virtio and 9p modules listed in
# /modules.list, mount the host's directories shared over 9p (read-only system, the
# shares listed on the kernel command line), build the guest's root on a tmpfs and
# switch to it, running stage2.sh there.
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "rig-init: $*" >/dev/console; echo b >/proc/sysrq-trigger; sleep 5; }
while read -r m; do insmod "/mods/$m" || fail "insmod $m failed"; done </modules.list
R=/newroot
mkdir -p $R
mount -t tmpfs -o mode=0755 root $R
# The guest's own tmpfs first, so a share under /tmp or /run (a clone in /tmp) is mounted
# on top of it instead of being hidden by it.
for d in proc sys dev tmp run root .rig; do mkdir -p "$R/$d"; done
mount -t tmpfs -o mode=1777 tmp $R/tmp
mount -t tmpfs -o mode=0755 run $R/run
# Shares from the command line: rig.share=TAG:GUESTPATH:ro|rw (one per share, in order;
# a share's path may lie inside an earlier one). rig.link=NAME:TARGET makes /NAME a symlink.
o9p=trans=virtio,version=9p2000.L,msize=262144
for arg in $(cat /proc/cmdline); do
  case "$arg" in
  rig.link=*)
    v=${arg#rig.link=}; ln -s "${v#*:}" "$R/${v%%:*}" ;;
  rig.share=*)
    v=${arg#rig.share=}; tag=${v%%:*}; rest=${v#*:}; path=${rest%:*}; mode=${rest##*:}
    if [ "$mode" = ro ]; then opts="$o9p,ro,cache=loose"; else opts="$o9p,cache=mmap"; fi
    mkdir -p "$R$path" 2>/dev/null
    mount -t 9p -o "$opts" "$tag" "$R$path" || fail "mount of share $tag at $path failed" ;;
  esac
done
cp /bin/busybox /stage2.sh $R/.rig/
mount --move /proc $R/proc
mount --move /sys $R/sys
mount --move /dev $R/dev
exec switch_root $R /.rig/busybox sh /.rig/stage2.sh
