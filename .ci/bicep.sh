#!/usr/bin/env bash
# Compile and lint the Azure infrastructure (infra/) with a pinned Bicep CLI.
#
# The Bicep CLI comes from the NuGet package Azure.Bicep.CommandLine.linux-x64, restored through a
# throwaway project with `dotnet restore` (so it only needs the NuGet source dotnet is configured with).
# Set BICEP_BIN=/path/to/bicep to skip the download and use an existing binary of the same version.
#
# Fails (non-zero) on any error and on any warning, use-recent-api-versions included: that rule depends on today's
# date, so an API version that ages past the linter's window fails CI until it is moved to one the pinned CLI accepts
# (the warning names them).
set -euo pipefail

readonly BICEP_VERSION="0.49.2"
readonly BICEP_PACKAGE="Azure.Bicep.CommandLine.linux-x64"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/bicep-ci.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

log() { printf '[bicep.sh] %s\n' "$*" >&2; }

install_bicep() {
  command -v dotnet >/dev/null 2>&1 || { log "dotnet SDK not found (needed to restore $BICEP_PACKAGE)"; return 1; }

  local sdk_major
  sdk_major="$(dotnet --version | cut -d. -f1)"
  local project_dir="$work_dir/restore"
  mkdir -p "$project_dir"
  # Outside the repository, and opted out of Directory.*.props / central package management.
  cat >"$project_dir/BicepCli.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net${sdk_major}.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <ImportDirectoryBuildProps>false</ImportDirectoryBuildProps>
    <ImportDirectoryBuildTargets>false</ImportDirectoryBuildTargets>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$BICEP_PACKAGE" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
XML

  log "restoring $BICEP_PACKAGE $BICEP_VERSION with dotnet restore"
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    dotnet restore "$project_dir/BicepCli.csproj" --packages "$work_dir/packages" --verbosity quiet >&2

  local package_dir="$work_dir/packages/${BICEP_PACKAGE,,}/$BICEP_VERSION"
  local bin
  bin="$(find "$package_dir" -type f -name bicep -path '*/tools/*' -print -quit 2>/dev/null || true)"
  [[ -n "$bin" ]] || { log "no 'bicep' binary found under $package_dir"; return 1; }
  chmod +x "$bin"
  printf '%s\n' "$bin"
}

bicep_bin="${BICEP_BIN:-}"
if [[ -z "$bicep_bin" ]]; then
  bicep_bin="$(install_bicep)"
fi
actual_version="$("$bicep_bin" --version)"
[[ "$actual_version" == *"$BICEP_VERSION"* ]] || { log "expected Bicep $BICEP_VERSION, got: $actual_version"; exit 1; }
log "$actual_version ($bicep_bin)"

diagnostics="$work_dir/diagnostics.txt"
: >"$diagnostics"
failed_steps=()

# Runs one bicep command; keeps its diagnostics (stderr) and records a failure instead of stopping,
# so that one run reports every problem.
run_step() {
  local label="$1"; shift
  local out="$work_dir/step.txt"
  if "$bicep_bin" "$@" 2>"$out"; then
    log "$label: ok"
  else
    log "$label: FAILED"
    failed_steps+=("$label")
  fi
  cat "$out" >&2
  cat "$out" >>"$diagnostics"
}

run_step "build infra/main.bicep" build infra/main.bicep --stdout >/dev/null
run_step "build-params infra/main.bicepparam" build-params infra/main.bicepparam --outfile "$work_dir/main.parameters.json"
run_step "lint infra/main.bicep" lint infra/main.bicep
run_step "lint infra/main.bicepparam" lint infra/main.bicepparam

# Diagnostics look like: <file>(<line>,<col>) : <Error|Warning|Info> <code>: <message>
# Several steps compile the same files, so count each distinct diagnostic once.
unique_diagnostics="$work_dir/diagnostics.unique.txt"
sort -u "$diagnostics" >"$unique_diagnostics"
error_count="$(grep -c ' : Error ' "$unique_diagnostics" || true)"
warning_count="$(grep -c ' : Warning ' "$unique_diagnostics" || true)"

status="OK"
if (( ${#failed_steps[@]} > 0 || error_count > 0 || warning_count > 0 )); then
  status="FAILED"
  (( warning_count == 0 )) || log "warnings are not allowed: $warning_count"
fi

echo "bicep.sh: $status - Bicep $BICEP_VERSION; build, build-params, lint: ${error_count} error(s), ${warning_count} warning(s); failed steps: ${#failed_steps[@]}"
[[ "$status" == "OK" ]]
