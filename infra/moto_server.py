"""moto's standalone server with one performance fix, started by infra/stack.ts.

moto 5.2.x (5.2.5 too) looks up one EC2 resource's tags by scanning every tag in the region with
a regular expression (TaggedEC2Resource.get_tags -> describe_tags(resource-id filter)), and
get_filter_value does that lookup for every filter, not only tag filters. So DescribeInstances
with an `instance-id` filter costs O(instances x tags): with 800 groups of 2 instances it took
3.5 s (9 ms by InstanceIds), and the 2,000-operation chaos run stalled on it (bench/results/
chaos-2000.md; chaos-2000-stalled.md has the measurements).

The replacement reads the resource's own entry of the same tag store, returning the same dicts
in the same order; describe_tags anchors its patterns (fnmatch), so for an id without wildcards
the scan and the lookup find exactly the same tags. Everything else is moto as released.
"""

import sys

from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix


def _own_tags(self: TaggedEC2Resource) -> list[dict[str, str]]:
    resource_id = getattr(self, "id", None)
    if not resource_id:
        return []
    tags = self.ec2_backend.tags.get(resource_id)  # type: ignore[attr-defined]
    if not tags:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
    return [{"resource_id": resource_id, "key": k, "value": v, "resource_type": resource_type} for k, v in tags.items()]


def install() -> None:
    TaggedEC2Resource.get_tags = _own_tags  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from moto.server import main

    main(sys.argv[1:])
