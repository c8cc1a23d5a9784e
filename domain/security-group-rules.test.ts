/**
 * The rule delta against the cases of Clouddriver's UpsertSecurityGroupAtomicOperationUnitSpec,
 * and the SDK v1 rendering its history lines print.
 */
import type { IngressPermission } from './security-group-rules';
import {
  awsHolds,
  computeRuleDelta,
  flattenPermissions,
  formatCreatedGroup,
  formatPermissions,
  ipIngressPermissions,
} from './security-group-rules';

const pairRule = (from: number, to: number, groupId: string, userId = 'accountId1'): IngressPermission => ({
  ipProtocol: 'tcp',
  fromPort: from,
  toPort: to,
  ipv4Ranges: [],
  ipv6Ranges: [],
  userIdGroupPairs: [{ userId, groupId }],
});

test('existing permissions are not re-created; a pair nothing asks for is removed', () => {
  const existing = flattenPermissions([
    {
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 81,
      UserIdGroupPairs: [
        { UserId: 'accountId1', GroupId: 'grp' },
        { UserId: 'accountId1', GroupId: 'id-bar' },
      ],
      IpRanges: [{ CidrIp: '10.0.0.1/32' }],
    },
    { IpProtocol: 'tcp', FromPort: 25, ToPort: 25, UserIdGroupPairs: [{ UserId: 'accountId1', GroupId: 'id-bar' }] },
  ]);
  const wanted = [
    ...ipIngressPermissions([{ cidr: '10.0.0.1/32', startPort: 80, endPort: 81, ipProtocol: 'tcp' }]),
    pairRule(111, 112, 'id-bar'),
    pairRule(25, 25, 'id-bar'),
    pairRule(80, 81, 'id-bar'),
  ];
  expect(computeRuleDelta(wanted, existing)).toEqual({
    toAdd: [pairRule(111, 112, 'id-bar')],
    toRemove: [pairRule(80, 81, 'grp')],
    toUpdate: [],
  });
});

test('a matched CIDR rule is updated whenever the wanted one has a description, and only then', () => {
  const existing = (description: string | undefined) =>
    flattenPermissions([
      { IpProtocol: 'tcp', FromPort: 7002, ToPort: 7004, IpRanges: [{ CidrIp: '123.23.45.6/12', Description: description }] },
    ]);
  const wanted = (description: string | undefined) =>
    ipIngressPermissions([{ cidr: '123.23.45.6/12', startPort: 7002, endPort: 7004, ipProtocol: 'tcp', description }]);
  expect(computeRuleDelta(wanted('foo'), existing('foo')).toUpdate).toEqual(wanted('foo'));
  expect(computeRuleDelta(wanted('foo'), existing(undefined)).toUpdate).toEqual(wanted('foo'));
  expect(computeRuleDelta(wanted(undefined), existing('foo'))).toEqual({ toAdd: [], toRemove: [], toUpdate: [] });
  expect(computeRuleDelta(wanted(''), existing('foo')).toUpdate).toEqual([]);
});

test('add, remove and update in one delta; IPv6 CIDRs match IPv6 rules only', () => {
  const existing = flattenPermissions([
    {
      IpProtocol: 'tcp',
      FromPort: 7002,
      ToPort: 7004,
      IpRanges: [
        { CidrIp: '123.23.45.6/12', Description: 'foo' },
        { CidrIp: '103.23.45.6/12', Description: 'baz' },
      ],
    },
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
  ]);
  const wanted = [
    ...ipIngressPermissions([
      { cidr: '123.23.45.6/12', startPort: 7002, endPort: 7004, description: 'foo', ipProtocol: 'tcp' },
      { cidr: '::/0', startPort: 443, endPort: 443, ipProtocol: 'tcp' },
    ]),
    pairRule(111, 112, '124'),
  ];
  const delta = computeRuleDelta(wanted, existing);
  expect(delta.toAdd).toEqual([pairRule(111, 112, '124')]);
  expect(delta.toUpdate).toEqual([wanted[0]]);
  expect(delta.toRemove).toEqual(
    ipIngressPermissions([{ cidr: '103.23.45.6/12', startPort: 7002, endPort: 7004, description: 'baz', ipProtocol: 'tcp' }]),
  );
});

