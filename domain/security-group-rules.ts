/**
 * Ingress rules as Clouddriver's upsertSecurityGroup sees them (SecurityGroupIngressConverter):
 * existing permissions flattened to one source each, the rules a description wants, the delta
 * between them (add, remove, update descriptions), and AWS SDK v1's rendering of them, which
 * Clouddriver's history lines print. Pure and free of the AWS SDK: the workflow computes the delta.
 *
 * Bundled into the workflow sandbox: nothing from Node, no zod, no I/O.
 */

export interface IpRangeRule {
  readonly cidrIp: string;
  readonly description?: string | undefined;
}

export interface Ipv6RangeRule {
  readonly cidrIpv6: string;
  readonly description?: string | undefined;
}

export interface GroupPairRule {
  readonly userId?: string | undefined;
  readonly groupId?: string | undefined;
  /** Only for a group outside any VPC, named rather than found (Clouddriver's EC2-Classic path). */
  readonly groupName?: string | undefined;
  readonly vpcId?: string | undefined;
  readonly description?: string | undefined;
}

/** An IpPermission: a protocol and port range with its sources. */
export interface IngressPermission {
  readonly ipProtocol?: string | undefined;
  readonly fromPort?: number | undefined;
  readonly toPort?: number | undefined;
  readonly ipv4Ranges: readonly IpRangeRule[];
  readonly ipv6Ranges: readonly Ipv6RangeRule[];
  readonly userIdGroupPairs: readonly GroupPairRule[];
}

/** An IpPermission as DescribeSecurityGroups answers it (the SDK v3 shape, structurally). */
export interface AwsIpPermission {
  readonly IpProtocol?: string | undefined;
  readonly FromPort?: number | undefined;
  readonly ToPort?: number | undefined;
  readonly IpRanges?: readonly { readonly CidrIp?: string | undefined; readonly Description?: string | undefined }[] | undefined;
  readonly Ipv6Ranges?: readonly { readonly CidrIpv6?: string | undefined; readonly Description?: string | undefined }[] | undefined;
  readonly UserIdGroupPairs?:
    | readonly {
        readonly UserId?: string | undefined;
        readonly GroupId?: string | undefined;
        readonly GroupName?: string | undefined;
        readonly VpcId?: string | undefined;
        readonly Description?: string | undefined;
      }[]
    | undefined;
  /** Never flattened: see `flattenPermissions`. */
  readonly PrefixListIds?: readonly { readonly PrefixListId?: string | undefined }[] | undefined;
}

const permission = (p: AwsIpPermission, sources: Partial<IngressPermission>): IngressPermission => ({
  ipProtocol: p.IpProtocol,
  fromPort: p.FromPort,
  toPort: p.ToPort,
  ipv4Ranges: [],
  ipv6Ranges: [],
  userIdGroupPairs: [],
  ...sources,
});

/**
 * SecurityGroupIngressConverter.flattenPermissions: one permission per source (group pair, IPv4
 * range, IPv6 range), without the pair's name and peering details, duplicates dropped. Prefix
 * lists are not flattened, so rules from a prefix list never enter the delta: Clouddriver neither
 * adds nor removes them, and neither does Bosun.
 */
