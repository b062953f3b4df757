# Background servers for the test and benchmark scripts (sourced): each is started with its
# output in $out/NAME.log, waited for until its first line says where it listens, and killed when
# the script exits. Needs $out (an absolute directory) set by the caller.
server_pids=()
servers_stop() {
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap servers_stop EXIT

# server_start NAME REGEX CMD...: starts CMD and waits (60 s at most) for the first line of its
# log to match REGEX; BASH_REMATCH then holds the match. Exits 1, naming the log, when the server
# ends or prints nothing that matches.
server_start() {
  local name=$1 regex=$2
  shift 2
  # NOTE: the log goes first: the child truncates it only once it runs, so a log left by an
  # earlier run could show that run's address (another port) to the first read below.
  rm -f "$out/$name.log"
  "$@" >"$out/$name.log" 2>&1 &
  server_pids+=($!)
  local pid=$! line=""
  for _ in $(seq 1 600); do
    line=$(head -1 "$out/$name.log" 2>/dev/null || true)
    [[ "$line" =~ $regex ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -15 "$out/$name.log" >&2
      echo "$(basename "$0"): $name exited early (log: $out/$name.log)" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$(basename "$0"): $name printed no listening line in 60 s (log: $out/$name.log)" >&2
  exit 1
}
