/**
 * Launch templates and their versions: reading the version a group runs, making a new version
 * from it, pointing the group at a version, and taking a version back. Each function is one
 * idempotent step a workflow composes.
 */
import type { AutoScalingGroup, LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import type {
  _InstanceType,
  EC2Client,
  LaunchTemplateVersion,
  RequestLaunchTemplateData,
  ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplateVersionsCommand,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { LaunchTemplateChanges } from '../domain/operations/schemas/update-launch-template';
import { hasVersionMarker } from '../domain/operations/schemas/update-launch-template';
import { awsCall, awsDescribe, isAwsNotFound } from './aws-errors';
import { resolveSecurityGroupIds, vpcOfSubnets } from './security-groups';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

export interface LaunchTemplateVersionRef {
  readonly account: string;
  readonly region: string;
  /** Id or name; the id wins when both are known. */
  readonly launchTemplateId?: string | undefined;
  readonly launchTemplateName?: string | undefined;
  /** A version number, or `$Latest` / `$Default` as an Auto Scaling group may name it. */
  readonly version: string;
}

/** A version as workflows see it: which one it really is, and what they report about it. */
export interface LaunchTemplateVersionSnapshot {
  readonly launchTemplateId: string;
  readonly launchTemplateName: string;
  readonly versionNumber: number;
  readonly isDefault: boolean;
  readonly imageId: string | undefined;
  readonly instanceType: string | undefined;
}

export interface ResolveLaunchTemplateImageInput {
  readonly account: string;
  readonly region: string;
  readonly imageId?: string | undefined;
  readonly amiName?: string | undefined;
}

export interface CreateLaunchTemplateVersionInput {
  readonly account: string;
  readonly region: string;
  /** The group the version is for: named in messages (and what test faults match on). */
  readonly serverGroupName: string;
  readonly launchTemplateId: string;
  readonly sourceVersion: number;
  /** Written into `VersionDescription`; a version carrying it was made by this very step. */
  readonly marker: string;
  readonly versionDescription: string;
  /** AWS's own idempotency key for the create (at most 64 ASCII characters). */
  readonly clientToken: string;
  readonly changes: LaunchTemplateChanges;
}

export interface PointServerGroupInput {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly launchTemplateId: string;
  readonly version: string;
  /**
   * Change the group only while it still uses this version of the template (undo: never
   * overwrite what someone else set since).
   */
  readonly onlyIfCurrentVersion?: string | undefined;
}

export interface DeleteLaunchTemplateVersionInput {
  readonly account: string;
  readonly region: string;
  readonly serverGroupName: string;
  readonly launchTemplateId: string;
  readonly versionNumber: number;
}

/** Per-version codes in a DeleteLaunchTemplateVersions answer that mean "already gone". */
const VERSION_GONE = new Set(['launchTemplateVersionDoesNotExist', 'launchTemplateIdDoesNotExist', 'launchTemplateNameDoesNotExist']);

/** Activities on launch templates and their versions, as the update-launch-template workflow composes them. */
export function createLaunchTemplateActivities({ aws }: ActivityDeps) {
  async function describeVersion(ec2: EC2Client, ref: LaunchTemplateVersionRef): Promise<LaunchTemplateVersion | null> {
    const which = ref.launchTemplateId ? { LaunchTemplateId: ref.launchTemplateId } : { LaunchTemplateName: ref.launchTemplateName };
    try {
      const out = await awsCall(
        `DescribeLaunchTemplateVersions ${ref.launchTemplateId ?? ref.launchTemplateName} version ${ref.version} in ${ref.region}`,
        () => ec2.send(new DescribeLaunchTemplateVersionsCommand({ ...which, Versions: [ref.version] })),
      );
      return out.LaunchTemplateVersions?.[0] ?? null;
    } catch (err) {
      if (isAwsNotFound(err, 'launchTemplateVersion')) return null;
      throw err;
    }
  }

  /** Versions from `minVersion` on, page by page, until one carries `marker`. */
  async function findMarkedVersion(ec2: EC2Client, input: CreateLaunchTemplateVersionInput): Promise<LaunchTemplateVersion | undefined> {
    let nextToken: string | undefined;
    do {
      const out = await awsCall(
        `DescribeLaunchTemplateVersions ${input.launchTemplateId} from version ${input.sourceVersion} in ${input.region}`,
        () =>
          ec2.send(
            new DescribeLaunchTemplateVersionsCommand({
              LaunchTemplateId: input.launchTemplateId,
              MinVersion: String(input.sourceVersion),
              MaxResults: 200,
              NextToken: nextToken,
            }),
          ),
      );
      const found = out.LaunchTemplateVersions?.find((v) => hasVersionMarker(v.VersionDescription, input.marker));
      if (found) return found;
      nextToken = out.NextToken;
    } while (nextToken);
    return undefined;
  }

  async function describeGroup(account: string, region: string, serverGroupName: string): Promise<AutoScalingGroup> {
    const found = await describeOneServerGroup(aws.clientsFor(account, region).autoScaling, { serverGroupName, region });
    // Pointing a group that is being deleted at another version would change nothing that lasts.
    if (!found || found.deleting) {
      throw ApplicationFailure.nonRetryable(
        `server group ${serverGroupName} not found in ${region} (${account})`,
        FailureType.ServerGroupNotFound,
      );
    }
    return found.group;
  }

  /**
   * The version's security groups: names resolved to ids in the group's VPC (as Clouddriver's
   * SecurityGroupService does for launch settings), and with `securityGroupsAppendOnly` the
   * source version's groups first (PrepareModifyServerGroupLaunchTemplate: its primary
   * interface's groups; Bosun's own templates keep them in SecurityGroupIds, so those too).
   * A name not found fails before anything is created.
   */
  async function securityGroupIdsFor(
    input: CreateLaunchTemplateVersionInput,
    wanted: readonly string[],
    source: ResponseLaunchTemplateData | undefined,
  ): Promise<string[]> {
    const { autoScaling, ec2 } = aws.clientsFor(input.account, input.region);
    let ids = [...new Set(wanted)];
    if (wanted.some((g) => !g.startsWith('sg-'))) {
      const found = await describeOneServerGroup(autoScaling, input);
      const vpcId = await vpcOfSubnets(ec2, input.region, found?.group.VPCZoneIdentifier);
      ids = await resolveSecurityGroupIds(ec2, { ...input, vpcId }, wanted);
    }
    if (!input.changes.securityGroupsAppendOnly) return ids;
    const primary = (source?.NetworkInterfaces ?? []).find((n) => (n.DeviceIndex ?? 0) === 0);
    return [...new Set([...(primary?.Groups ?? []), ...(source?.SecurityGroupIds ?? []), ...ids])];
  }

  return {
    /**
     * Resolves a version as a group names it (`$Latest`, `$Default` or a number) to the version
     * it is now. `null` when the template or version does not exist.
     */
    async describeLaunchTemplateVersion(input: LaunchTemplateVersionRef): Promise<LaunchTemplateVersionSnapshot | null> {
      const v = await describeVersion(aws.clientsFor(input.account, input.region).ec2, input);
      if (!v?.LaunchTemplateId || v.VersionNumber === undefined) return null;
      return {
        launchTemplateId: v.LaunchTemplateId,
        launchTemplateName: v.LaunchTemplateName ?? v.LaunchTemplateId,
        versionNumber: v.VersionNumber,
        isDefault: v.DefaultVersion ?? false,
        imageId: v.LaunchTemplateData?.ImageId,
        instanceType: v.LaunchTemplateData?.InstanceType,
      };
    },

    /**
     * The AMI a launch template should use: by id (checked to exist, and to carry `amiName`
     * when both are given) or by name (the newest available image of that name the account can
     * launch). Not found is a business failure that names the image.
     */
    async resolveLaunchTemplateImage(input: ResolveLaunchTemplateImageInput): Promise<{ imageId: string; name: string | undefined }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const wanted = input.imageId ?? input.amiName;
      if (!wanted)
        throw ApplicationFailure.nonRetryable('resolveLaunchTemplateImage needs an imageId or an amiName', FailureType.InvalidInput);
      const out = await awsDescribe(
        `DescribeImages ${wanted} in ${input.region}`,
        () =>
          ec2.send(
            new DescribeImagesCommand(input.imageId ? { ImageIds: [input.imageId] } : { Filters: [{ Name: 'name', Values: [wanted] }] }),
          ),
        'image',
      );
      const image = (out?.Images ?? [])
        .filter((i) => i.ImageId && (i.State === undefined || i.State === 'available'))
        .sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
      if (!image?.ImageId) {
        throw ApplicationFailure.nonRetryable(
          `no available image ${input.imageId ? `with id ${input.imageId}` : `named ${input.amiName}`} in ${input.region} (${input.account})`,
          FailureType.ImageNotFound,
          { image: wanted, region: input.region, account: input.account },
        );
      }
      if (input.imageId && input.amiName && image.Name !== input.amiName) {
        throw ApplicationFailure.nonRetryable(
          `image ${input.imageId} in ${input.region} is named ${image.Name ?? '(no name)'}, not ${input.amiName}: give one of imageId and amiName`,
          FailureType.ImageMismatch,
        );
      }
      return { imageId: image.ImageId, name: image.Name };
    },

    /**
     * Creates a version of the template from `sourceVersion` with only the changed fields.
     * Idempotent twice over: a version carrying this step's marker is adopted instead of made
     * again, and AWS itself dedupes on `clientToken` (moto ignores the token; the marker is what
     * works there). Note moto also ignores `SourceVersion`: its new version holds only the
     * changed fields, where AWS copies the rest from the source.
     */
    async createLaunchTemplateVersion(input: CreateLaunchTemplateVersionInput): Promise<{ versionNumber: number; adopted: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const existing = await findMarkedVersion(ec2, input);
      if (existing?.VersionNumber !== undefined) return { versionNumber: existing.VersionNumber, adopted: true };

      const source = input.changes.securityGroups
        ? await describeVersion(ec2, { ...input, version: String(input.sourceVersion) })
        : undefined;
      const changes = input.changes.securityGroups
        ? { ...input.changes, securityGroups: await securityGroupIdsFor(input, input.changes.securityGroups, source?.LaunchTemplateData) }
        : input.changes;
      const out = await awsCall(
        `CreateLaunchTemplateVersion of ${input.launchTemplateId} from version ${input.sourceVersion} for ${input.serverGroupName} in ${input.region}`,
        () =>
          ec2.send(
            new CreateLaunchTemplateVersionCommand({
              LaunchTemplateId: input.launchTemplateId,
              SourceVersion: String(input.sourceVersion),
              VersionDescription: input.versionDescription,
              ClientToken: input.clientToken,
              LaunchTemplateData: launchTemplateData(changes, source?.LaunchTemplateData),
            }),
          ),
      );
      const versionNumber = out.LaunchTemplateVersion?.VersionNumber;
      if (versionNumber === undefined) {
        // Retrying is safe: the next attempt finds the version by its marker.
        throw ApplicationFailure.retryable(
          `CreateLaunchTemplateVersion of ${input.launchTemplateId} answered without a version number`,
          FailureType.IncompleteAnswer,
        );
      }
      return { versionNumber, adopted: false };
    },

    /**
     * Points the group at one version of a launch template (in its mixed-instances policy when
     * it has one). Setting what is already set changes nothing, so a retry is harmless.
     */
    async pointServerGroupAtLaunchTemplateVersion(
      input: PointServerGroupInput,
    ): Promise<{ changed: boolean; previousVersion: string | undefined }> {
      const group = await describeGroup(input.account, input.region, input.serverGroupName);
      const mixed = group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      const current: LaunchTemplateSpecification | undefined = group.LaunchTemplate ?? mixed;
      // AWS leaves Version out when the group was given none, which means $Default.
      const currentVersion = current ? (current.Version ?? '$Default') : undefined;
      const sameTemplate = current?.LaunchTemplateId === input.launchTemplateId;
      if (input.onlyIfCurrentVersion !== undefined && !(sameTemplate && currentVersion === input.onlyIfCurrentVersion)) {
        return { changed: false, previousVersion: currentVersion };
      }
      if (sameTemplate && currentVersion === input.version) return { changed: false, previousVersion: currentVersion };

      const spec = { LaunchTemplateId: input.launchTemplateId, Version: input.version };
      const { autoScaling } = aws.clientsFor(input.account, input.region);
      await awsCall(
        `UpdateAutoScalingGroup ${input.serverGroupName} in ${input.region} to version ${input.version} of ${input.launchTemplateId}`,
        () =>
          autoScaling.send(
            new UpdateAutoScalingGroupCommand({
              AutoScalingGroupName: input.serverGroupName,
              // AWS updates a mixed-instances policy field by field; the overrides stay.
              ...(mixed && !group.LaunchTemplate
                ? { MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: spec } } }
                : { LaunchTemplate: spec }),
            }),
          ),
      );
      return { changed: true, previousVersion: currentVersion };
    },

    /**
     * Deletes one version; a version (or template) that is already gone is success.
     *
     * On AWS this is one DeleteLaunchTemplateVersions call, which reports per-version failures
     * in its answer rather than as an error. moto does not implement the call: it answers an
     * HTML 500 that Temporal would retry until the retry window closes, so tests replace this
     * activity with a recording fake.
     */
    async deleteLaunchTemplateVersion(input: DeleteLaunchTemplateVersionInput): Promise<{ deleted: boolean }> {
      const { ec2 } = aws.clientsFor(input.account, input.region);
      const version = String(input.versionNumber);
      const existing = await describeVersion(ec2, { ...input, version });
      if (!existing) return { deleted: false };
      const what = `DeleteLaunchTemplateVersions ${input.launchTemplateId} version ${version} (${input.serverGroupName}) in ${input.region}`;
      let out;
      try {
        out = await awsCall(what, () =>
          ec2.send(new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: input.launchTemplateId, Versions: [version] })),
        );
      } catch (err) {
        if (isAwsNotFound(err, 'launchTemplateVersion')) return { deleted: false };
        throw err;
      }
      if (out.SuccessfullyDeletedLaunchTemplateVersions?.some((v) => v.VersionNumber === input.versionNumber)) return { deleted: true };
      const refusal = out.UnsuccessfullyDeletedLaunchTemplateVersions?.find((v) => v.VersionNumber === input.versionNumber)?.ResponseError;
      if (refusal?.Code && VERSION_GONE.has(refusal.Code)) return { deleted: false };
      throw ApplicationFailure.nonRetryable(
        `${what} refused: ${refusal?.Code ?? 'no answer for that version'}: ${refusal?.Message ?? ''}`.trim(),
        refusal?.Code ?? FailureType.LaunchTemplateVersionNotDeleted,
      );
    },
  };
}

