/**
 * upsertSecurityGroup end to end: posted to the facade over HTTP, run by a real worker on the
 * real Temporal dev server, the group's rules read back from moto.
 *
 * moto refuses a rule naming a group of another account (InvalidGroup.NotFound: it looks the
 * group up in the caller's account), so rules across accounts are covered with a fake EC2 client
 * in activities/security-group-upsert.test.ts; the lookup by name in another account is real here.
 */
import type { IpPermission } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { mentions } from './faults';
import { ACCOUNT, cancelTask, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';

const AS_ORCA = { 'x-spinnaker-accounts': `${ACCOUNT},staging` };
const OWNER = '123456789012';

const { env, faults, runAsOrca, startHanging } = useOrcaTestEnv({ headers: AS_ORCA });

const ec2 = () => testAwsClients(env.aws).ec2;

/** One upsertSecurityGroup of `name` in `vpcId`, in the test's account and region, with `fields`. */
const upsert = (vpcId: string, name: string, fields: Record<string, unknown> = {}) => ({
  upsertSecurityGroup: { credentials: ACCOUNT, region: REGION, vpcId, name, ...fields },
});
/** An ingress rule from `cidr` on one TCP port. */
const tcp = (cidr: string, port: number) => ({ cidr, ipProtocol: 'tcp', startPort: port, endPort: port });

async function defaultVpc(): Promise<string> {
  const out = await ec2().send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  return out.Vpcs![0]!.VpcId!;
}

async function makeGroup(vpcId: string, prefix = 'src-'): Promise<{ name: string; id: string }> {
  const name = uniqueName(prefix);
  const out = await ec2().send(new CreateSecurityGroupCommand({ GroupName: name, Description: 'bosun test', VpcId: vpcId }));
  return { name, id: out.GroupId! };
}

async function groupNamed(name: string, vpcId: string) {
  const out = await ec2().send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: [name] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  return out.SecurityGroups?.[0];
}

/** Every ingress rule of the group, one line per source, sorted: what AWS holds. */
async function rulesOf(name: string, vpcId: string): Promise<string[]> {
  const g = await groupNamed(name, vpcId);
  if (!g) throw new Error(`no group ${name}`);
  return flat(g.IpPermissions ?? []);
}

function flat(ps: readonly IpPermission[]): string[] {
  const lines: string[] = [];
  for (const p of ps) {
    const at = `${p.IpProtocol} ${p.FromPort ?? ''}-${p.ToPort ?? ''}`;
    for (const r of p.IpRanges ?? []) lines.push(`${at} ${r.CidrIp}${r.Description ? ` (${r.Description})` : ''}`);
    for (const r of p.Ipv6Ranges ?? []) lines.push(`${at} ${r.CidrIpv6}${r.Description ? ` (${r.Description})` : ''}`);
    for (const r of p.UserIdGroupPairs ?? []) lines.push(`${at} ${r.GroupId} of ${r.UserId}`);
    for (const r of p.PrefixListIds ?? []) lines.push(`${at} ${r.PrefixListId}`);
  }
  return lines.sort();
}

const upsertLines = (history: readonly { phase: string; status: string }[]) =>
  history.filter((h) => h.phase === 'UPSERT_SG').map((h) => h.status);

describe('upsertSecurityGroup', () => {
  test('creates the group with its tags, CIDR rules and rules naming groups (itself too); a re-post runs nothing again', async () => {
    const vpcId = await defaultVpc();
    const source = await makeGroup(vpcId);
    const name = uniqueName('web-');
    const body = [
      {
        upsertSecurityGroup: {
          credentials: ACCOUNT,
          region: REGION,
          vpcId,
          name,
          description: 'web tier',
          tags: { team: 'edge' },
          ipIngress: [
            { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80, description: 'office' },
            // `type` is Clouddriver's deprecated spelling of ipProtocol; ports as strings, as Jackson reads them.
            { cidr: '::/0', type: 'tcp', startPort: '443', endPort: '443' },
          ],
          securityGroupIngress: [
            { name: source.name, ipProtocol: 'tcp', startPort: 7001, endPort: 7002 },
            { name, accountName: ACCOUNT, ipProtocol: 'tcp', startPort: 22, endPort: 22 },
          ],
          ingressAppendOnly: null,
          cloudProvider: 'aws',
        },
      },
    ];
    const { id, task, repost } = await runAsOrca(body);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect((await env.client.workflow.getHandle(id).describe()).type).toBe('upsertSecurityGroup');

    const group = (await groupNamed(name, vpcId))!;
    const self = group.GroupId!;
    expect(group.Description).toBe('web tier');
    expect(Object.fromEntries((group.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      Name: name,
      team: 'edge',
      'bosun:created-by-task': `${id}/0`,
    });
    expect(await rulesOf(name, vpcId)).toEqual(
      [
        'tcp 80-80 10.0.0.0/8 (office)',
        'tcp 443-443 ::/0',
        `tcp 7001-7002 ${source.id} of ${OWNER}`,
        `tcp 22-22 ${self} of ${OWNER}`,
      ].sort(),
    );

    const lines = upsertLines(task.history);
    const added =
      `[{FromPort: 80,IpProtocol: tcp,Ipv6Ranges: [],PrefixListIds: [],ToPort: 80,UserIdGroupPairs: [],Ipv4Ranges: [{CidrIp: 10.0.0.0/8,Description: office}]}, ` +
      `{FromPort: 443,IpProtocol: tcp,Ipv6Ranges: [{CidrIpv6: ::/0,}],PrefixListIds: [],ToPort: 443,UserIdGroupPairs: [],Ipv4Ranges: []}, ` +
      `{FromPort: 7001,IpProtocol: tcp,Ipv6Ranges: [],PrefixListIds: [],ToPort: 7002,UserIdGroupPairs: [{GroupId: ${source.id},UserId: ${OWNER},}],Ipv4Ranges: []}, ` +
      `{FromPort: 22,IpProtocol: tcp,Ipv6Ranges: [],PrefixListIds: [],ToPort: 22,UserIdGroupPairs: [{GroupId: ${self},UserId: ${OWNER},}],Ipv4Ranges: []}]`;
    expect(lines).toEqual([
      `Creating Security Group ${name}`,
      `Created Security Group {Description: web tier,GroupName: ${name},IpPermissions: [],OwnerId: ${OWNER},GroupId: ${self},IpPermissionsEgress: [],Tags: [],VpcId: ${vpcId}}`,
      'Extracting ip permissions',
      expect.stringMatching(/^Extracted ip permissions \(com\.netflix\.spinnaker\..*\$ConvertedIngress\(\[/),
      `Adding Ingress (${added})`,
      `Permissions added to '${name}' (${added}).`,
    ]);
    expect(task.resultObjects).toEqual([]);

    expect(await repost()).toBe(id);
    expect(faults.calls('createSecurityGroupForUpsert', mentions(name))).toBe(1);
    expect(faults.calls('authorizeSecurityGroupIngress', mentions(self))).toBe(1);
  });

  test('a changed set applies only the difference: descriptions updated, new rules added, rules not asked for removed', async () => {
    const vpcId = await defaultVpc();
    const source = await makeGroup(vpcId);
    const name = uniqueName('web-');
    const base = { credentials: ACCOUNT, region: REGION, vpcId, name, description: 'web tier' };
    const created = await env.run([
      {
        upsertSecurityGroup: {
          ...base,
          ipIngress: [
            { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80, description: 'office' },
            { cidr: '::/0', ipProtocol: 'tcp', startPort: 443, endPort: 443 },
          ],
          securityGroupIngress: [{ name: source.name, ipProtocol: 'tcp', startPort: 7001, endPort: 7002 }],
        },
      },
    ]);
    expect(created.task.status).toMatchObject({ completed: true, failed: false });
    const self = (await groupNamed(name, vpcId))!.GroupId!;

    const moved = {
      ...base,
      ipIngress: [
        { cidr: '10.0.0.0/8', ipProtocol: 'tcp', startPort: 80, endPort: 80, description: 'office, moved' },
        tcp('192.168.0.0/16', 8080),
      ],
      securityGroupIngress: [{ id: self, ipProtocol: 'tcp', startPort: 22, endPort: 22 }],
    };
    const changed = await env.run([{ upsertSecurityGroupDescription: moved }], { path: '/ops' });
    expect(changed.task.status).toMatchObject({ completed: true, failed: false });
    expect(await rulesOf(name, vpcId)).toEqual(
      ['tcp 80-80 10.0.0.0/8 (office, moved)', 'tcp 8080-8080 192.168.0.0/16', `tcp 22-22 ${self} of ${OWNER}`].sort(),
    );
    const lines = upsertLines(changed.task.history);
    expect(lines.map((l) => l.replace(/ \(.*$/s, ''))).toEqual([
      'Updating Ingress',
      "Permissions updated to 'NAME'".replace('NAME', name),
      'Adding Ingress',
      "Permissions added to 'NAME'".replace('NAME', name),
      'Removing Ingress',
      "Permissions removed from 'NAME'".replace('NAME', name),
    ]);
    expect(lines[4]).toContain('Ipv6Ranges: [{CidrIpv6: ::/0,}]');
    expect(lines[4]).toContain(`UserIdGroupPairs: [{GroupId: ${source.id},UserId: ${OWNER},}]`);
    // Only the new rules were authorized; the unchanged one was not sent again.
    const onSelf = (cidr: string) => (input: unknown) => mentions(self)(input) && mentions(cidr)(input);
    expect(faults.calls('authorizeSecurityGroupIngress', onSelf('192.168.0.0/16'))).toBe(1);
    expect(faults.calls('authorizeSecurityGroupIngress', onSelf('10.0.0.0/8'))).toBe(1);
    expect(faults.calls('createSecurityGroupForUpsert', mentions(name))).toBe(1);

    // The same description again changes nothing but the description Clouddriver sets every time.
    const same = await env.run([{ upsertSecurityGroup: moved }]);
    expect(upsertLines(same.task.history).map((l) => l.replace(/ \(.*$/s, ''))).toEqual([
      'Updating Ingress',
      `Permissions updated to '${name}'`,
    ]);
    expect(await rulesOf(name, vpcId)).toHaveLength(3);
  });

  test('ingressAppendOnly keeps rules not asked for (and needs no description); prefix-list rules are never removed', async () => {
    const vpcId = await defaultVpc();
    const group = await makeGroup(vpcId, 'app-');
    await ec2().send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: group.id,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: 'pl-0123abcd' }] },
        ],
      }),
    );
    const appended = await env.run([upsert(vpcId, group.name, { ingressAppendOnly: 'true', ipIngress: [tcp('1.2.3.4/32', 9000)] })]);
    expect(appended.task.status).toMatchObject({ completed: true, failed: false });
    expect(await rulesOf(group.name, vpcId)).toEqual(
      ['tcp 443-443 pl-0123abcd', 'tcp 80-80 10.0.0.0/8', 'tcp 9000-9000 1.2.3.4/32'].sort(),
    );
    expect(upsertLines(appended.task.history).some((l) => l.startsWith('Removing Ingress'))).toBe(false);

    // Without ingressAppendOnly the extras go; the prefix-list rule is not Clouddriver's to remove.
    const replaced = await env.run([upsert(vpcId, group.name, { description: 'bosun test', ipIngress: [tcp('1.2.3.4/32', 9000)] })]);
    expect(replaced.task.status).toMatchObject({ completed: true, failed: false });
    expect(await rulesOf(group.name, vpcId)).toEqual(['tcp 443-443 pl-0123abcd', 'tcp 9000-9000 1.2.3.4/32']);
  });

  test('a failure half-way deletes the group this task created; a group that was there keeps what was done to it', async () => {
    const vpcId = await defaultVpc();
    const name = uniqueName('web-');
    faults.fail('authorizeSecurityGroupIngress', mentions(REGION));
    const desc = {
      credentials: ACCOUNT,
      region: REGION,
      vpcId,
      name,
      description: 'web tier',
      ipIngress: [tcp('10.0.0.0/8', 80)],
    };
    const { task } = await env.run([{ upsertSecurityGroup: desc }]);
    expect(task.status).toMatchObject({ completed: true, failed: true });
    expect(await groupNamed(name, vpcId)).toBeUndefined();
    const statuses = task.history.map((h) => h.status);
    expect(statuses).toContain(`Error adding ingress to '${name}' - injected failure in authorizeSecurityGroupIngress`);
    expect(statuses).toContain(`Rolling back: delete security group ${name} in ${vpcId} in ${REGION} created by this task`);
    expect(statuses).toContain(`Deleted security group ${name} in ${vpcId} in ${REGION}, created by this task`);

    // A lost answer of the create is adopted, not made twice; the group is now there to stay.
    faults.loseAnswer('createSecurityGroupForUpsert', mentions(name));
    const made = await env.run(desc, { path: '/ops/upsertSecurityGroupDescription' });
    expect(made.task.status).toMatchObject({ completed: true, failed: false });
    expect(faults.calls('createSecurityGroupForUpsert', mentions(name))).toBe(3);
    const all = await ec2().send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }] }));
    expect(all.SecurityGroups).toHaveLength(1);

    faults.fail('revokeSecurityGroupIngress', mentions(REGION));
    const failed = await env.run([
      {
        upsertSecurityGroup: { ...desc, ipIngress: [tcp('172.16.0.0/12', 80)] },
      },
    ]);
    expect(failed.task.status).toMatchObject({ completed: true, failed: true });
    expect(failed.task.history.map((h) => h.status)).toContain(
      `Error removing ingress from ${name}: injected failure in revokeSecurityGroupIngress`,
    );
    // Not this task's group: it stays, with the rule added before the failure (Clouddriver undoes nothing).
    expect(await rulesOf(name, vpcId)).toEqual(['tcp 80-80 10.0.0.0/8', 'tcp 80-80 172.16.0.0/12']);
  });

  test("one task of several upserts (Orca's one per region) that fails in a later one deletes the groups the earlier ones created", async () => {
    const vpcId = await defaultVpc();
    const [first, second] = [uniqueName('web-'), uniqueName('web-')];
    const { task } = await env.run([
      upsert(vpcId, first, { description: 'web tier', ipIngress: [tcp('10.0.0.0/8', 80)] }),
      upsert(vpcId, second, {
        description: 'web tier',
        securityGroupIngress: [{ name: 'no-such-group', ipProtocol: 'tcp', startPort: 80, endPort: 80 }],
      }),
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: true });
    expect(await groupNamed(first, vpcId)).toBeUndefined();
    expect(task.history.map((h) => h.status)).toContain(`Deleted security group ${first} in ${vpcId} in ${REGION}, created by this task`);
  });

  test('cancelling the task while it adds rules deletes the group it created', async () => {
    const vpcId = await defaultVpc();
    const name = uniqueName('web-');
    const id = await startHanging('authorizeSecurityGroupIngress', mentions('203.0.113.0/24'), [
      upsert(vpcId, name, { description: 'web tier', ipIngress: [tcp('203.0.113.0/24', 80)] }),
    ]);
    expect(await groupNamed(name, vpcId)).toBeDefined();
    await cancelTask(env, faults, id);
    expect(await groupNamed(name, vpcId)).toBeUndefined();
  });

  test("a rule naming a group that does not exist fails the task with Clouddriver's message, before anything is made", async () => {
    const vpcId = await defaultVpc();
    const name = uniqueName('web-');
    const staging = uniqueName('stg-');
    const { task } = await env.run([
      upsert(vpcId, name, {
        description: 'web tier',
        securityGroupIngress: [
          { name: 'no-such-group', ipProtocol: 'tcp', startPort: 80, endPort: 80 },
          { name: staging, accountName: 'staging', ipProtocol: 'tcp', startPort: 81, endPort: 81 },
          // A self-reference without accountName is not recognised as one by Clouddriver either.
          { name, ipProtocol: 'tcp', startPort: 22, endPort: 22 },
        ],
      }),
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
    const message =
      `The following security groups do not exist: 'no-such-group' in '${ACCOUNT}' ${vpcId}, ` +
      `'${staging}' in 'staging' ${vpcId}, '${name}' in '${ACCOUNT}' ${vpcId} (ignoreSelfReferencingRules: true)`;
    expect(upsertLines(task.history)).toEqual([message]);
    expect(await groupNamed(name, vpcId)).toBeUndefined();
  });

  test('bad input is a 400 that names the field', async () => {
    const errors = await badRequestErrors(
      `${env.facadeUrl}/aws/ops`,
      [
        { upsertSecurityGroup: { credentials: ACCOUNT, region: REGION } },
        {
          upsertSecurityGroupDescription: {
            credentials: ACCOUNT,
            region: 'moon-1',
            name: 'web',
            vpcId: 'nope',
            securityGroupIngress: [
              { ipProtocol: 'tcp', startPort: 80, endPort: 80 },
              { name: 'x', startPort: 70000 },
            ],
            ipIngress: [
              { ipProtocol: 'tcp', startPort: 80, endPort: 80 },
              { cidr: 'everyone', ipProtocol: 'tcp' },
            ],
            tags: { 'aws:owner': 'x' },
          },
        },
      ],
      AS_ORCA,
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        '[0].upsertSecurityGroup.name: is required',
        '[0].upsertSecurityGroup.description: is required (unless ingressAppendOnly is true)',
        '[1].upsertSecurityGroupDescription.region: must be an AWS region name such as us-east-1',
        '[1].upsertSecurityGroupDescription.vpcId: must be a VPC id such as vpc-0123456789abcdef0',
        '[1].upsertSecurityGroupDescription.description: is required (unless ingressAppendOnly is true)',
        '[1].upsertSecurityGroupDescription.securityGroupIngress.0.name: is required: name the source group by name or id',
        '[1].upsertSecurityGroupDescription.securityGroupIngress.1.startPort: must be at most 65535',
        '[1].upsertSecurityGroupDescription.securityGroupIngress.1.ipProtocol: is required (tcp, udp, icmp, -1 or a protocol number)',
        '[1].upsertSecurityGroupDescription.ipIngress.0.cidr: is required',
        '[1].upsertSecurityGroupDescription.ipIngress.1.cidr: must be a CIDR block such as 10.0.0.0/8 or ::/0',
        '[1].upsertSecurityGroupDescription.tags.aws:owner: must not start with aws: (reserved by AWS)',
      ]),
    );
  });
});
