#!/usr/bin/env bash
# Installs what building and testing Prostagma need on a fresh Debian machine.
# Idempotent: skips what is already there, and prints nothing when nothing is missing.
set -euo pipefail

apt_packages=(
    zlib1g-dev      # CZlib
    libsqlite3-dev  # GRDB (the server's store)
    zip unzip       # ZipReader conformance: Info-ZIP is the reference
    p7zip-full      # ZipReader conformance: archives written by 7z
    prometheus      # promtool, to check the metrics exposition format
    wrk             # HTTP benchmarks
    chromium        # status page system test (headless)
    nginx-light     # benchmark reference: nginx serving a file; load balancer in the replica system tests
    postgresql      # PostgreSQL 15: the shared store's tests make throwaway clusters (initdb/pg_ctl)
    python3         # HTTP origins and moto in tests
    curl            # system tests speak the original protocol with curl
    procps          # ps/pgrep in system tests
    # The original Go tool, built offline from ../shared/reference (build-original.sh) for the
    # interoperability tests and the benchmarks that compare with it.
    golang-go golang-github-gorilla-mux-dev golang-github-prometheus-client-golang-dev
    golang-go.uber-zap-dev golang-gopkg-yaml.v3-dev
)

missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing Debian packages: ${missing[*]} (run 'make deps' as root)" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python tools: moto's S3 server and the aws CLI (the real one, run by S3Fetch).
need_pip=()
python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null || need_pip+=("moto[server]")
command -v aws >/dev/null 2>&1 || need_pip+=("awscli")
# The reference the metrics benchmark renders against (make bench-metrics).
python3 -c 'import prometheus_client' 2>/dev/null || need_pip+=("prometheus-client")
# schemathesis checks the server against its own /openapi.yaml in the system tests. Pinned: a newer release may
# add checks, which should be taken on deliberately, not by a CI run on a fresh machine.
schemathesis_version=4.32.5
[ "$(schemathesis --version 2>/dev/null)" = "schemathesis, version $schemathesis_version" ] \
    || need_pip+=("schemathesis==$schemathesis_version")
if [ ${#need_pip[@]} -gt 0 ]; then
    echo "deps: pip installing ${need_pip[*]}"
    python3 -m pip install -q --disable-pip-version-check "${need_pip[@]}"
fi
exit 0
