#!/usr/bin/env bash
# Kanalkollen in Microsoft 365 Agents Playground (make playground / make playground-walk).
#
#   scripts/playground/run.sh           bot + one Playground per person; ctrl-c stops them all
#   scripts/playground/run.sh --fresh   the same, after wiping the playground's bot state
#   scripts/playground/run.sh --walk    fresh state, walk.py drives the story, then all stop;
#                                       the exit status is the walk's
#   PLAYGROUND_ORGANISATIONS=DIR ...    the bot serves the organisation files in DIR
#
# The bot runs in local mode (no Azure credentials) with scripts/playground/policy.toml and its
# own SQLite database and files under .cache/playground/. The Playground is installed there too
# (npm ci, pinned by scripts/playground/package-lock.json) the first time this runs: Node.js is
# needed for this script only, never by `make run` or `make test`.
#
# The Playground always acts as its config's currentUser and shows only that person's chats, so
# each of the six people gets a Playground of their own, on consecutive ports from
# PLAYGROUND_PORT (26150; below the ephemeral ports, where the Playground's own default 56150
# lies and an outgoing connection can hold it for a moment): switching person is switching tab.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/scripts/playground
CACHE=$ROOT/.cache/playground
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
KANALKOLLEN=${KANALKOLLEN:-$ROOT/.venv/bin/kanalkollen}
BOT_PORT=${PLAYGROUND_BOT_PORT:-3978}
FIRST_PORT=${PLAYGROUND_PORT:-26150}
NODE_MAJOR_MIN=20
ENDPOINT=http://127.0.0.1:$BOT_PORT/api/messages

mode=serve
fresh=0
for arg in "$@"; do
  case $arg in
    --walk) mode=walk; fresh=1 ;;
    --fresh) fresh=1 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'playground: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# --- Node.js and the pinned Playground -------------------------------------------------------
command -v node >/dev/null && command -v npm >/dev/null \
  || die "Node.js >= $NODE_MAJOR_MIN with npm is needed for the Playground (only for this target)."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge "$NODE_MAJOR_MIN" ] \
  || die "Node.js >= $NODE_MAJOR_MIN is needed; this is $(node --version)."
[ -x "$KANALKOLLEN" ] || die "$KANALKOLLEN is missing: run 'make install' first."

mkdir -p "$CACHE"
if ! cmp -s "$HERE/package-lock.json" "$CACHE/package-lock.json" \
  || [ ! -f "$CACHE/node_modules/@microsoft/m365agentsplayground/cli.js" ]; then
  say "installing the Agents Playground into .cache/playground (npm ci)"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$CACHE/"
  npm ci --prefix "$CACHE" --no-audit --no-fund --loglevel=error >&2
fi
PLAYGROUND_CLI=$CACHE/node_modules/@microsoft/m365agentsplayground/cli.js
node "$HERE/personas.cjs" "$HERE/.m365agentsplayground.yml" "$CACHE" "$FIRST_PORT"
mapfile -t ROLES < <(node -p 'require(process.argv[1]).people.map(p => p.role).join("\n")' \
  "$CACHE/people.json")

