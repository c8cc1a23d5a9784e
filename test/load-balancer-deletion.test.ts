/**
 * deleteLoadBalancer end to end: posted to the facade over HTTP, run by a real worker on the
 * real Temporal dev server, the effect read back from moto. It creates nothing, so there is
 * nothing for a failure to leave behind; what matters is that a repeat (a re-post, a lost answer)
 * ends as the first run did.
 *
 * moto deletes an application load balancer whose deletion protection is on (AWS refuses): the
 * protection is read from the attributes before anything is deleted, as Clouddriver does, so
 * moto's answer does not matter here.
 */
import { DescribeLoadBalancersCommand as DescribeClassicCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, uniqueName, useOrcaTestEnv } from './harness';
import { exists } from './support/exists';
import { badRequestErrors } from './support/orca-client';
import { createClassicLoadBalancer } from './support/target-groups';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

async function makeClassic(): Promise<string> {
  const name = uniqueName('elb');
  await createClassicLoadBalancer(clients(), name);
  return name;
}

const classicExists = (name: string) =>
  exists(async () => (await clients().elb.send(new DescribeClassicCommand({ LoadBalancerNames: [name] }))).LoadBalancerDescriptions);

/** An application load balancer with one target group behind one listener. */
async function makeApplication(): Promise<{ name: string; arn: string; targetGroupArn: string; listenerArn: string }> {
  const subnets = (await clients().ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const byZone = new Map(subnets.filter((s) => s.DefaultForAz).map((s) => [s.AvailabilityZone, s]));
  const picked = [...byZone.values()].slice(0, 2);
  const name = uniqueName('alb');
  const lb = await clients().elbv2.send(
    new CreateLoadBalancerCommand({ Name: name, Subnets: picked.map((s) => s.SubnetId!), Type: 'application' }),
  );
  const arn = lb.LoadBalancers![0]!.LoadBalancerArn!;
  const tg = await clients().elbv2.send(
    new CreateTargetGroupCommand({ Name: uniqueName('tg'), Protocol: 'HTTP', Port: 8080, VpcId: picked[0]!.VpcId, TargetType: 'instance' }),
  );
  const targetGroupArn = tg.TargetGroups![0]!.TargetGroupArn!;
  const listener = await clients().elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: arn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  return { name, arn, targetGroupArn, listenerArn: listener.Listeners![0]!.ListenerArn! };
}

const applicationExists = (name: string) =>
  exists(async () => (await clients().elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers);

const targetGroupExists = (arn: string) =>
  exists(async () => (await clients().elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups);

describe('deleteLoadBalancer', () => {
  test("without loadBalancerType, deletes the classic load balancer with Clouddriver's DELETE_ELB lines; a re-post runs nothing again", async () => {
    const name = await makeClassic();
    const body = [{ deleteLoadBalancer: { credentials: ACCOUNT, regions: [REGION], loadBalancerName: name, cloudProvider: 'aws' } }];
    const { id, task, repost } = await runAsOrca(body);

    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(task.history.filter((h) => h.phase.startsWith('DELETE_ELB'))).toEqual([
      { phase: 'DELETE_ELB', status: 'Initializing Delete Amazon Load Balancer Classic Operation...' },
      { phase: 'DELETE_ELB', status: `Deleting ${name} in ${REGION} for ${ACCOUNT}.` },
      { phase: 'DELETE_ELB', status: `Done deleting ${name} in [${REGION}] for ${ACCOUNT}.` },
    ]);
    expect(await classicExists(name)).toBe(false);
    expect((await env.client.workflow.getHandle(id).describe()).type).toBe('deleteLoadBalancer');

    expect(await repost()).toBe(id);
    expect(faults.calls('deleteClassicLoadBalancerByName', mentions(name))).toBe(1);

    // A classic load balancer that is not there: AWS (and Clouddriver, which does not look) succeed.
    const absent = await env.run([
      { deleteAmazonLoadBalancerDescription: { account: ACCOUNT, regions: [REGION], loadBalancerName: name, loadBalancerType: 'classic' } },
    ]);
    expect(absent.task.status).toMatchObject({ completed: true, failed: false });
  });

  test('an application load balancer goes with its listeners and target groups (DELETE_ELB_V2); a lost answer ends as the first run', async () => {
    const alb = await makeApplication();
    faults.loseAnswer('deleteTargetGroupByArn', mentions(alb.targetGroupArn));
    const { task } = await env.run([
      {
        deleteAmazonLoadBalancerDescription: {
          credentials: ACCOUNT,
          regions: [REGION],
          loadBalancerName: alb.name,
          loadBalancerType: 'application',
        },
      },
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    const where = `in ${REGION} for ${ACCOUNT}`;
    expect(task.history.filter((h) => h.phase.startsWith('DELETE_ELB'))).toEqual([
      { phase: 'DELETE_ELB_V2', status: 'Initializing Delete Amazon Load Balancer V2 Operation...' },
      { phase: 'DELETE_ELB_V2', status: `Deleting ${alb.name} ${where}.` },
      { phase: 'DELETE_ELB_V2', status: `Deleted listener ${alb.listenerArn} ${where}.` },
      { phase: 'DELETE_ELB_V2', status: `Deleted target group ${alb.targetGroupArn} ${where}.` },
      { phase: 'DELETE_ELB_V2', status: `Done deleting ${alb.name} in [${REGION}] for ${ACCOUNT}.` },
    ]);
    expect(faults.calls('deleteTargetGroupByArn', mentions(alb.targetGroupArn))).toBe(2);
    expect(await applicationExists(alb.name)).toBe(false);
    expect(await targetGroupExists(alb.targetGroupArn)).toBe(false);

    const absent = await env.run([
      { deleteLoadBalancer: { credentials: ACCOUNT, regions: [REGION], loadBalancerName: alb.name, loadBalancerType: 'network' } },
    ]);
    expect(absent.task.status).toMatchObject({ completed: true, failed: false });
    expect(absent.task.history.map((h) => h.status)).toContain(`Failed deleting ${alb.name} ${where}. Not found.`);
  });

  test('a target group another load balancer still uses stays: "Failed deleting target group …", and the load balancer goes', async () => {
    const alb = await makeApplication();
    const other = await makeApplication();
    await clients().elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: other.arn,
        Protocol: 'HTTP',
        Port: 8081,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: alb.targetGroupArn }],
      }),
    );
    const { task } = await env.run([
      { deleteLoadBalancer: { credentials: ACCOUNT, regions: [REGION], loadBalancerName: alb.name, loadBalancerType: 'application' } },
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: false });
    expect(task.history.map((h) => h.status)).toContain(
      `Failed deleting target group ${alb.targetGroupArn} in ${REGION} for ${ACCOUNT}. Not found.`,
    );
    expect(await applicationExists(alb.name)).toBe(false);
    expect(await targetGroupExists(alb.targetGroupArn)).toBe(true);
    expect(await applicationExists(other.name)).toBe(true);
  });

  test('deletion protection fails the task before anything is deleted', async () => {
    const alb = await makeApplication();
    await clients().elbv2.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: alb.arn,
        Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }],
      }),
    );
    const { task } = await env.run([
      { deleteLoadBalancer: { credentials: ACCOUNT, regions: [REGION], loadBalancerName: alb.name, loadBalancerType: 'application' } },
    ]);
    expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
    expect(JSON.stringify(task)).toContain(`Load Balancer ${alb.name} has deletion protection enabled. Aborting delete operation.`);
    expect(await applicationExists(alb.name)).toBe(true);
    expect(await targetGroupExists(alb.targetGroupArn)).toBe(true);
  });

  test('bad input is a 400 that names the field', async () => {
    const errors = await badRequestErrors(
      `${env.facadeUrl}/aws/ops`,
      [
        { deleteLoadBalancer: { credentials: ACCOUNT } },
        { deleteAmazonLoadBalancerDescription: { regions: ['nowhere'], loadBalancerName: { n: 1 } } },
      ],
      AS_ORCA,
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        '[0].deleteLoadBalancer.loadBalancerName: is required',
        '[0].deleteLoadBalancer.regions: is required (one region or more)',
        '[1].deleteAmazonLoadBalancerDescription.credentials: is required (the account name)',
        '[1].deleteAmazonLoadBalancerDescription.loadBalancerName: must be a load balancer name (a string)',
      ]),
    );
  });
});
