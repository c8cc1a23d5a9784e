import { z } from 'zod';
import { accountOf, ALWAYS, checkAccount, descriptionBase, regionSchema } from './common';

/**
 * Clean-up operations that name one AWS resource in one region by its name or id:
 * Clouddriver's DeleteAmazonLaunchConfiguration, DeleteLaunchTemplate, DeleteAmazonSnapshot and
 * DeleteAmazonImage descriptions. Each is `credentials` (or `account`), `region` and the
 * resource; none names a server group, and none is restricted to an application in Clouddriver.
 */

const required = (what: string) => (iss: { input: unknown }) => (iss.input === undefined ? 'is required' : `must be ${what} (a string)`);

/** The account and the region, both required, checked even when the resource field is wrong. */
function checkAccountAndRegion(
  d: { credentials?: string | undefined; account?: string | undefined; region?: string | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  checkAccount(d, ctx);
  if (d.region === undefined) ctx.addIssue({ code: 'custom', path: ['region'], message: 'is required' });
}

/** What every clean-up description normalises to, besides its resource. */
export interface RegionalResource {
  readonly account: string;
  readonly region: string;
  readonly application?: string | undefined;
}

/** `deleteLaunchConfiguration` (Clouddriver's key `deleteAmazonLaunchConfigurationAtomicOperationConverter` too). */
export const deleteLaunchConfigurationSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema.optional(),
    launchConfigurationName: z
      .string({ error: required('a launch configuration name') })
      .min(1, { error: 'must not be empty' })
      .max(255, { error: 'must be at most 255 characters' }),
  })
  .superRefine(checkAccountAndRegion, ALWAYS)
  .transform((d): DeleteLaunchConfiguration => ({
    account: accountOf(d),
    region: d.region!,
    launchConfigurationName: d.launchConfigurationName,
    application: d.application ?? d.moniker?.app,
  }));

export interface DeleteLaunchConfiguration extends RegionalResource {
  readonly launchConfigurationName: string;
}

export function describeDeleteLaunchConfiguration(d: DeleteLaunchConfiguration): string {
  return `delete launch configuration ${d.launchConfigurationName} in ${d.region}`;
}

/** `deleteLaunchTemplate` (Clouddriver's key `deleteAmazonLaunchTemplateAtomicOperationConverter` too): a template by id. */
export const deleteLaunchTemplateSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema.optional(),
    launchTemplateId: z
      .string({ error: required('a launch template id') })
      .regex(/^lt-[0-9a-f]+$/, { error: 'must be a launch template id such as lt-0123456789abcdef0' }),
  })
  .superRefine(checkAccountAndRegion, ALWAYS)
  .transform((d): DeleteLaunchTemplate => ({
    account: accountOf(d),
    region: d.region!,
    launchTemplateId: d.launchTemplateId,
    application: d.application ?? d.moniker?.app,
  }));

export interface DeleteLaunchTemplate extends RegionalResource {
  readonly launchTemplateId: string;
}

export function describeDeleteLaunchTemplate(d: DeleteLaunchTemplate): string {
  return `delete launch template ${d.launchTemplateId} in ${d.region}`;
}

/**
 * `deleteSnapshot` (Clouddriver's key `deleteAmazonSnapshotAtomicOperationConverter` too): an EBS
 * snapshot by id. DeleteAmazonSnapshotDescriptionValidator requires the region and the id.
 */
export const deleteSnapshotSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema.optional(),
    snapshotId: z
      .string({ error: required('a snapshot id') })
      .regex(/^snap-[0-9a-f]+$/, { error: 'must be a snapshot id such as snap-0123456789abcdef0' }),
  })
  .superRefine(checkAccountAndRegion, ALWAYS)
  .transform((d): DeleteSnapshot => ({
    account: accountOf(d),
    region: d.region!,
    snapshotId: d.snapshotId,
    application: d.application ?? d.moniker?.app,
  }));

export interface DeleteSnapshot extends RegionalResource {
  readonly snapshotId: string;
}

export function describeDeleteSnapshot(d: DeleteSnapshot): string {
  return `delete snapshot ${d.snapshotId} in ${d.region}`;
}

/** `deleteImage` (Clouddriver's key `deleteAmazonImageAtomicOperationConverter` too): deregisters an AMI by id. */
export const deleteImageSchema = z
  .looseObject({
    ...descriptionBase,
    region: regionSchema.optional(),
    imageId: z
      .string({ error: required('an image id') })
      .regex(/^ami-[0-9a-f]+$/, { error: 'must be an image id such as ami-0123456789abcdef0' }),
  })
  .superRefine(checkAccountAndRegion, ALWAYS)
  .transform((d): DeleteImage => ({
    account: accountOf(d),
    region: d.region!,
    imageId: d.imageId,
    application: d.application ?? d.moniker?.app,
  }));

export interface DeleteImage extends RegionalResource {
  readonly imageId: string;
}

export function describeDeleteImage(d: DeleteImage): string {
  return `deregister image ${d.imageId} in ${d.region}`;
}