/**
 * The fields a new version changes, in EC2's request shape. Security groups go on the primary
 * network interface when the source version defines interfaces, because AWS refuses
 * `SecurityGroupIds` next to `NetworkInterfaces`.
 */
export function launchTemplateData(c: LaunchTemplateChanges, source?: ResponseLaunchTemplateData): RequestLaunchTemplateData {
  const data: RequestLaunchTemplateData = {};
  if (c.imageId) data.ImageId = c.imageId;
  if (c.instanceType) data.InstanceType = c.instanceType as _InstanceType;
  if (c.keyPair) data.KeyName = c.keyPair;
  if (c.iamRole) data.IamInstanceProfile = { Name: c.iamRole };
  if (c.base64UserData !== undefined) data.UserData = c.base64UserData;
  if (c.instanceMonitoring !== undefined) data.Monitoring = { Enabled: c.instanceMonitoring };
  if (c.ebsOptimized !== undefined) data.EbsOptimized = c.ebsOptimized;
  if (c.securityGroups) {
    const groups = [...c.securityGroups];
    const nics = source?.NetworkInterfaces ?? [];
    const primary = nics.findIndex((n) => (n.DeviceIndex ?? 0) === 0);
    if (primary >= 0) {
      // NetworkInterfaces replaces the source's list as a whole, so each interface is carried
      // over with the settings launch templates commonly hold (ENA Express and connection
      // tracking settings are not copied).
      data.NetworkInterfaces = nics.map((n, i) => ({
        AssociatePublicIpAddress: n.AssociatePublicIpAddress,
        DeleteOnTermination: n.DeleteOnTermination,
        Description: n.Description,
        DeviceIndex: n.DeviceIndex,
        Groups: i === primary ? groups : n.Groups,
        InterfaceType: n.InterfaceType,
        Ipv6AddressCount: n.Ipv6AddressCount,
        Ipv6Addresses: n.Ipv6Addresses?.map((a) => ({ Ipv6Address: a.Ipv6Address })),
        NetworkInterfaceId: n.NetworkInterfaceId,
        PrivateIpAddress: n.PrivateIpAddress,
        PrivateIpAddresses: n.PrivateIpAddresses,
        SecondaryPrivateIpAddressCount: n.SecondaryPrivateIpAddressCount,
        SubnetId: n.SubnetId,
        NetworkCardIndex: n.NetworkCardIndex,
        Ipv4Prefixes: n.Ipv4Prefixes?.map((p) => ({ Ipv4Prefix: p.Ipv4Prefix })),
        Ipv4PrefixCount: n.Ipv4PrefixCount,
        Ipv6Prefixes: n.Ipv6Prefixes?.map((p) => ({ Ipv6Prefix: p.Ipv6Prefix })),
        Ipv6PrefixCount: n.Ipv6PrefixCount,
        PrimaryIpv6: n.PrimaryIpv6,
      }));
    } else {
      data.SecurityGroupIds = groups;
    }
  }
  return data;
}
