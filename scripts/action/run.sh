#!/usr/bin/env bash
# The GitHub Action's steps (action.yml), kept here so that they can be shellchecked and run outside GitHub by
# the tests (tests/pipeline_action.rs), with the variables GitHub sets.
#
#   run.sh run       runs the pimctl command; writes the step outputs (exit-code, has-changes, weakens-posture,
#                    plan-file, markdown-file, sarif-file, log-file, artifact-dir) and the job summary.
#                    Exits 0 whatever pimctl's exit code: the action's last step reports it.
#   run.sh comment   plan: the pull request's comment, edited in place; drift: the drift issue.
#
# Inputs come as INPUT_* variables (set by action.yml from its inputs). Tokens are only passed on in the
# environment, never on a command line and never printed.
set -euo pipefail

phase="${1:?usage: run.sh run|comment}"
: "${GITHUB_OUTPUT:?run.sh runs as a GitHub Actions step (GITHUB_OUTPUT is not set)}"

command="${INPUT_COMMAND:-plan}"
policies="${INPUT_POLICIES:-policies}"
out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/pimctl-${command}"

output() { printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"; }
summary() { if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat >> "$GITHUB_STEP_SUMMARY"; else cat > /dev/null; fi; }
truthy() { case "$1" in [Tt]rue | TRUE | [Yy]es | 1 | [Oo]n) return 0 ;; *) return 1 ;; esac; }

# jq reads the saved plan; GitHub's hosted runners have it.
plan_has() {
  jq -e "$1" "$2" > /dev/null 2>&1
}

run_command() {
  case "$command" in
    plan | drift | apply | lint) ;;
    *)
      echo "::error::command must be plan, drift, apply or lint, not '$command'"
      output exit-code 1
      return 0
      ;;
  esac
  if ! command -v pimctl > /dev/null; then
    echo "::error::pimctl is not on PATH"
    output exit-code 1
    return 0
  fi
  rm -rf "$out_dir"
  mkdir -p "$out_dir"
  output artifact-dir "$out_dir"

  local args=()
  local common=()
  if [ "$command" != lint ]; then
    [ -n "${INPUT_AUTH:-}" ] && common+=(--auth "$INPUT_AUTH")
    [ -n "${INPUT_TENANT_ID:-}" ] && common+=(--tenant "$INPUT_TENANT_ID")
    [ -n "${INPUT_GRAPH_URL:-}" ] && common+=(--graph-url "$INPUT_GRAPH_URL")
  fi
  if [ -n "${INPUT_CLIENT_ID:-}" ]; then
    export AZURE_CLIENT_ID="$INPUT_CLIENT_ID"
  fi
  local extra=()
  if [ -n "${INPUT_ARGS:-}" ]; then
    read -r -a extra <<< "$INPUT_ARGS"
  fi

  local plan_file="${INPUT_PLAN_FILE:-$out_dir/plan.json}"
  local markdown="$out_dir/plan.md"
  local stdout_file="$markdown"
  case "$command" in
    plan)
      args=(plan "$policies" --format markdown --out "$plan_file")
      if [ -n "${INPUT_BASE:-}" ] && [ -e "$INPUT_BASE" ]; then
        args+=(--base "$INPUT_BASE")
      fi
      ;;
    drift)
      args=(drift "$policies" --format markdown --out "$plan_file" --fail-on "${INPUT_FAIL_ON:-any}")
      ;;
    apply)
      if [ -z "${INPUT_PLAN_FILE:-}" ]; then
        echo "::error::apply needs plan-file: the plan saved by the plan job (and reviewed)"
        output exit-code 1
        return 0
      fi
      local justification="${INPUT_JUSTIFICATION:-pimctl: ${GITHUB_REPOSITORY:-}@${GITHUB_SHA:-}, run ${GITHUB_RUN_ID:-}}"
      args=(apply "$plan_file" --policies "$policies" --justification "$justification" --log "$out_dir/audit.json")
      if [ -n "${INPUT_TICKET_SYSTEM:-}${INPUT_TICKET_NUMBER:-}" ]; then
        args+=(--ticket-system "${INPUT_TICKET_SYSTEM:-}" --ticket-number "${INPUT_TICKET_NUMBER:-}")
      fi
      stdout_file="$out_dir/apply.txt"
      ;;
    lint)
      args=(lint "$policies" --format sarif)
      stdout_file="$out_dir/lint.sarif"
      ;;
  esac

  local code=0
  # (${a[@]+"${a[@]}"}: an empty array under set -u, in the bash 3.2 of macOS too.)
  pimctl "${args[@]}" ${common[@]+"${common[@]}"} ${extra[@]+"${extra[@]}"} > "$stdout_file" || code=$?
  output exit-code "$code"
  echo "pimctl $command exited $code"

  case "$command" in
    plan | drift)
      output markdown-file "$markdown"
      if [ -s "$markdown" ]; then
        summary < "$markdown"
      else
        printf '### pimctl %s\n\n**No plan:** pimctl stopped before planning (exit %s); see the job log.\n' \
          "$command" "$code" | summary
      fi
      if [ -s "$plan_file" ]; then
        output plan-file "$plan_file"
        # Copy a plan saved elsewhere into the artifact, beside its Markdown.
        if [ "$plan_file" != "$out_dir/plan.json" ]; then cp "$plan_file" "$out_dir/plan.json"; fi
        if plan_has '.changes | length > 0' "$plan_file"; then
          output has-changes true
        else
          output has-changes false
        fi
        local weak='.posture.effect == "weakens"'
        if [ "$command" = drift ]; then weak='.drift_posture.effect == "weakens"'; fi
        if plan_has "any(.changes[]; $weak)" "$plan_file"; then
          output weakens-posture true
        else
          output weakens-posture false
        fi
      fi
      ;;
    apply)
      output plan-file "$plan_file"
      cat "$stdout_file"
      {
        printf '### pimctl apply\n\n```text\n'
        cat "$stdout_file"
        printf '```\n'
      } | summary
      if [ -s "$out_dir/audit.json" ]; then output log-file "$out_dir/audit.json"; fi
      ;;
    lint)
      if [ -s "$stdout_file" ]; then
        output sarif-file "$stdout_file"
        local n
        n="$(jq '[.runs[].results[]] | length' "$stdout_file" 2> /dev/null || echo '?')"
        printf '### pimctl lint\n\n%s findings; they are in code scanning (category pimctl-lint).\n' "$n" | summary
      fi
      ;;
  esac
}

