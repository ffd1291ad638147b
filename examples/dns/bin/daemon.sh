#!/bin/sh
# A stand-in for a BIND 10 daemon: it logs, re-reads its configuration on SIGHUP and
# exits cleanly on SIGTERM. `sleep & wait` keeps it responsive to signals.
name=${1:?usage: daemon.sh NAME}
echo "$name: started (pid $$)"
trap 'echo "$name: reloading configuration"' HUP
trap 'echo "$name: stopping"; exit 0' TERM INT
while :; do
  sleep 1 &
  wait $!
done
