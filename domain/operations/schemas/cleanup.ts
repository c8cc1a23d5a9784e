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

/** A clean-up description: the account, the region and the resource under `key`. */
function regionalResourceSchema<K extends string>(key: K, resource: z.ZodType<string>) {
  // The resource's key is a type parameter here, so zod cannot type the parsed object: the
  // fields are read through their known shape.
  type Parsed = z.output<z.ZodObject<typeof descriptionBase>> & { region?: string | undefined } & Record<K, string>;
  return z
    .looseObject({ ...descriptionBase, region: regionSchema.optional(), ...({ [key]: resource } as Record<K, z.ZodType<string>>) })
    .superRefine((d, ctx) => checkAccountAndRegion(d as unknown as Parsed, ctx), ALWAYS)
    .transform((input) => {
      const d = input as unknown as Parsed;
      return {
        account: accountOf(d),
        region: d.region!,
        [key]: d[key],
        application: d.application ?? d.moniker?.app,
      } as RegionalResource & Record<K, string>;
    });
}

/** `deleteLaunchConfiguration` (Clouddriver's key `deleteAmazonLaunchConfigurationAtomicOperationConverter` too). */
export const deleteLaunchConfigurationSchema = regionalResourceSchema(
  'launchConfigurationName',
  z
    .string({ error: required('a launch configuration name') })
    .min(1, { error: 'must not be empty' })
    .max(255, { error: 'must be at most 255 characters' }),
);

export interface DeleteLaunchConfiguration extends RegionalResource {
  readonly launchConfigurationName: string;
}

export function describeDeleteLaunchConfiguration(d: DeleteLaunchConfiguration): string {
  return `delete launch configuration ${d.launchConfigurationName} in ${d.region}`;
}

/** `deleteLaunchTemplate` (Clouddriver's key `deleteAmazonLaunchTemplateAtomicOperationConverter` too): a template by id. */
export const deleteLaunchTemplateSchema = regionalResourceSchema(
  'launchTemplateId',
  z
    .string({ error: required('a launch template id') })
    .regex(/^lt-[0-9a-f]+$/, { error: 'must be a launch template id such as lt-0123456789abcdef0' }),
);

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
export const deleteSnapshotSchema = regionalResourceSchema(
  'snapshotId',
  z
    .string({ error: required('a snapshot id') })
    .regex(/^snap-[0-9a-f]+$/, { error: 'must be a snapshot id such as snap-0123456789abcdef0' }),
);

export interface DeleteSnapshot extends RegionalResource {
  readonly snapshotId: string;
}

export function describeDeleteSnapshot(d: DeleteSnapshot): string {
  return `delete snapshot ${d.snapshotId} in ${d.region}`;
}

/** `deleteImage` (Clouddriver's key `deleteAmazonImageAtomicOperationConverter` too): deregisters an AMI by id. */
export const deleteImageSchema = regionalResourceSchema(
  'imageId',
  z.string({ error: required('an image id') }).regex(/^ami-[0-9a-f]+$/, { error: 'must be an image id such as ami-0123456789abcdef0' }),
);

export interface DeleteImage extends RegionalResource {
  readonly imageId: string;
}

export function describeDeleteImage(d: DeleteImage): string {
  return `deregister image ${d.imageId} in ${d.region}`;
}
