#!/usr/bin/env bash
# A throwaway one-host Slurm cluster (slurmctld + slurmd + its own munged) living entirely in DIR,
# for tests and for trying scripts/slurm/submit.sh without a real cluster. Needs root and the
# Debian packages slurm-wlm and munge (scripts/setup.sh); no systemd, no slurmdbd, no cgroups.
#   eval "$(scripts/slurm/local_cluster.sh start DIR)"  # prints `export SLURM_CONF=...` (DIR/env.sh)
#   scripts/slurm/local_cluster.sh stop DIR    # cancels its jobs, stops the daemons
# `start` on a DIR with a cluster still running (or left behind by a killed run) stops it first
# and starts from a clean state; `stop` on a DIR with nothing running does nothing.
set -euo pipefail

readonly kStartTimeoutS=${SLURM_LOCAL_START_TIMEOUT:-60}  # node idle after the daemons start
readonly kStopTimeoutS=30                                 # each daemon's exit after SIGTERM
readonly kDrainTimeoutS=30                                # running jobs gone after scancel

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

die() {
  echo "local_cluster: $*" >&2
  exit 1
}

# A TCP port nobody listens on now. NOTE: another process may take it before the daemon binds;
# the bound wait in cluster_wait_idle then fails with the daemon's log.
cluster_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

# Whether process $1 exists and is not a zombie. NOTE: where PID 1 does not reap (containers, CI
# VMs), an exited daemon stays in /proc as a zombie.
cluster_pid_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }  # the fields after "pid (comm) "
  [ "${stat%% *}" != Z ]
}

# The pid in pid file $1 if that process runs and its name starts with $2 (a pid file left by a
# killed run may name a pid since reused by something else).
cluster_live_pid() {
  local file=$1 name=$2 pid comm
  [ -s "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && cluster_pid_running "$pid" || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == "$name"* ]] || return 1
  echo "$pid"
}

# Sends SIGTERM to the daemon of pid file $1 (process name $2), waits for it to exit, SIGKILL
# after kStopTimeoutS.
cluster_stop_daemon() {
  local file=$1 name=$2 pid i
  if ! pid=$(cluster_live_pid "$file" "$name"); then
    rm -f "$file"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < kStopTimeoutS * 10; i++)); do
    cluster_pid_running "$pid" || break
    sleep 0.1
  done
  if cluster_pid_running "$pid"; then
    echo "local_cluster: $name (pid $pid) still running after ${kStopTimeoutS}s; SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      cluster_pid_running "$pid" || break
      sleep 0.1
    done
  fi
  rm -f "$file"
  echo "local_cluster: stopped $name (pid $pid)" >&2
}

# Cancels every job of the cluster in $dir and waits (bounded) until none is running, so no
# slurmstepd or moebench outlives the daemons.
cluster_drain_jobs() {
  local dir=$1 i
  cluster_live_pid "$dir/slurmctld.pid" slurmctld >/dev/null || return 0
  export SLURM_CONF=$dir/slurm.conf
  scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  for ((i = 0; i < kDrainTimeoutS * 10; i++)); do
    [ -z "$(squeue --noheader --states=RUNNING,COMPLETING,SUSPENDED 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  echo "local_cluster: jobs still running ${kDrainTimeoutS}s after scancel" >&2
}

cluster_stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  cluster_drain_jobs "$dir"
  cluster_stop_daemon "$dir/slurmd.pid" slurmd
  cluster_stop_daemon "$dir/slurmctld.pid" slurmctld
  cluster_stop_daemon "$dir/munged.pid" munged
}

