#!/usr/bin/env bash
# Runs every test: each package's (Packages/*, Apps/*) and the system tests (Tests/).
#
# Without arguments it uses the root manifest (Package.swift at the repository root), which declares every test
# target by path: one `swift build --build-tests` compiles SwiftNIO, AsyncHTTPClient, BoringSSL and GRDB once for
# all of them and links both binaries, then each test target runs in its own process (`swift test --skip-build
# --filter`), the system tests against the binaries of that same build.
#
# With arguments it runs the named packages through their own manifests, as a package's developer does:
#   Tools/test-all.sh Packages/MiniYAML Apps/Server
#
# Does not stop at a failure: runs all, prints a line per test target (or package), then the total as
# "N passed, N failed", and exits 1 if anything failed (a build that fails counts as a failure).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs="$top/Tests/output/logs"
mkdir -p "$logs"

total_passed=0
total_failed=0
failed_units=()
start_all=$SECONDS

# Adds one log's results to the totals and prints its line: `record NAME LOG EXIT_STATUS SECONDS`.
record() {
    local name=$1 log=$2 rc=$3 seconds=$4
    # Swift Testing: per-test result lines; XCTest: "Executed N tests, with M failures".
    local st_total st_failed xc_line xc_total xc_failed tests failed passed note=""
    st_total=$(grep -E '^. Test run with [0-9]+ tests?' "$log" | tail -1 | sed -E 's/.*run with ([0-9]+) tests?.*/\1/')
    st_failed=$(grep -E '^. Test .* failed after' "$log" | grep -vc 'Test run with')
    xc_line=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -1)
    xc_total=$(echo "$xc_line" | sed -nE 's/.*Executed ([0-9]+) tests?.*/\1/p')
    xc_failed=$(echo "$xc_line" | sed -nE 's/.*with ([0-9]+) failures?.*/\1/p')
    tests=$(( ${st_total:-0} + ${xc_total:-0} ))
    failed=$(( ${st_failed:-0} + ${xc_failed:-0} ))
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        # Build failure or crash: no test reported failing, but the target did not pass.
        failed=1
        note=" (swift test exited $rc without a failing test: build error or crash, see $log)"
    elif [ "$rc" -eq 0 ] && [ "$tests" -eq 0 ]; then
        # A target whose filter matched nothing ran no test: that is a broken runner, not a pass.
        failed=1
        note=" (no test ran, see $log)"
    fi
    passed=$(( tests - failed )); [ $passed -lt 0 ] && passed=0
    total_passed=$(( total_passed + passed ))
    total_failed=$(( total_failed + failed ))
    [ "$failed" -gt 0 ] && failed_units+=("$name")
    printf '%-28s %4d passed, %3d failed  %4ds%s\n' "$name" "$passed" "$failed" "$seconds" "$note"
    if [ "$failed" -gt 0 ]; then
        grep -E '^. (Test|Suite) .*(failed|recorded an issue)|error:|Fatal error' "$log" | head -40 | sed 's/^/    /'
    fi
}

finish() {
    echo "all tests: $(( SECONDS - start_all ))s; logs in $logs"
    [ ${#failed_units[@]} -gt 0 ] && echo "failing: ${failed_units[*]}"
    echo "$total_passed passed, $total_failed failed"
    [ "$total_failed" -eq 0 ]
    exit $?
}

if [ $# -gt 0 ]; then
    for p in "$@"; do
        log="$logs/$(echo "$p" | tr / _).log"
        start=$SECONDS
        swift test --package-path "$p" ${SWIFT_TEST_FLAGS:-} >"$log" 2>&1
        record "$p" "$log" $? $(( SECONDS - start ))
    done
    finish
fi

# The root manifest's test targets, in the order they run: packages, apps, then the system tests.
targets=(CZlibTests DigestTests MiniYAMLTests ProstagmaProtocolTests PrometheusMetricsTests ZipReaderTests ArtifactCacheTests
    S3FetchTests HTTPCoreTests PostgresFixtureTests ServerCoreTests AgentCoreTests SystemTests)
declared=$(tr '\n' ' ' <Package.swift | grep -oE 'testTarget\( *name: "[A-Za-z0-9]+"' | sed -E 's/.*"(.*)"/\1/' | sort)
if [ "$declared" != "$(printf '%s\n' "${targets[@]}" | sort)" ]; then
    echo "Tools/test-all.sh: its target list differs from Package.swift's test targets:" >&2
    diff <(printf '%s\n' "${targets[@]}" | sort) <(echo "$declared") >&2
    total_failed=$(( total_failed + 1 ))
    failed_units+=("target-list")
fi

build_log="$logs/build.log"
start=$SECONDS
if ! swift build --build-tests ${SWIFT_BUILD_FLAGS:-} >"$build_log" 2>&1; then
    printf '%-28s build failed after %ds, see %s\n' "root manifest" $(( SECONDS - start )) "$build_log"
    grep -E 'error:' "$build_log" | head -40 | sed 's/^/    /'
    total_failed=$(( total_failed + 1 ))
    failed_units+=("build")
    finish
fi
printf '%-28s built in %ds\n' "root manifest" $(( SECONDS - start ))

# The system tests run the binaries this build linked (the test targets depend on both executables).
bin_dir=$(swift build --show-bin-path ${SWIFT_BUILD_FLAGS:-})
export PROSTAGMA_BIN_DIR="${PROSTAGMA_BIN_DIR:-$bin_dir}"

for target in "${targets[@]}"; do
    log="$logs/$target.log"
    start=$SECONDS
    swift test --skip-build --filter "^$target\\." ${SWIFT_BUILD_FLAGS:-} ${SWIFT_TEST_FLAGS:-} >"$log" 2>&1
    record "$target" "$log" $? $(( SECONDS - start ))
done
finish