export function flattenPermissions(permissions: readonly AwsIpPermission[]): IngressPermission[] {
  const flat: IngressPermission[] = [];
  for (const p of permissions) {
    for (const pair of p.UserIdGroupPairs ?? []) {
      flat.push(
        permission(p, {
          userIdGroupPairs: [clean({ userId: pair.UserId, groupId: pair.GroupId, vpcId: pair.VpcId, description: pair.Description })],
        }),
      );
    }
    for (const r of p.IpRanges ?? []) {
      if (r.CidrIp !== undefined) flat.push(permission(p, { ipv4Ranges: [clean({ cidrIp: r.CidrIp, description: r.Description })] }));
    }
    for (const r of p.Ipv6Ranges ?? []) {
      if (r.CidrIpv6 !== undefined) flat.push(permission(p, { ipv6Ranges: [clean({ cidrIpv6: r.CidrIpv6, description: r.Description })] }));
    }
  }
  const seen = new Set<string>();
  return flat.filter((p) => {
    const key = JSON.stringify(canonical(p));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An `ipIngress` entry of the description (UpsertSecurityGroupDescription.IpIngress). */
export interface IpIngress {
  readonly cidr?: string | undefined;
  readonly ipProtocol?: string | undefined;
  readonly startPort?: number | undefined;
  readonly endPort?: number | undefined;
  readonly description?: string | undefined;
}

/** convertIngressToIpPermissions for `ipIngress`: a CIDR with a colon is IPv6, anything else IPv4. */
export function ipIngressPermissions(ingress: readonly IpIngress[]): IngressPermission[] {
  return ingress.map((i) => {
    const base = { ipProtocol: i.ipProtocol, fromPort: i.startPort, toPort: i.endPort, userIdGroupPairs: [] };
    return i.cidr?.includes(':')
      ? { ...base, ipv4Ranges: [], ipv6Ranges: [clean({ cidrIpv6: i.cidr, description: i.description })] }
      : { ...base, ipv4Ranges: [clean({ cidrIp: i.cidr ?? '', description: i.description })], ipv6Ranges: [] };
  });
}

export interface RuleDelta {
  readonly toAdd: readonly IngressPermission[];
  readonly toRemove: readonly IngressPermission[];
  readonly toUpdate: readonly IngressPermission[];
}

const sortedEqual = (a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean => {
  const x = [...a].map(String).sort();
  const y = [...b].map(String).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
const samePorts = (a: IngressPermission, b: IngressPermission) =>
  a.fromPort === b.fromPort && a.toPort === b.toPort && a.ipProtocol === b.ipProtocol;
/** Groovy truth: a description that is there and not empty. */
const truthy = (s: string | undefined) => s !== undefined && s !== '';

/** SecurityGroupIngressConverter.findIpPermission: same CIDRs (v4, or else v6), ports and protocol. */
function findIpPermission(existing: readonly IngressPermission[], p: IngressPermission): IngressPermission | undefined {
  return existing.find(
    (e) =>
      (sortedEqual(
        e.ipv4Ranges.map((r) => r.cidrIp),
        p.ipv4Ranges.map((r) => r.cidrIp),
      ) &&
        samePorts(e, p) &&
        p.ipv4Ranges.length > 0) ||
      (sortedEqual(
        e.ipv6Ranges.map((r) => r.cidrIpv6),
        p.ipv6Ranges.map((r) => r.cidrIpv6),
      ) &&
        samePorts(e, p) &&
        p.ipv6Ranges.length > 0),
  );
}

/** SecurityGroupIngressConverter.findUserIdGroupPermission: same group ids, account ids, ports and protocol. */
function findGroupPermission(existing: readonly IngressPermission[], p: IngressPermission): IngressPermission | undefined {
  return existing.find(
    (e) =>
      sortedEqual(
        e.userIdGroupPairs.map((x) => x.groupId),
        p.userIdGroupPairs.map((x) => x.groupId),
      ) &&
      sortedEqual(
        e.userIdGroupPairs.map((x) => x.userId),
        p.userIdGroupPairs.map((x) => x.userId),
      ) &&
      samePorts(e, p),
  );
}

/**
 * computeIpRuleDelta and computeUserIdGroupPairsDelta together: a wanted rule with no match is
 * added; a matched one whose wanted CIDR carries a description is updated (every time, changed or
 * not, as Clouddriver does); existing rules nothing matched are removed. Group pairs from a
 * description never carry a description (the converter does not copy it), so they are never updated.
 */
export function computeRuleDelta(wanted: readonly IngressPermission[], existing: readonly IngressPermission[]): RuleDelta {
  const ip = delta(
    wanted.filter((p) => p.userIdGroupPairs.length === 0),
    existing.filter((p) => p.userIdGroupPairs.length === 0),
    findIpPermission,
    (p) => p.ipv4Ranges.some((r) => truthy(r.description)) || p.ipv6Ranges.some((r) => truthy(r.description)),
  );
  const pairs = delta(
    wanted.filter((p) => p.userIdGroupPairs.length > 0),
    existing.filter((p) => p.userIdGroupPairs.length > 0),
    findGroupPermission,
    (p) => p.userIdGroupPairs.some((x) => truthy(x.description)),
  );
  return {
    toAdd: [...ip.toAdd, ...pairs.toAdd],
    toRemove: [...ip.toRemove, ...pairs.toRemove],
    toUpdate: [...ip.toUpdate, ...pairs.toUpdate],
  };
}

function delta(
  wanted: readonly IngressPermission[],
  existing: readonly IngressPermission[],
  find: (list: readonly IngressPermission[], p: IngressPermission) => IngressPermission | undefined,
  describes: (p: IngressPermission) => boolean,
): RuleDelta {
  const left = [...existing];
  const toAdd: IngressPermission[] = [];
  const toUpdate: IngressPermission[] = [];
  for (const p of wanted) {
    const match = find(left, p);
    if (match) {
      if (describes(p)) toUpdate.push(p);
      left.splice(left.indexOf(match), 1);
    } else {
      toAdd.push(p);
    }
  }
  return { toAdd, toRemove: left, toUpdate };
}

/**
 * Whether AWS holds `p` already among `existing` by its own rules (protocol names in any case,
 * all-protocol rules without ports), where Clouddriver's exact comparison sees a new rule: its
 * AuthorizeSecurityGroupIngress then fails with InvalidPermission.Duplicate.
 */
export function awsHolds(existing: readonly IngressPermission[], p: IngressPermission): boolean {
  const proto = (x: IngressPermission) => (x.ipProtocol ?? '').toLowerCase();
  const portsMatch = (a: IngressPermission, b: IngressPermission) =>
    proto(a) === proto(b) && (proto(a) === '-1' || (a.fromPort === b.fromPort && a.toPort === b.toPort));
  return existing.some(
    (e) =>
      portsMatch(e, p) &&
      (p.ipv4Ranges.some((r) => e.ipv4Ranges.some((x) => x.cidrIp === r.cidrIp)) ||
        p.ipv6Ranges.some((r) => e.ipv6Ranges.some((x) => x.cidrIpv6 === r.cidrIpv6)) ||
        p.userIdGroupPairs.some((r) => e.userIdGroupPairs.some((x) => r.groupId !== undefined && x.groupId === r.groupId))),
  );
}

// AWS SDK for Java v1's toString of these model classes (every list getter makes an empty list,
// so lists always print; a field that is null is skipped, leaving the comma before it).
type Fields = readonly (readonly [string, unknown])[];
const fields = (pairs: Fields): string => {
  const present = pairs.filter(([, v]) => v !== undefined && v !== null);
  const last = pairs[pairs.length - 1]!;
  const text = present.map(([k, v]) => `${k}: ${String(v)}`).join(',');
  // Every field but the last is followed by a comma, so a missing last field leaves one behind.
  return `{${text}${present.length > 0 && present[present.length - 1] !== last ? ',' : ''}}`;
};
const list = (items: readonly string[]) => `[${items.join(', ')}]`;
/** A list of model objects, each printed with `fields`. */
const listOf = <T>(items: readonly T[], fieldsOf: (item: T) => Fields) => list(items.map((item) => fields(fieldsOf(item))));

export function formatPermission(p: IngressPermission): string {
  return fields([
    ['FromPort', p.fromPort],
    ['IpProtocol', p.ipProtocol],
    [
      'Ipv6Ranges',
      listOf(p.ipv6Ranges, (r) => [
        ['CidrIpv6', r.cidrIpv6],
        ['Description', r.description],
      ]),
    ],
    ['PrefixListIds', '[]'],
    ['ToPort', p.toPort],
    [
      'UserIdGroupPairs',
      listOf(p.userIdGroupPairs, (x) => [
        ['Description', x.description],
        ['GroupId', x.groupId],
        ['GroupName', x.groupName],
        ['PeeringStatus', undefined],
        ['UserId', x.userId],
        ['VpcId', x.vpcId],
        ['VpcPeeringConnectionId', undefined],
      ]),
    ],
    [
      'Ipv4Ranges',
      listOf(p.ipv4Ranges, (r) => [
        ['CidrIp', r.cidrIp],
        ['Description', r.description],
      ]),
    ],
  ]);
}

/** A list of permissions as Groovy prints a Java list in a GString. */
export function formatPermissions(ps: readonly IngressPermission[]): string {
  return list(ps.map(formatPermission));
}

/** The SecurityGroup Clouddriver builds after creating one ("Created Security Group …"). */
export function formatCreatedGroup(g: {
  readonly description?: string | undefined;
  readonly name: string;
  readonly ownerId?: string | undefined;
  readonly groupId: string;
  readonly vpcId?: string | undefined;
}): string {
  return fields([
    ['Description', g.description],
    ['GroupName', g.name],
    ['IpPermissions', '[]'],
    ['OwnerId', g.ownerId],
    ['GroupId', g.groupId],
    ['IpPermissionsEgress', '[]'],
    ['Tags', '[]'],
    ['VpcId', g.vpcId],
  ]);
}

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function canonical(p: IngressPermission): unknown {
  return [p.ipProtocol ?? null, p.fromPort ?? null, p.toPort ?? null, p.ipv4Ranges, p.ipv6Ranges, p.userIdGroupPairs];
}
