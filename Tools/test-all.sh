#!/usr/bin/env bash
# Runs every package's tests (Packages/*, Apps/*) and the system tests (Tests/), one after the other.
# Does not stop at a failure: runs all, prints a line per package, then the total as
# "N passed, N failed", and exits 1 if anything failed (a package that does not build counts as a failure).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs="$top/Tests/output/logs"
mkdir -p "$logs"

packages=()
for p in Packages/*/ Apps/*/; do [ -f "$p/Package.swift" ] && packages+=("${p%/}"); done
[ -f Tests/Package.swift ] && packages+=("Tests")
# A subset can be chosen: Tools/test-all.sh Packages/MiniYAML Apps/Server
[ $# -gt 0 ] && packages=("$@")

total_passed=0
total_failed=0
failed_packages=()
start_all=$SECONDS
for p in "${packages[@]}"; do
    log="$logs/$(echo "$p" | tr / _).log"
    start=$SECONDS
    if [ "$p" = "Tests" ] && [ -z "${PROSTAGMA_BIN_DIR:-}" ]; then
        # The system tests run the release binaries. Build them (incrementally) first, so a stale dist/ is never
        # tested and the scenarios' time limits measure the scenarios, not a release build they wait for.
        if ! make -s server agent >"$logs/release-binaries.log" 2>&1; then
            total_failed=$(( total_failed + 1 ))
            failed_packages+=("$p")
            printf '%-28s %4d passed, %3d failed  %4ds (release build failed, see %s)\n' "$p" 0 1 \
                $(( SECONDS - start )) "$logs/release-binaries.log"
            continue
        fi
    fi
    swift test --package-path "$p" ${SWIFT_TEST_FLAGS:-} >"$log" 2>&1
    rc=$?
    # Swift Testing: per-test result lines; XCTest: "Executed N tests, with M failures".
    st_total=$(grep -E '^. Test run with [0-9]+ tests?' "$log" | tail -1 | sed -E 's/.*run with ([0-9]+) tests?.*/\1/')
    st_failed=$(grep -E '^. Test .* failed after' "$log" | grep -vc 'Test run with')
    xc_line=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -1)
    xc_total=$(echo "$xc_line" | sed -nE 's/.*Executed ([0-9]+) tests?.*/\1/p')
    xc_failed=$(echo "$xc_line" | sed -nE 's/.*with ([0-9]+) failures?.*/\1/p')
    tests=$(( ${st_total:-0} + ${xc_total:-0} ))
    failed=$(( ${st_failed:-0} + ${xc_failed:-0} ))
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        # Build failure or crash: no test reported failing, but the package did not pass.
        failed=1
        note=" (swift test exited $rc without a failing test: build error or crash, see $log)"
    else
        note=""
    fi
    passed=$(( tests - failed )); [ $passed -lt 0 ] && passed=0
    total_passed=$(( total_passed + passed ))
    total_failed=$(( total_failed + failed ))
    [ "$failed" -gt 0 ] && failed_packages+=("$p")
    printf '%-28s %4d passed, %3d failed  %4ds%s\n' "$p" "$passed" "$failed" $(( SECONDS - start )) "$note"
    if [ "$failed" -gt 0 ]; then
        grep -E '^. (Test|Suite) .*(failed|recorded an issue)|error:|Fatal error' "$log" | head -40 | sed 's/^/    /'
    fi
done

echo "all packages: $(( SECONDS - start_all ))s; logs in $logs"
[ ${#failed_packages[@]} -gt 0 ] && echo "failing: ${failed_packages[*]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
