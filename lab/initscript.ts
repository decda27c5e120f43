// /sbin/keel-init: PID 1 of a node. It plays the part of a tiny sysvinit so that a node behaves like a
// booted Debian host: private /dev, /run and /dev/shm (pacemaker's libqb IPC needs its own /dev/shm),
// the rc2.d start links run in order (so update-rc.d enable/disable matters across a reboot), sshd,
// and then it reaps orphans forever, as a PID 1 must.
export const INIT_PATH = '/sbin/keel-init';

export const INIT_SCRIPT = `#!/bin/sh
# Written by keel lab (lab/initscript.ts). PID 1 of this node.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022

mountpoint -q /proc || mount -t proc proc /proc
# /proc/sys is read-only except net (per network namespace): kernel.* sysctls are host-wide.
mount --bind /proc/sys /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,ro /proc/sys
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/lock /run/sshd
chmod 1777 /run/lock

# /dev: a private tmpfs with the few devices a server needs, not the host's /dev.
mount -t tmpfs -o mode=755,nosuid tmpfs /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/tty c 5 0
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
: > /run/utmp

hostname "$(cat /etc/hostname)"

exec </dev/null >>/var/log/keel-init.log 2>&1
echo "keel-init: boot $(date -Is)"
export RUNLEVEL=2 PREVLEVEL=N
for s in /etc/rc2.d/S*; do
  [ -x "$s" ] || continue
  # Run the script under its /etc/init.d name, as sysv-rc does: some scripts (kamailio) derive
  # their name and /etc/default file from $0.
  script=$(readlink -f "$s")
  echo "keel-init: $(date +%T.%3N) $s start"
  "$script" start || echo "keel-init: $s start exited $?"
done
if ! pidof sshd >/dev/null; then
  echo "keel-init: starting sshd"
  /usr/sbin/sshd || echo "keel-init: sshd exited $?"
fi
echo "keel-init: $(date +%T.%3N) up"
# Reap every orphan re-parented to us; a shell's wait only knows its own children.
exec perl -e '$0 = "keel-init"; while (1) { sleep 1 if waitpid(-1, 0) < 0 }'
`;
