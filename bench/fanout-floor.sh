#!/usr/bin/env bash
# The fan-out floor: N OpenSSH sessions at once (no connection sharing), one per light host, each
# running one script that reads what the 20 fan-out tasks need: mode, owner, group and content of
# the 8 files and 4 line files (one stat, one cat: a tool hashes the content itself, as keel does),
# and the 4 guards (the shell's own test). Usage: bench/fanout-floor.sh N
set -euo pipefail
n=$1
# bench/run.ts writes the hosts as NAME=ADDRESS lines (reading light.json here would start a node).
hosts=$(dirname "$0")/results/light.txt
pids=()
for h in $(head -n "$n" "$hosts"); do
  name=${h%%=*}; addr=${h#*=}; d=/tmp/keel-bench-$name
  ssh -o BatchMode=yes -o ControlMaster=no -o ControlPath=none -i /var/lib/keel-lab/id_ed25519 \
    -o UserKnownHostsFile=/var/lib/keel-lab/light/known_hosts -o StrictHostKeyChecking=yes root@"$addr" \
    "cd $d && stat -c '%n %a %U %G %s' file?.conf lines?.conf && cat file?.conf lines?.conf; for g in $d done1 done2 done3; do [ -e \$g ] && echo \$g; done; true" >/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