test('flattening drops prefix lists (never added, never removed) and the pair name and peering details', () => {
  const flat = flattenPermissions([
    {
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 80,
      IpRanges: [{ CidrIp: '10.0.0.0/8' }],
      UserIdGroupPairs: [{ UserId: '1', GroupId: 'sg-1', GroupName: 'web', VpcId: 'vpc-1' }],
      PrefixListIds: [{ PrefixListId: 'pl-1' }],
    },
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: 'pl-1' }] },
  ]);
  expect(flat).toEqual([
    {
      ipProtocol: 'tcp',
      fromPort: 80,
      toPort: 80,
      ipv4Ranges: [],
      ipv6Ranges: [],
      userIdGroupPairs: [{ userId: '1', groupId: 'sg-1', vpcId: 'vpc-1' }],
    },
    { ipProtocol: 'tcp', fromPort: 80, toPort: 80, ipv4Ranges: [{ cidrIp: '10.0.0.0/8' }], ipv6Ranges: [], userIdGroupPairs: [] },
  ]);
  // Nothing wanted: the CIDR and the pair go; the prefix-list rules are not in the delta at all.
  expect(computeRuleDelta([], flat).toRemove).toHaveLength(2);
});

test("AWS's own equality: protocol names in any case, all-protocol rules without ports", () => {
  const held = flattenPermissions([
    { IpProtocol: 'tcp', FromPort: 81, ToPort: 81, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    { IpProtocol: '-1', IpRanges: [{ CidrIp: '192.168.0.0/16' }] },
  ]);
  const [upper, all, other] = ipIngressPermissions([
    { cidr: '10.0.0.0/8', ipProtocol: 'TCP', startPort: 81, endPort: 81 },
    { cidr: '192.168.0.0/16', ipProtocol: '-1', startPort: 0, endPort: 65535 },
    { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 82, endPort: 82 },
  ]);
  expect(computeRuleDelta([upper!, all!], held).toAdd).toHaveLength(2);
  expect([awsHolds(held, upper!), awsHolds(held, all!), awsHolds(held, other!)]).toEqual([true, true, false]);
});

test("rules and a created group print as Clouddriver's history lines print them (AWS SDK v1 toString)", () => {
  const rules = [
    ...ipIngressPermissions([
      { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80, description: 'office' },
      { cidr: '::/0', ipProtocol: '-1' },
    ]),
    pairRule(7001, 7002, 'sg-1', '123456789012'),
  ];
  expect(formatPermissions(rules)).toBe(
    '[{FromPort: 80,IpProtocol: tcp,Ipv6Ranges: [],PrefixListIds: [],ToPort: 80,UserIdGroupPairs: [],Ipv4Ranges: [{CidrIp: 10.0.0.0/8,Description: office}]}, ' +
      '{IpProtocol: -1,Ipv6Ranges: [{CidrIpv6: ::/0,}],PrefixListIds: [],UserIdGroupPairs: [],Ipv4Ranges: []}, ' +
      '{FromPort: 7001,IpProtocol: tcp,Ipv6Ranges: [],PrefixListIds: [],ToPort: 7002,UserIdGroupPairs: [{GroupId: sg-1,UserId: 123456789012,}],Ipv4Ranges: []}]',
  );
  expect(formatCreatedGroup({ description: 'd', name: 'web', ownerId: '1', groupId: 'sg-2' })).toBe(
    '{Description: d,GroupName: web,IpPermissions: [],OwnerId: 1,GroupId: sg-2,IpPermissionsEgress: [],Tags: [],}',
  );
});
