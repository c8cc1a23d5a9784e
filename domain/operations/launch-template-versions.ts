/**
 * Launch-template versions a task creates: what they change, in words, and the marker that lets
 * a retried attempt find the version it made. Zod-free, because workflow code uses it.
 */

/**
 * What a new launch-template version changes. Absent fields keep the source version's value
 * (AWS copies them from `SourceVersion`). `imageId` is always an id here: names are resolved
 * by an activity first.
 */
export interface LaunchTemplateChanges {
  readonly imageId?: string | undefined;
  readonly instanceType?: string | undefined;
  readonly keyPair?: string | undefined;
  /** Security group ids, or names the activity resolves in the group's VPC. */
  readonly securityGroups?: readonly string[] | undefined;
  /** With `securityGroups`: add them to the version's current groups instead of replacing them. */
  readonly securityGroupsAppendOnly?: boolean | undefined;
  /** Instance profile name. */
  readonly iamRole?: string | undefined;
  readonly base64UserData?: string | undefined;
  readonly instanceMonitoring?: boolean | undefined;
  readonly ebsOptimized?: boolean | undefined;
}

/** One readable phrase for the changes; user data is only measured, since it may hold secrets. */
export function formatLaunchTemplateChanges(c: LaunchTemplateChanges, amiName?: string): string {
  const parts: string[] = [];
  if (c.imageId) parts.push(`image ${c.imageId}${amiName ? ` (${amiName})` : ''}`);
  else if (amiName) parts.push(`image ${amiName}`);
  if (c.instanceType) parts.push(`instance type ${c.instanceType}`);
  if (c.keyPair) parts.push(`key pair ${c.keyPair}`);
  if (c.securityGroups) parts.push(`security groups ${c.securityGroupsAppendOnly ? '+ ' : ''}${c.securityGroups.join(', ')}`);
  if (c.iamRole) parts.push(`IAM role ${c.iamRole}`);
  if (c.base64UserData !== undefined) parts.push(`user data (${c.base64UserData.length} base64 characters)`);
  if (c.instanceMonitoring !== undefined) parts.push(`detailed monitoring ${c.instanceMonitoring ? 'on' : 'off'}`);
  if (c.ebsOptimized !== undefined) parts.push(`EBS optimization ${c.ebsOptimized ? 'on' : 'off'}`);
  return parts.join(', ');
}

/**
 * The token a task writes into the `VersionDescription` of the version it creates, so a retried
 * attempt finds that version instead of making a second one. `target` is the group's position
 * in the description, in case two of its groups share a template. Bracketed so operation 1
 * never matches operation 10.
 */
export function launchTemplateVersionMarker(taskId: string, index: number, target: number): string {
  return `[bosun ${taskId}#${index}.${target}]`;
}

/** AWS limits `VersionDescription` to 255 characters; the marker comes first so it survives. */
export function launchTemplateVersionDescription(marker: string, what: string): string {
  const text = `${marker} ${what}`;
  return text.length <= 255 ? text : `${text.slice(0, 254)}…`;
}

export function hasVersionMarker(versionDescription: string | undefined, marker: string): boolean {
  return versionDescription === marker || (versionDescription?.startsWith(`${marker} `) ?? false);
}
