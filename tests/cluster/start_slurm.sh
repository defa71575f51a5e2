#!/usr/bin/env bash
# Start a one-node SLURM on localhost for tests/test_slurm.py (Debian/Ubuntu, as root).
#
#   tests/cluster/start_slurm.sh STATE_DIR
#
# Installs slurm-wlm and munge with apt-get when slurmctld is missing, writes
# /etc/slurm/slurm.conf, starts munged, slurmctld and slurmd, and waits for the node to be idle.
# STATE_DIR/started lists "<daemon> <pid>" for each daemon this script started (none if a
# working SLURM was already there), so that tests/cluster/stop_slurm.sh STATE_DIR stops exactly
# those. STATE_DIR/partition names the partition to submit to.
#
# Exit status: 0 ready; 77 this machine cannot run the daemons (not root, or the packages
# cannot be installed), which the test reports as a skip; anything else is a failure.
set -euo pipefail

CANNOT_RUN=77
MARKER="# Written by electrolyte3d tests/cluster/start_slurm.sh"
CONF=/etc/slurm/slurm.conf
WAIT_S=${SLURM_START_TIMEOUT_S:-30}

die() { echo "start_slurm.sh: error: $*" >&2; exit 1; }
cannot_run() { echo "start_slurm.sh: cannot run a local SLURM here: $*" >&2; exit "$CANNOT_RUN"; }

[[ $# -eq 1 ]] || { echo "usage: $0 STATE_DIR" >&2; exit 2; }
STATE=$1
mkdir -p "$STATE"
STARTED=$STATE/started
if [[ -s $STARTED ]]; then
    die "$STARTED lists daemons from an earlier start; run tests/cluster/stop_slurm.sh $STATE first"
fi
: >"$STARTED"

# A failed start stops whatever it had started already.
cleanup_on_failure() {
    local status=$?
    if [[ $status -ne 0 && -s $STARTED ]]; then
        "$(dirname "$0")/stop_slurm.sh" "$STATE" >&2 || true
    fi
    exit "$status"
}
trap cleanup_on_failure EXIT

default_partition() {
    # sinfo marks the default partition with a trailing '*'
    sinfo -h -o '%P' 2>/dev/null | sed -n 's/\*$//p' | head -n 1
}

node_state() {
    timeout 5 sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -n 1 || true
}

# A SLURM that already answers (started by someone else, or by the system) is reused as it is.
if command -v sinfo >/dev/null && timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -qx 'idle\|mixed\|allocated'; then
    partition=$(default_partition)
    [[ -n $partition ]] || die "a SLURM is already running but has no default partition"
    echo "$partition" >"$STATE/partition"
    echo "start_slurm.sh: reusing the running SLURM (partition $partition); started nothing"
    exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    [[ $(id -u) -eq 0 ]] || cannot_run "slurmctld/slurmd/munged are not installed and installing them needs root"
    command -v apt-get >/dev/null || cannot_run "slurmctld is not installed and there is no apt-get to install it"
    echo "start_slurm.sh: installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -q -o Dpkg::Options::=--force-confold slurm-wlm munge >"$STATE/apt.log" 2>&1; }
    if ! apt_install; then
        # an old package list is the usual reason; refresh it once
        apt-get update -q >>"$STATE/apt.log" 2>&1 || true
        apt_install || cannot_run "apt-get install slurm-wlm munge failed (see $STATE/apt.log)"
    fi
fi
[[ $(id -u) -eq 0 ]] || cannot_run "starting slurmctld/slurmd as configured here needs root"

NODE=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)

# Never overwrite a slurm.conf that someone else wrote.
if [[ -e $CONF ]] && ! head -n 1 "$CONF" | grep -qxF "$MARKER"; then
    die "$CONF exists and was not written by this script; start that SLURM yourself or move the file away"
fi
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
# No cgroups: linuxproc and task/none run in containers without a cgroup hierarchy to delegate.
# No accounting daemon: jobs are tracked by slurmctld alone (sacct does not work, squeue does).
cat >"$CONF" <<EOF
$MARKER
ClusterName=local
SlurmctldHost=$NODE
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# squeue is the only record of finished jobs here; keep them listed for the whole test
MinJobAge=3600
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

# Record a daemon's pid as soon as its pid file names a live process.
record() {
    local name=$1 pidfile=$2 pid="" i
    for i in $(seq 50); do
        pid=$(cat "$pidfile" 2>/dev/null || true)
        [[ -n $pid && -d /proc/$pid ]] && break
        sleep 0.1
    done
    [[ -n $pid && -d /proc/$pid ]] || die "$name did not start (no live pid in $pidfile); see its log"
    echo "$name $pid" >>"$STARTED"
    echo "start_slurm.sh: started $name (pid $pid)"
}

# munge: as the munge user, in directories it owns (a root-owned log makes munged refuse to start).
if pgrep -x munged >/dev/null; then
    echo "start_slurm.sh: reusing the running munged"
else
    [[ -s /etc/munge/munge.key ]] || mungekey -c -k /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /etc/munge/munge.key /run/munge /var/log/munge /var/lib/munge
    chown -R munge:munge /var/log/munge /var/lib/munge
    chmod 0400 /etc/munge/munge.key
    rm -f /run/munge/munged.pid
    su -s /bin/sh munge -c munged || die "munged did not start; see /var/log/munge/munged.log"
    record munged /run/munge/munged.pid
fi
munge -n | unmunge >/dev/null || die "munge does not work: munge -n | unmunge failed"

for daemon in slurmctld slurmd; do
    if pgrep -x "$daemon" >/dev/null; then
        echo "start_slurm.sh: reusing the running $daemon"
        continue
    fi
    rm -f "/run/$daemon.pid"
    "$daemon" || die "$daemon did not start; see /var/log/slurm/$daemon.log"
    record "$daemon" "/run/$daemon.pid"
done

state=""
for i in $(seq $((WAIT_S * 2))); do
    state=$(node_state)
    case $state in
        idle) break ;;
        # a node left down by an earlier, unclean stop comes back on request
        down* | drain* | fail*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
done
if [[ $state != idle ]]; then
    echo "start_slurm.sh: node $NODE is '${state:-not reported}' after ${WAIT_S} s; last log lines:" >&2
    tail -n 5 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    die "SLURM did not become ready"
fi
echo debug >"$STATE/partition"
echo "start_slurm.sh: node $NODE idle (CPUs=$CPUS RealMemory=$MEM_MB MB), partition debug"