port_free() {
  # Bound as Node and aiohttp bind (a port left in TIME_WAIT is free); a port in the ephemeral
  # range (PLAYGROUND_PORT moved there) may be held for a moment by a client: ask a few times.
  "$PYTHON" - "$1" <<'PY'
import socket, sys, time
for attempt in range(6):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", int(sys.argv[1])))
            sys.exit(0)
        except OSError:
            time.sleep(0.5)
sys.exit(1)
PY
}
PLAYGROUND_PORTS=()
for ((i = 0; i < ${#ROLES[@]}; i++)); do PLAYGROUND_PORTS+=($((FIRST_PORT + i))); done
for port in "$BOT_PORT" "${PLAYGROUND_PORTS[@]}"; do
  # The Playground would silently move to a random port: refuse instead.
  port_free "$port" || die "port $port is in use (PLAYGROUND_BOT_PORT and PLAYGROUND_PORT move them)."
done

# --- processes started here, stopped on any exit -----------------------------------------------
PIDS=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ ${#PIDS[@]} -gt 0 ]; then
    say "stopping the bot and the Playgrounds"
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {  # URL SECONDS PID NAME LOG
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { tail -n 30 "$5" >&2; die "$4 stopped; its log is $5"; }
    [ $SECONDS -lt $deadline ] || { tail -n 30 "$5" >&2; die "$4 did not answer $1"; }
    sleep 0.3
  done
}

# --- the bot, in local mode --------------------------------------------------------------------
STATE=$CACHE/state
[ "$mode" = walk ] && STATE=$CACHE/walk
if [ "$fresh" -eq 1 ]; then rm -rf "$STATE"; fi
mkdir -p "$STATE/files"
BOT_LOG=$STATE/bot.log
bot_env=(
  # Local mode: no app id, so no authentication, bound to 127.0.0.1.
  MicrosoftAppId= MicrosoftAppPassword= MicrosoftAppTenantId= ALLOWED_TENANTS=
  GRAPH_TENANT_ID= GRAPH_CLIENT_ID= GRAPH_CLIENT_SECRET= MAIL_TRANSPORT=none
  PUBLIC_BASE_URL= PORT="$BOT_PORT" LOG_LEVEL="${LOG_LEVEL:-INFO}"
  KANALKOLLEN_POLICY="$HERE/policy.toml"
  DATABASE_URL="sqlite+aiosqlite:///$STATE/kanalkollen.db"
  FILES_DIR="$STATE/files"
)
# PLAYGROUND_ORGANISATIONS=folder: the bot serves organisation files instead of the one policy
# (the playground's tenant must be in one of them), e.g. to see administrations in the form.
if [ -n "${PLAYGROUND_ORGANISATIONS:-}" ]; then
  bot_env+=(KANALKOLLEN_ORGANISATIONS="$(cd "$PLAYGROUND_ORGANISATIONS" && pwd)")
fi
# From the state folder, so that no .env of the checkout is read.
(cd "$STATE" && env "${bot_env[@]}" "$KANALKOLLEN" migrate) >"$BOT_LOG" 2>&1 \
  || { cat "$BOT_LOG" >&2; die "kanalkollen migrate failed"; }
(cd "$STATE" && exec env "${bot_env[@]}" "$KANALKOLLEN" serve) >>"$BOT_LOG" 2>&1 &
BOT_PID=$!
PIDS+=("$BOT_PID")
wait_for "http://127.0.0.1:$BOT_PORT/readyz" 60 "$BOT_PID" "the bot" "$BOT_LOG"
say "bot ready on $ENDPOINT (log: ${BOT_LOG#"$ROOT"/})"

# --- one Playground per person ------------------------------------------------------------------
for ((i = 0; i < ${#ROLES[@]}; i++)); do
  role=${ROLES[$i]}
  port=$((FIRST_PORT + i))
  dir=$CACHE/$role
  # The Bot Connector address the Playground gives the bot in every activity.
  service_url=http://127.0.0.1:$port/_connector
  (
    cd "$dir"
    # No browser is opened (the URLs are printed), no telemetry is sent, logs stay in the cache.
    exec env TEAMSAPPTESTER_BROWSER=none \
      M365_AGENTS_PLAYGROUND_CONFIG_PATH="$dir/.m365agentsplayground.yml" \
      M365_AGENTS_PLAYGROUND_LOGFILE="$dir/playground.log" \
      node "$PLAYGROUND_CLI" -e "$ENDPOINT" -c msteams -p "$port" \
      --service-url "$service_url" --disable-telemetry
  ) >"$dir/stdout.log" 2>&1 &
  PIDS+=("$!")
  wait_for "http://127.0.0.1:$port/_debug/ping" 60 "$!" "the Playground of $role" "$dir/stdout.log"
  # A Playground whose port was taken at the last moment moves to a random one: not ours then.
  grep -q "Listening on $port\$" "$dir/stdout.log" \
    || die "the Playground of $role did not get port $port (see ${dir#"$ROOT"/}/stdout.log)"
done

walk_args=(--people "$CACHE/people.json" --bot "http://127.0.0.1:$BOT_PORT")
if [ "$mode" = walk ]; then
  say "walking the story"
  "$PYTHON" "$HERE/walk.py" "${walk_args[@]}" --database "$STATE/kanalkollen.db" ${WALK_ARGS:-}
  exit $?
fi


node -e '
const { people } = require(process.argv[1]);
console.log("\nKanalkollen in Microsoft 365 Agents Playground: one browser tab per person.\n");
for (const p of people)
  console.log(`  http://localhost:${p.port}/  ${p.name.padEnd(16)} ${p.role.padEnd(10)} ${p.title}`);
console.log("\nOpen all six tabs first and keep them open: the Playground keeps a chat only in its");
console.log("open page, and the bot finds a person only once their tab has opened their chat.");
console.log("Type \"hjälp\" in each tab, then \"ny kanal\" as the requester. Ctrl-C stops everything.");
' "$CACHE/people.json"
wait "$BOT_PID"
