#!/usr/bin/env bash
# Set up what `make run` / `make test` need, skipping whatever is done already.
#
#   scripts/bootstrap.sh venv      .venv       Python 3.11, pip install -e '.[test]'
#   scripts/bootstrap.sh rasa      .venv-rasa  Python 3.10, bot/requirements-rasa.txt
#   scripts/bootstrap.sh browser   /usr/bin/chromium (Debian's), for the e2e tests
#   scripts/bootstrap.sh logged LOG CMD...   run CMD into LOG with a heartbeat (make train)
#
# Idempotency: after a successful install a stamp file named after a hash of
# the inputs (pyproject.toml, resp. bot/requirements-rasa.txt) is written
# inside the venv; while that stamp exists and the venv's interpreter still
# runs at the right version, nothing is installed. Editing the inputs changes
# the hash, so the next run installs again. A venv whose interpreter is gone
# or of the wrong version is rebuilt. A lock (<venv>.lock) keeps two
# concurrent `make` runs from installing into one venv at once.
#
# Environment: VENV, VENV_RASA (venv paths), PYTHON311 / PYTHON310 (pick the
# interpreter), CHROMIUM (browser path), SETUP_VERBOSE=1 (stream installer
# output instead of writing it to a log).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${VENV:-.venv}"
VENV_RASA="${VENV_RASA:-.venv-rasa}"
RASA_REQS="bot/requirements-rasa.txt"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
STAMP_PREFIX=".fieldserv-stamp-"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# venv_ok DIR X.Y: the venv's interpreter runs and is Python X.Y.
venv_ok() {
    local dir="$1" want="$2"
    [[ -x "$dir/bin/python" ]] || return 1
    "$dir/bin/python" -c "import sys; sys.exit(('%d.%d' % sys.version_info[:2]) != '$want')" \
        >/dev/null 2>&1
}

# run_logged LOG CMD...: run CMD with its output in LOG, printing a heartbeat
# every 30 s; on failure show the end of LOG. SETUP_VERBOSE=1 streams it.
run_logged() {
    local log="$1"; shift
    mkdir -p "$(dirname "$log")"
    if [[ "${SETUP_VERBOSE:-0}" == 1 ]]; then
        "$@" 2>&1 | tee "$log"
        return "${PIPESTATUS[0]}"
    fi
    local start=$SECONDS next=30 rc=0 pid last
    "$@" >"$log" 2>&1 </dev/null &
    pid=$!
    # If we are stopped, stop the installer too (no stamp is written).
    trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; exit 130' INT TERM
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if (( SECONDS - start >= next )) && kill -0 "$pid" 2>/dev/null; then
            next=$((next + 30))
            # pip's and apt's steps; Rasa's components and epochs (tqdm writes them with \r)
            last="$(tail -c 65536 "$log" | tr '\r' '\n' \
                    | grep -E '^(Collecting|Downloading|Installing|Building|Processing|Get:|Unpacking|Setting up|Epochs:)|Starting to train component' \
                    | tail -n 1 | sed -E 's/^.* - Starting to train component/training component/; s/\|[^|]*\|/|/' \
                    | cut -c1-100 || true)"
            printf '    ... still working (%ds) %s\n' "$((SECONDS - start))" "$last"
        fi
    done
    wait "$pid" || rc=$?
    trap - INT TERM
    if (( rc != 0 )); then
        printf '\n---- last lines of %s ----\n' "$log" >&2
        tail -n 40 "$log" >&2
        printf -- '---- end of %s ----\n' "$log" >&2
    fi
    return "$rc"
}

