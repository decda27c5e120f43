#!/usr/bin/env bash
# Debian packages the tests need, installed when missing (as root; otherwise says what is missing).
# openssh-server, sudo: real sshd and become for engine tests; debootstrap, apt-cacher-ng, iproute2, psmisc: the lab;
# systemd-container: systemd-nspawn, which boots the lab's systemd nodes (`lab up --init systemd`);
# sip-tester: sipp, the SIP client that probes the floating IP; ansible-core, time: bench/;
# chromium: the headless browser (driven by playwright-core) that opens the HTML report in its test;
# tmux: a real pseudo-terminal for the live view's tests.
set -euo pipefail
packages=(openssh-server openssh-client sudo debootstrap apt-cacher-ng iproute2 psmisc systemd-container sip-tester ansible-core time procps chromium tmux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "!!! missing Debian packages (install them as root): ${missing[*]}" >&2
  echo "!!! tests that need them will say NOT RUN" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
