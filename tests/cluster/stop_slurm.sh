#!/usr/bin/env bash
# Stop the daemons that tests/cluster/start_slurm.sh STATE_DIR started, and only those.
#
#   tests/cluster/stop_slurm.sh STATE_DIR
#
# Reads STATE_DIR/started ("<daemon> <pid>" lines) and stops slurmd, then slurmctld, then
# munged by pid: SIGTERM, up to 15 s, then SIGKILL. A pid that no longer runs that daemon
# (it exited, or the number was reused) is left alone. Nothing recorded, nothing stopped.
# With the slurmctld it started gone, the slurm.conf that start_slurm.sh wrote goes too: left
# behind, it points every SLURM client here at a controller that is not running, and each
# Snakemake start, local runs included, then waits 9 s (SLURM's MessageTimeout retries) in the
# `scontrol show config` that snakemake-executor-plugin-slurm runs when it is imported.
set -euo pipefail

MARKER="# Written by electrolyte3d tests/cluster/start_slurm.sh"
CONF=/etc/slurm/slurm.conf

[[ $# -eq 1 ]] || { echo "usage: $0 STATE_DIR" >&2; exit 2; }
STARTED=$1/started
if [[ ! -s $STARTED ]]; then
    echo "stop_slurm.sh: nothing to stop (no daemons recorded in $STARTED)"
    exit 0
fi

alive() {  # alive NAME PID: the pid still runs that daemon
    [[ $(cat "/proc/$2/comm" 2>/dev/null) == "$1" ]]
}

# Jobs left by an interrupted test would keep their slurmstepd after slurmd is gone.
if grep -q '^slurmctld ' "$STARTED" && command -v scancel >/dev/null; then
    timeout 10 scancel --user "$(id -un)" 2>/dev/null || true
fi

status=0
for name in slurmd slurmctld munged; do
    pid=$(awk -v name="$name" '$1 == name {print $2}' "$STARTED")
    [[ -n $pid ]] || continue
    if ! alive "$name" "$pid"; then
        echo "stop_slurm.sh: $name (pid $pid) is not running any more"
        continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 150); do
        alive "$name" "$pid" || break
        sleep 0.1
    done
    if alive "$name" "$pid"; then
        echo "stop_slurm.sh: $name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
        alive "$name" "$pid" && { echo "stop_slurm.sh: error: $name (pid $pid) survived SIGKILL" >&2; status=1; }
    fi
    echo "stop_slurm.sh: stopped $name (pid $pid)"
done
if [[ $status -eq 0 ]]; then
    if grep -q '^slurmctld ' "$STARTED" && head -n 1 "$CONF" 2>/dev/null | grep -qxF "$MARKER"; then
        rm -f "$CONF"
        echo "stop_slurm.sh: removed $CONF"
    fi
    : >"$STARTED"
fi
exit "$status"