post_comment() {
  local plan_file="${PIMCTL_PLAN_FILE:-}"
  local link=()
  if [ -n "${PIMCTL_ARTIFACT_URL:-}" ]; then link=(--link "$PIMCTL_ARTIFACT_URL"); fi
  case "$command" in
    plan)
      truthy "${INPUT_COMMENT:-true}" || return 0
      case "${GITHUB_EVENT_NAME:-}" in
        pull_request | pull_request_target) ;;
        *)
          echo "not a pull request (${GITHUB_EVENT_NAME:-no event}): no comment"
          return 0
          ;;
      esac
      local input="$plan_file"
      if [ -z "$input" ] || [ ! -s "$input" ]; then
        # pimctl stopped before it could plan: say so in the comment rather than leave an old plan standing.
        input="$out_dir/no-plan.md"
        mkdir -p "$out_dir"
        printf '### pimctl plan\n\n**No plan:** pimctl stopped before planning. See the job log.\n' > "$input"
      fi
      pimctl comment "$input" --platform github --command plan --key "$policies" ${link[@]+"${link[@]}"}
      ;;
    drift)
      truthy "${INPUT_DRIFT_ISSUE:-true}" || return 0
      if [ -z "$plan_file" ] || [ ! -s "$plan_file" ]; then
        echo "no drift plan (pimctl failed): the drift issue is left as it is"
        return 0
      fi
      pimctl comment "$plan_file" --platform github --to drift-issue --command drift --key "$policies" \
        --label "${INPUT_DRIFT_ISSUE_LABEL:-pimctl-drift}" ${link[@]+"${link[@]}"}
      ;;
    *) ;;
  esac
}

case "$phase" in
  run) run_command ;;
  comment) post_comment ;;
  *)
    echo "usage: run.sh run|comment" >&2
    exit 2
    ;;
esac
