/** Target groups for tests, made directly in the emulator (not through Bosun). */
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { CreateTargetGroupCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../../activities';
import { REGION } from '../harness';

/** An HTTP target group of instances named `name`, on port 80, in the default VPC; its ARN. */
export async function createTargetGroup(clients: AwsClients, name: string): Promise<string> {
  const vpc = (await clients.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.find((v) => v.IsDefault)?.VpcId;
  const tg = await clients.elbv2.send(
    new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'instance' }),
  );
  return tg.TargetGroups![0]!.TargetGroupArn!;
}

/** A classic load balancer named `name`, HTTP 80 to the instances' 8080, in the test region's first zone. */
export async function createClassicLoadBalancer(clients: AwsClients, name: string): Promise<void> {
  await clients.elb.send(
    new CreateLoadBalancerCommand({
      LoadBalancerName: name,
      Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 8080 }],
      AvailabilityZones: [`${REGION}a`],
    }),
  );
}

/** The instance ids registered with the target group now, sorted; draining ones are already on their way out. */
export async function registeredTargets(clients: AwsClients, arn: string): Promise<string[]> {
  const out = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (out.TargetHealthDescriptions ?? [])
    .filter((d) => d.TargetHealth?.State !== 'draining')
    .map((d) => d.Target!.Id!)
    .sort();
}
