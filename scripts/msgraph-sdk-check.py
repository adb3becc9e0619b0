"""Reads the emulator's access review definitions with Microsoft's Python SDK (msgraph-sdk).

Opt-in, not part of ./scripts/test (installing the SDK takes minutes): see scripts/msgraph-sdk-check and
docs/emulator.md. Usage: python msgraph-sdk-check.py http://127.0.0.1:PORT/v1.0

The SDK parses every response into its generated models; this script then checks that what it parsed is what the
emulator sent (names, derived scope types, settings, recurrence), so a field the SDK cannot read fails here.
"""

import asyncio
import sys

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.access_review_query_scope import AccessReviewQueryScope
from msgraph.generated.models.principal_resource_memberships_scope import (
    PrincipalResourceMembershipsScope,
)


class EmulatorToken(AccessTokenProvider):
    """The emulator takes any bearer token as the admin application."""

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return "emulator-admin"

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])


async def main(base_url: str) -> int:
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(EmulatorToken()))
    adapter.base_url = base_url
    client = GraphServiceClient(request_adapter=adapter)
    definitions = client.identity_governance.access_reviews.definitions

    page = await definitions.get()
    items = list(page.value)
    while page.odata_next_link:
        page = await definitions.with_url(page.odata_next_link).get()
        items.extend(page.value)
    if not items:
        print("FAIL: no access review definitions")
        return 1
    problems = []
    for d in items:
        one = await definitions.by_access_review_schedule_definition_id(d.id).get()
        if one.id != d.id or one.display_name != d.display_name:
            problems.append(f"{d.id}: get and list disagree")
        if not isinstance(d.scope, (AccessReviewQueryScope, PrincipalResourceMembershipsScope)):
            problems.append(f"{d.id}: scope read as {type(d.scope).__name__}")
        s = d.settings
        if s is None or s.instance_duration_in_days is None or s.default_decision is None:
            problems.append(f"{d.id}: settings not read")
            continue
        pattern = s.recurrence.pattern if s.recurrence else None
        kind = pattern.type.value if pattern and pattern.type else None
        reviewers = ", ".join(r.query for r in d.reviewers or []) or "self"
        print(
            f"{d.display_name!r}: {type(d.scope).__name__}, {kind} every {pattern.interval if pattern else '-'},"
            f" {s.instance_duration_in_days}d, default {s.default_decision},"
            f" auto-apply {s.auto_apply_decisions_enabled}, reviewers {reviewers},"
            f" status {d.status}, created {d.created_date_time}"
        )
        instances = await definitions.by_access_review_schedule_definition_id(d.id).instances.get()
        print(f"  instances: {[(i.status, i.start_date_time.isoformat()) for i in instances.value[:3]]}")
    for p in problems:
        print("FAIL:", p)
    print(f"msgraph-sdk read {len(items)} definitions; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
