/** Target groups for tests, made directly in the emulator (not through Bosun). */
import { CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../activities';

/** An HTTP target group of instances named `name`, on port 80, in the default VPC; its ARN. */
export async function createTargetGroup(clients: AwsClients, name: string): Promise<string> {
  const vpc = (await clients.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.find((v) => v.IsDefault)?.VpcId;
  const tg = await clients.elbv2.send(
    new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'instance' }),
  );
  return tg.TargetGroups![0]!.TargetGroupArn!;
}
