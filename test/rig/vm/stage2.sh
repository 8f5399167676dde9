# Stage 2, on the guest's root (the host's /usr and /etc read-only, the shares, tmpfs
# elsewhere): mount the kernel's filesystems, load the modules the job asks for, run
# /job/cmd with /job/env from /job/cwd, write its output and exit status into /job and
# power off. A job that does not finish leaves no /job/rc; the host's timeout reports it.
B=/.rig/busybox
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts devpts /dev/pts
$B mount -t tmpfs shm /dev/shm
$B mount -t configfs configfs /sys/kernel/config 2>/dev/null
$B mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
$B hostname geostream-vm
$B ip link set lo up
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp/home
$B mkdir -p /tmp/home
echo 'geostream-vm: ready' >/dev/console
rc=0
if [ -s /job/modules ]; then
  modprobe -a $($B cat /job/modules) >/job/stderr 2>&1 || rc=125
fi
if [ $rc -eq 0 ]; then
  set -a; . /job/env; set +a
  cd "$($B cat /job/cwd)" && /bin/sh /job/cmd </dev/null >/job/stdout 2>/job/stderr
  rc=$?
fi
echo $rc >/job/rc.tmp && $B mv /job/rc.tmp /job/rc
$B sync
# -no-reboot makes qemu exit on a reset; this needs no ACPI in the guest.
$B reboot -f
