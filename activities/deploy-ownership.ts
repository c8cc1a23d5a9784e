/**
 * How a deploy recognises what it made: everything it creates carries the `bosun:created-by-task`
 * tag, so a retried attempt adopts its own resources and a rollback deletes only those.
 */
import type { LaunchTemplate } from '@aws-sdk/client-ec2';
import { DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from './aws-clients';
import { awsDescribe } from './aws-errors';

/** The value of one tag, from AWS's list of Key/Value pairs. */
export const tagOf = (tags: readonly { Key?: string; Value?: string }[] | undefined, key: string) =>
  tags?.find((t) => t.Key === key)?.Value;

/** Describes one launch template by name: `undefined` when there is none. */
export async function describeLaunchTemplateByName(c: AwsClients, name: string, region: string): Promise<LaunchTemplate | undefined> {
  const out = await awsDescribe(
    `DescribeLaunchTemplates ${name} in ${region}`,
    () => c.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] })),
    'launchTemplate',
  );
  return out?.LaunchTemplates?.[0];
}
