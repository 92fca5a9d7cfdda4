#!/usr/bin/env bash
# End-to-end benchmark of the RingCentral OAuth service (see docs/benchmarks.md).
# Builds the local host, the benchmark and an empty ASP.NET Core app (start-up baseline) in Release into bench/.artifacts (a private artifacts path, so it never
# clashes with other builds in the tree), then runs the benchmark: fakes in-process with 20 ms per upstream call,
# the host as a separate `dotnet <dll>` process on 127.0.0.1, a bounded load generator. Takes about 2 minutes.
# Then the Functions path: the Functions app published (Release, as deployed: linux-x64 ReadyToRun) into the same artifacts path, run as a worker under
# the Functions test host against the same fakes, its starts interleaved with an empty Functions app's (about 1 more
# minute); both results go into one report.
# BENCH_PLAIN=1 also measures both Functions apps published without ReadyToRun (start-up only).
# Extra arguments go to the local-host benchmark, e.g. `bash bench/run.sh --host-env Logging__LogLevel__Default=Warning`.
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
echo "publishing the Functions app (Release, as deployed: linux-x64, ReadyToRun)..." >&2
# `dotnet publish` of the Functions project is RID-specific and ReadyToRun (its .csproj), as `azd deploy` ships it.
dotnet publish "$repo/RingCentralOAuthFunctions/RingCentralOAuthFunctions.csproj" -c Release --artifacts-path "$art" -v quiet -nologo -clp:ErrorsOnly >&2
functions_dir="$art/publish/RingCentralOAuthFunctions/release_linux-x64"
# The start-up baseline of the Functions path: an empty Functions app (one HTTP function), published the same way.
dotnet publish "$here/RingCentralOAuthFunctions.Bench.EmptyFunctions/RingCentralOAuthFunctions.Bench.EmptyFunctions.csproj" -c Release \
  -r linux-x64 --self-contained false -p:PublishReadyToRun=true --artifacts-path "$art" -v quiet -nologo -clp:ErrorsOnly >&2
empty_functions_dir="$art/publish/RingCentralOAuthFunctions.Bench.EmptyFunctions/release_linux-x64"

# The benchmark stops by itself; the timeouts are only guards.
timeout --kill-after=10 240 dotnet "$bench_dll" --host-dll "$host_dll" --baseline-dll "$baseline_dll" --work-dir "$art/run" --report "$art/run/report.md" --source "$source" "$@"
timeout --kill-after=10 240 dotnet "$bench_dll" --functions-app "$functions_dir" --baseline-app "$empty_functions_dir" --report "$art/run/report.md" --label "Functions app"
if [ "${BENCH_PLAIN:-0}" = 1 ]; then
  # A/B: the same app and the empty app without ReadyToRun (JIT only), started alternately.
  echo "publishing both Functions apps without ReadyToRun..." >&2
  dotnet publish "$repo/RingCentralOAuthFunctions/RingCentralOAuthFunctions.csproj" -c Release -p:PublishReadyToRun=false \
    --artifacts-path "$art/plain" -v quiet -nologo -clp:ErrorsOnly >&2
  dotnet publish "$here/RingCentralOAuthFunctions.Bench.EmptyFunctions/RingCentralOAuthFunctions.Bench.EmptyFunctions.csproj" -c Release \
    --artifacts-path "$art/plain" -v quiet -nologo -clp:ErrorsOnly >&2
  timeout --kill-after=10 240 dotnet "$bench_dll" --functions-app "$art/plain/publish/RingCentralOAuthFunctions/release_linux-x64" \
    --baseline-app "$art/plain/publish/RingCentralOAuthFunctions.Bench.EmptyFunctions/release" --startup-only \
    --report "$art/run/report.md" --label "Functions app, no ReadyToRun"
fi
