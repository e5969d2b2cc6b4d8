#!/usr/bin/env bash
# Print the path of a Python interpreter of one minor version, or explain
# exactly what to install and exit 1.
#
#   scripts/find_python310.sh          # a Python 3.10 (for .venv-rasa)
#   scripts/find_python310.sh 3.11     # the same search for another version
#
# Looks, in order, at: $PYTHON<MAJOR><MINOR> (e.g. PYTHON310=/path/python),
# `pythonX.Y` on PATH, then pyenv's installs ($PYENV_ROOT or ~/.pyenv,
# versions/X.Y.*/bin/python, newest patch first). Every candidate is run and
# must report exactly that version: pyenv's shims sit on PATH for versions
# that are not active and fail when run, so presence on PATH proves nothing.
set -euo pipefail

want="${1:-3.10}"
if [[ ! "$want" =~ ^3\.[0-9]+$ ]]; then
    echo "usage: $0 [3.N]" >&2
    exit 2
fi

is_version() {  # is_version PATH -> true when PATH runs and is Python $want
    local py="$1" got
    [[ -n "$py" && -x "$py" ]] || return 1
    got="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || return 1
    [[ "$got" == "$want" ]] || return 1
    # A venv module is needed to build our environments.
    "$py" -c 'import venv, ensurepip' >/dev/null 2>&1
}

override_var="PYTHON${want//./}"
candidates=()
if [[ -n "${!override_var:-}" ]]; then
    candidates+=("${!override_var}")
fi
if on_path="$(command -v "python$want" 2>/dev/null)"; then
    candidates+=("$on_path")
fi
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
if [[ -d "$pyenv_root/versions" ]]; then
    while IFS= read -r dir; do
        candidates+=("$dir/bin/python")
    done < <(find "$pyenv_root/versions" -mindepth 1 -maxdepth 1 -name "$want.*" 2>/dev/null \
             | grep -E "/$want\.[0-9]+$" | sort -V -r)
fi

for py in "${candidates[@]}"; do
    if is_version "$py"; then
        # Resolve shims and symlinks to the interpreter itself.
        "$py" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done

{
    echo "error: no working Python $want interpreter found."
    if [[ ${#candidates[@]} -gt 0 ]]; then
        echo "  (tried: ${candidates[*]})"
    fi
    if [[ "$want" == "3.10" ]]; then
        echo "  .venv-rasa needs Python 3.10: Rasa 3.6 supports Python 3.8-3.10 only."
    fi
    case "$want" in
        3.10) pyenv_ver=3.10.13 ;;
        3.11) pyenv_ver=3.11.7 ;;
        *) pyenv_ver="$want" ;;
    esac
    echo "  Install one, then run make again:"
    if command -v pyenv >/dev/null 2>&1 || [[ -d "$pyenv_root" ]]; then
        echo "    pyenv install ${pyenv_ver}        # pyenv is present at $pyenv_root"
    else
        echo "    with pyenv (https://github.com/pyenv/pyenv#installation): pyenv install ${pyenv_ver}"
    fi
    echo "    or, where your distribution packages it (Ubuntu 22.04 for 3.10; Debian 12 does not):"
    echo "    sudo apt-get install python${want} python${want}-venv"
    echo "  Or point at one: ${override_var}=/path/to/python${want} make ..."
} >&2
exit 1
