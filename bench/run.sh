#!/usr/bin/env bash
# End-to-end benchmark of the RingCentral OAuth service (see docs/benchmarks.md).
# Builds the local host, the benchmark and an empty ASP.NET Core app (start-up baseline) in Release into bench/.artifacts (a private artifacts path, so it never
# clashes with other builds in the tree), then runs the benchmark: fakes in-process with 20 ms per upstream call,
# the host as a separate `dotnet <dll>` process on 127.0.0.1, a bounded load generator. Takes about 1.5 minutes.
# Extra arguments go to the benchmark, e.g. `bash bench/run.sh --host-env Logging__LogLevel__Default=Warning`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
art="$here/.artifacts"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Which product code was measured: the commit, and whether the service's sources had uncommitted changes.
source="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$repo" status --porcelain -- RingCentralOAuthFunctions.Core RingCentralOAuthFunctions.LocalHost 2>/dev/null)" ]; then
  source="$source + uncommitted changes in Core/LocalHost"
fi
echo "building (Release, artifacts in $art)..." >&2
# One build: the benchmark project also builds the local host and the empty start-up baseline (not referenced).
dotnet build "$here/RingCentralOAuthFunctions.Bench/RingCentralOAuthFunctions.Bench.csproj" -c Release --artifacts-path "$art" -v quiet -nologo -clp:ErrorsOnly >&2

host_dll="$art/bin/RingCentralOAuthFunctions.LocalHost/release/RingCentralOAuthFunctions.LocalHost.dll"
baseline_dll="$art/bin/RingCentralOAuthFunctions.Bench.EmptyHost/release/RingCentralOAuthFunctions.Bench.EmptyHost.dll"
bench_dll="$art/bin/RingCentralOAuthFunctions.Bench/release/RingCentralOAuthFunctions.Bench.dll"
mkdir -p "$art/run"
# The benchmark stops by itself; the timeout is only a guard.
exec timeout --kill-after=10 240 dotnet "$bench_dll" --host-dll "$host_dll" --baseline-dll "$baseline_dll" --work-dir "$art/run" --report "$art/run/report.md" --source "$source" "$@"