# slurm.conf for one node ($2) on 127.0.0.1 with every path under $1.
cluster_write_conf() {
  local dir=$1 node=$2 ctld_port slurmd_port cpus mem_mb
  ctld_port=$(cluster_free_port)
  slurmd_port=$(cluster_free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(cluster_free_port); done
  cpus=$(nproc)
  # NOTE: 90% of MemTotal: slurmd drains a node whose configured memory is above what it finds.
  mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm/local_cluster.sh: a one-host throwaway cluster; everything under $dir.
ClusterName=moebench-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job waits this long before it starts again (default 120 s).
AuthInfo=socket=$dir/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups (containers and CI VMs rarely delegate them): processes tracked by parentage.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
# One CPU per array task, memory not a consumable resource: tasks share the node by CPU.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
# Start jobs at once (batch jobs wait up to 3 s by default), and look at pending ones every 2 s.
SchedulerParameters=batch_sched_delay=0,sched_interval=2
ReturnToService=2
MaxArraySize=100001
# Short timeouts so tests do not wait; finished jobs stay visible to scontrol for an hour.
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
Waittime=0
MinJobAge=3600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

# munged on its own socket and key under $1. NOTE: --force because it runs as root; munged checks
# that the key is 0600 and that no directory on the way is writable by others.
cluster_start_munge() {
  local dir=$1
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 0600 "$dir/munge.key"
  munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munged.seed" ||
    die "munged did not start; see $dir/log/munged.log"
  munge --socket="$dir/munge.socket" --string=ok | unmunge --socket="$dir/munge.socket" >/dev/null ||
    die "munge round trip on $dir/munge.socket failed; see $dir/log/munged.log"
}

# Waits until sinfo shows the node idle; on timeout prints the node and the daemons' log tails.
cluster_wait_idle() {
  local dir=$1 node=$2 state="" i
  for ((i = 0; i < kStartTimeoutS * 5; i++)); do
    state=$(sinfo --noheader --nodes="$node" --format=%t 2>/dev/null || true)
    [ "$state" = "idle" ] && return 0
    # The daemons write their pid files once they have forked; 5 s for that, then a dead one is
    # not waited for.
    if [ "$i" -ge 25 ] && ! { cluster_live_pid "$dir/slurmctld.pid" slurmctld >/dev/null &&
      cluster_live_pid "$dir/slurmd.pid" slurmd >/dev/null; }; then
      state="$state, a daemon exited"
      break
    fi
    sleep 0.2
  done
  echo "local_cluster: node $node not idle after $((i / 5))s (state '${state}')" >&2
  scontrol show node "$node" >&2 2>/dev/null || true
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
  exit 1
}

cluster_start() {
  local dir=$1 node
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    die "slurmctld or munged missing ---> HINT: bash scripts/setup.sh (slurm-wlm munge)"
  fi
  [ "$(id -u)" -eq 0 ] || die "needs root (SlurmUser=root, munged as root)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # NOTE: a unix socket path is at most 107 bytes.
  [ ${#dir} -le 90 ] || die "DIR '$dir' is too long for munged's socket path; use a shorter one"
  cluster_stop "$dir"
  # A start that fails stops what it started.
  starting_dir=$dir
  trap '[ $? -eq 0 ] || cluster_stop "$starting_dir" 2>/dev/null' EXIT
  rm -rf "$dir/state" "$dir/spool" "$dir/log" "$dir/munge.socket"* "$dir/munged.seed"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  chmod 0755 "$dir"  # munged wants the socket's directory searchable by all
  node=$(hostname -s)
  cluster_write_conf "$dir" "$node"
  cluster_start_munge "$dir"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF" || die "slurmctld did not start; see $dir/log/slurmctld.log"
  slurmd -f "$SLURM_CONF" -N "$node" || die "slurmd did not start; see $dir/log/slurmd.log"
  cluster_wait_idle "$dir" "$node"
  echo "export SLURM_CONF=$SLURM_CONF" >"$dir/env.sh"
  echo "local_cluster: node $node idle ($(nproc) CPUs); source $dir/env.sh or run:" >&2
  cat "$dir/env.sh"
}

[ $# -eq 2 ] || usage
case $1 in
  start) cluster_start "$2" ;;
  stop) cluster_stop "$(cd "$2" 2>/dev/null && pwd || echo "$2")" ;;
  *) usage ;;
esac
