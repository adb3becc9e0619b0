#!/usr/bin/env bash
# Installs pimctl for the GitHub Action (action.yml).
#
#   install.sh resolve   the release binary for the ref when the ref is a release tag that has one: downloaded,
#                        its SHA-256 checked against the release's SHA256SUMS (a mismatch stops the job; it is
#                        never "fixed" by building instead), unpacked and put on PATH. Otherwise the exact commit
#                        to build (a commit as written, or the tag or branch resolved with git ls-remote), and
#                        where: outputs mode (path, release, source), commit, root, cache-key.
#   install.sh source    cargo install --git ... --rev COMMIT --locked into the root (skipped when the cache
#                        restored it), then onto PATH.
#
# Variables: PIMCTL_REPOSITORY (owner/name of pimctl), PIMCTL_REF, INPUT_INSTALL (auto, release, source, path),
# PIMCTL_COMMIT and PIMCTL_ROOT (source); and GitHub's GITHUB_SERVER_URL, GITHUB_OUTPUT, GITHUB_PATH,
# RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP.
set -euo pipefail

step="${1:?usage: install.sh resolve|source}"
server="${GITHUB_SERVER_URL:-https://github.com}"
server="${server%/}"
mode="${INPUT_INSTALL:-auto}"

output() { printf '%s=%s\n' "$1" "$2" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"; }
on_path() { printf '%s\n' "$1" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"; }
die() {
  echo "::error::$*"
  exit 1
}

# The release target for this runner, as the release workflow names its archives.
target() {
  case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
  esac
}

sha256() {
  if command -v sha256sum > /dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# Downloads URL to FILE; 0 when it was there, 1 when it was not (404), and stops on any other failure.
fetch() {
  local status
  status="$(curl -sSL --proto '=https,http' --retry 3 --connect-timeout 10 --max-time 300 \
    -o "$2" -w '%{http_code}' "$1")" || die "cannot download $1"
  case "$status" in
    200) return 0 ;;
    404) return 1 ;;
    *) die "downloading $1: HTTP $status" ;;
  esac
}

# Installs the release binary for $ref; 1 when the release has none for this runner.
install_release() {
  local ref="$1" t asset dir expected actual
  t="$(target)"
  [ -n "$t" ] || return 1
  asset="pimctl-${ref}-${t}.tar.gz"
  dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/pimctl-release-${ref}"
  rm -rf "$dir"
  mkdir -p "$dir/bin"
  local base="$server/$PIMCTL_REPOSITORY/releases/download/$ref"
  fetch "$base/SHA256SUMS" "$dir/SHA256SUMS" || return 1
  fetch "$base/$asset" "$dir/$asset" || return 1
  expected="$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$dir/SHA256SUMS")"
  [ -n "$expected" ] || die "$asset is not listed in the release's SHA256SUMS"
  actual="$(sha256 "$dir/$asset")"
  [ "$expected" = "$actual" ] || die "$asset: SHA-256 $actual, but SHA256SUMS says $expected; not installing it"
  tar -xzf "$dir/$asset" -C "$dir/bin"
  local exe="$dir/bin/pimctl"
  if [ "${RUNNER_OS:-}" = Windows ]; then exe="$exe.exe"; fi
  [ -f "$exe" ] || die "$asset holds no pimctl binary"
  chmod +x "$exe"
  on_path "$dir/bin"
  echo "pimctl $ref ($t) from the release, SHA-256 $actual"
  return 0
}

# The commit a ref names: itself when it is a full commit id, else the tag (peeled) or branch on the server.
resolve_commit() {
  local ref="$1" found
  if [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
    echo "$ref"
    return 0
  fi
  found="$(git ls-remote "$server/$PIMCTL_REPOSITORY" "refs/tags/$ref^{}" "refs/tags/$ref" "refs/heads/$ref" |
    awk '{ print $1 }' | head -n 1)" || true
  [ -n "$found" ] || die "cannot find $ref in $server/$PIMCTL_REPOSITORY"
  echo "$found"
}

# The release tag (v...) that names this commit, if any: a workflow that pins the action by commit still gets
# the release binary. One git ls-remote; nothing when git cannot ask.
tag_of_commit() {
  git ls-remote --tags "$server/$PIMCTL_REPOSITORY" 'v*' 2> /dev/null |
    awk -v c="$1" '$1 == c { sub("refs/tags/", "", $2); sub("\\^\\{\\}$", "", $2); print $2 }' | head -n 1 || true
}

case "$step" in
  resolve)
    if [ "$mode" = path ]; then
      command -v pimctl > /dev/null || die "install: path, but pimctl is not on PATH"
      output mode path
      exit 0
    fi
    ref="${PIMCTL_REF:?PIMCTL_REF is not set: the action ref, or the version input}"
    : "${PIMCTL_REPOSITORY:?PIMCTL_REPOSITORY is not set}"
    if [ "$mode" != source ] && [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
      tag="$(tag_of_commit "$ref")"
      if [ -n "$tag" ]; then
        echo "$ref is release $tag"
        ref="$tag"
      fi
    fi
    if [ "$mode" != source ] && [[ "$ref" =~ ^v[0-9] ]]; then
      if install_release "$ref"; then
        output mode release
        exit 0
      fi
      [ "$mode" = release ] && die "no release binary of $ref for ${RUNNER_OS:-}/${RUNNER_ARCH:-}"
      echo "no release binary of $ref for this runner: building it"
    elif [ "$mode" = release ]; then
      die "install: release needs a release tag (v...), not $ref"
    fi
    commit="$(resolve_commit "$ref")"
    root="$HOME/.pimctl/$commit"
    output mode source
    output commit "$commit"
    output root "$root"
    output cache-key "pimctl-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-$commit"
    ;;
  source)
    : "${PIMCTL_COMMIT:?}" "${PIMCTL_ROOT:?}" "${PIMCTL_REPOSITORY:?}"
    if [ -x "$PIMCTL_ROOT/bin/pimctl" ] || [ -x "$PIMCTL_ROOT/bin/pimctl.exe" ]; then
      echo "pimctl $PIMCTL_COMMIT from the cache"
    else
      cargo install --git "$server/$PIMCTL_REPOSITORY" --rev "$PIMCTL_COMMIT" --locked --root "$PIMCTL_ROOT" pimctl
    fi
    on_path "$PIMCTL_ROOT/bin"
    ;;
  *)
    echo "usage: install.sh resolve|source" >&2
    exit 2
    ;;
esac
