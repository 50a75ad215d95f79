#!/usr/bin/env bash
# Bundles the Worker exactly as `wrangler deploy` would, without deploying (no account needed),
# and reports the bundle's size raw and gzipped. Workers' limits apply to the gzipped size
# (3 MB on Free, 10 MB on Paid; docs/deploy.md).
#   scripts/deploy-dry-run.sh               # prints the figures
#   scripts/deploy-dry-run.sh sizes.txt     # also appends one line to sizes.txt (CI)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wrangler="$root/node_modules/.bin/wrangler"
# The project's own Node (wrangler needs ≥ 22.12; the system's may be older).
export PATH="$root/node_modules/.bin:$PATH"
[ -x "$wrangler" ] || { echo "deploy-dry-run: $wrangler not found: run npm install first" >&2; exit 1; }

outdir="$(mktemp -d "${TMPDIR:-/tmp}/parkbridge-dry-run.XXXXXX")"
trap 'rm -rf "$outdir"' EXIT

if ! (cd "$root" && WRANGLER_SEND_METRICS=false "$wrangler" deploy --dry-run --outdir "$outdir/bundle" >"$outdir/log" 2>&1); then
  cat "$outdir/log" >&2
  echo "deploy-dry-run: wrangler deploy --dry-run failed" >&2
  exit 1
fi

# Every module wrangler would upload (source maps are not uploaded by default).
mapfile -t modules < <(find "$outdir/bundle" -type f ! -name '*.map' ! -name 'README.md' | sort)
[ ${#modules[@]} -gt 0 ] || { echo "deploy-dry-run: no bundle in $outdir/bundle" >&2; exit 1; }

raw=0
gzipped=0
for module in "${modules[@]}"; do
  raw=$((raw + $(wc -c <"$module")))
  gzipped=$((gzipped + $(gzip -9 -c "$module" | wc -c)))
done

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
line="worker bundle ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)): ${#modules[@]} module(s), raw ${raw} bytes ($(kib "$raw")), gzipped ${gzipped} bytes ($(kib "$gzipped"))"

echo "$line"
grep -E "Total Upload" "$outdir/log" | sed 's/^/wrangler: /' || true
if [ -n "${1:-}" ]; then
  echo "$line" >>"$1"
fi