# ensure_venv LABEL DIR X.Y KEY WHAT ESTIMATE PIP-ARGS...
ensure_venv() {
    local label="$1" dir="$2" want="$3" key="$4" what="$5" estimate="$6"
    shift 6
    local stamp="$dir/$STAMP_PREFIX$key"

    if [[ -f "$stamp" ]] && venv_ok "$dir" "$want"; then
        say "$label: up to date ($dir, stamp $key)"
        return 0
    fi

    mkdir -p "$(dirname "$dir")"
    local lockfd
    exec {lockfd}>"$dir.lock"
    if ! flock -n "$lockfd"; then
        say "$label: another setup is installing into $dir; waiting for it"
        flock "$lockfd"
    fi
    if [[ -f "$stamp" ]] && venv_ok "$dir" "$want"; then
        say "$label: up to date ($dir, installed meanwhile)"
        return 0
    fi

    local why="first time takes ~$estimate"
    if ! venv_ok "$dir" "$want"; then
        if [[ -e "$dir" ]]; then
            say "$label: $dir is not a working Python $want venv; rebuilding it"
            rm -rf "$dir"
        fi
        local py
        py="$("$ROOT/scripts/find_python310.sh" "$want")" || exit 1
        say "$label: creating $dir with $py"
        "$py" -m venv "$dir"
    elif compgen -G "$dir/$STAMP_PREFIX*" >/dev/null; then
        why="its inputs changed; usually well under a minute"
    fi

    rm -f "$dir/$STAMP_PREFIX"*
    say "$label: installing $what into $dir ($why; log: $dir/install.log)"
    local start=$SECONDS
    if ! run_logged "$dir/install.log" "$dir/bin/python" -m pip install \
            --disable-pip-version-check --progress-bar off "$@"; then
        die "$label: pip install failed (full log: $dir/install.log)"
    fi
    date -u +"%Y-%m-%dT%H:%M:%SZ" >"$stamp"
    say "$label: done in $((SECONDS - start)) s"
}

setup_venv() {
    [[ -f pyproject.toml ]] || die "pyproject.toml not found in $ROOT"
    ensure_venv ".venv" "$VENV" 3.11 "$(hash_of pyproject.toml)" \
        "the project and its test extras (pip install -e '.[test]')" "3-5 min" \
        -e ".[test]"
}

setup_rasa() {
    [[ -f "$RASA_REQS" ]] || die "$RASA_REQS not found"
    ensure_venv ".venv-rasa" "$VENV_RASA" 3.10 "$(hash_of "$RASA_REQS")" \
        "Rasa ($(grep -v '^#' "$RASA_REQS" | xargs))" "2-4 min" \
        -r "$RASA_REQS"
}

setup_browser() {
    # libzbar0: the QR decoder the tests read invoices' payment codes with (pyzbar)
    if [[ -x "$CHROMIUM" ]] && ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
        say "browser: $CHROMIUM and libzbar present"
        return 0
    fi
    local cmd="apt-get update && apt-get install -y chromium libzbar0"
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        say "browser: $CHROMIUM is missing; the browser (e2e) tests will be skipped."
        say "browser: to run them, install Debian's chromium:  sudo sh -c '$cmd'"
        return 0
    fi
    say "browser: installing Debian's chromium and libzbar0 for the e2e tests ($cmd; ~1-2 min; log: var/log/setup-chromium.log)"
    local start=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    # Wait (up to 10 min) rather than fail if another apt run holds the lock.
    if ! run_logged var/log/setup-chromium.log bash -c \
            'apt-get -o DPkg::Lock::Timeout=600 update -q &&
             apt-get -o DPkg::Lock::Timeout=600 install -y -q chromium libzbar0'; then
        die "browser: installing chromium failed (log: var/log/setup-chromium.log); run: $cmd"
    fi
    [[ -x "$CHROMIUM" ]] || die "browser: chromium installed but $CHROMIUM is missing"
    say "browser: done in $((SECONDS - start)) s ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
}

case "${1:-}" in
    logged) shift; run_logged "$@" ;;
    venv) setup_venv ;;
    rasa) setup_rasa ;;
    browser) setup_browser ;;
    *) echo "usage: $0 venv|rasa|browser|logged LOG CMD..." >&2; exit 2 ;;
esac
