import { z } from 'zod';
import { ON_OBJECTS, applicationOf, checkAccountAndTargets, descriptionBase, serverGroupRefShape, serverGroupsOf } from './common';
import type { LaunchTemplateChanges } from '../launch-template-versions';
import { formatLaunchTemplateChanges } from '../launch-template-versions';
import type { LaunchUpdate } from './launch-update';
import { base64UserDataSchema, describeLaunchUpdate, instanceTypeSchema, postedChangesOf } from './launch-update';

export type { LaunchTemplateChanges } from '../launch-template-versions';
export {
  formatLaunchTemplateChanges,
  hasVersionMarker,
  launchTemplateVersionDescription,
  launchTemplateVersionMarker,
} from '../launch-template-versions';

const changeFields = [
  'imageId',
  'amiName',
  'instanceType',
  'keyPair',
  'securityGroups',
  'iamRole',
  'base64UserData',
  'instanceMonitoring',
  'ebsOptimized',
] as const;

/**
 * Clouddriver's `ModifyServerGroupLaunchTemplateDescription`: the group (`serverGroupName` or
 * `asgName`, with `region`) and the launch-template fields to change; at least one is required.
 */
export const updateLaunchTemplateSchema = z
  .looseObject({
    ...descriptionBase,
    ...serverGroupRefShape,
    imageId: z
      .string()
      .regex(/^ami-[0-9a-f]{8,17}$/, { error: 'must be an AMI id such as ami-0abc1234' })
      .optional(),
    amiName: z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' }).optional(),
    instanceType: instanceTypeSchema.optional(),
    keyPair: z.string().min(1, { error: 'must not be empty' }).max(255, { error: 'must be at most 255 characters' }).optional(),
    // Names (what Deck sends) or ids; names are resolved in the group's VPC.
    securityGroups: z
      .array(
        z
          .string({ error: 'must be a security group name or id' })
          .min(1, { error: 'must be a security group name or id' })
          .max(255, { error: 'must be at most 255 characters' }),
        { error: 'must be a list of security group names or ids' },
      )
      .min(1, { error: 'must list at least one security group' })
      .max(64, { error: 'must list at most 64 security groups' })
      .optional(),
    securityGroupsAppendOnly: z.boolean({ error: 'must be true or false' }).optional(),
    iamRole: z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' }).optional(),
    base64UserData: base64UserDataSchema.optional(),
    instanceMonitoring: z.boolean({ error: 'must be true or false' }).optional(),
    ebsOptimized: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine(checkAccountAndTargets, ON_OBJECTS)
  .superRefine((d, ctx) => {
    if (changeFields.every((f) => d[f] === undefined)) {
      ctx.addIssue({ code: 'custom', message: `must change at least one of ${changeFields.join(', ')}` });
    }
  }, ON_OBJECTS)
  .transform((d): UpdateLaunchTemplate => ({
    ...serverGroupsOf(d),
    amiName: d.amiName,
    changes: {
      imageId: d.imageId,
      ...postedChangesOf(d),
      ...(d.securityGroups && d.securityGroupsAppendOnly ? { securityGroupsAppendOnly: true } : {}),
    },
    application: applicationOf(d),
  }));

/**
 * The normalised description the workflow receives. With `changes.imageId` and `amiName` both
 * given, the id wins and must carry this name.
 */
export type UpdateLaunchTemplate = LaunchUpdate<LaunchTemplateChanges>;

export function describeUpdateLaunchTemplate(d: UpdateLaunchTemplate): string {
  return describeLaunchUpdate('launch template', d, formatLaunchTemplateChanges(d.changes, d.amiName));
}
