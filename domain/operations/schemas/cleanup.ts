import { z } from 'zod';
import type { RegionalDescription } from './common';
import { accountOf, ON_OBJECTS, applicationOf, checkAccountAndRegion, descriptionBase, regionSchema, requiredString } from './common';

/**
 * Clean-up operations that name one AWS resource in one region by its name or id:
 * Clouddriver's DeleteAmazonLaunchConfiguration, DeleteLaunchTemplate, DeleteAmazonSnapshot and
 * DeleteAmazonImage descriptions. Each is `credentials` (or `account`), `region` and the
 * resource; none names a server group, and none is restricted to an application in Clouddriver.
 */

/** What a clean-up description normalises to: the account, the region and the resource under `K`. */
export type RegionalResource<K extends string> = RegionalDescription & { readonly [P in K]: string };

/** `<what> <resource> in <region>`, the line a clean-up shows in the Temporal UI. */
function describeRegionalResource<K extends string>(what: string, key: K): (d: RegionalResource<K>) => string {
  return (d) => `${what} ${d[key]} in ${d.region}`;
}

/** A clean-up description: the account, the region and the resource under `key`. */
function regionalResourceSchema<K extends string>(key: K, resource: z.ZodType<string>) {
  // The resource's key is a type parameter here, so zod cannot type the parsed object: the
  // fields are read through their known shape.
  type Parsed = z.output<z.ZodObject<typeof descriptionBase>> & { region?: string | undefined } & Record<K, string>;
  return z
    .looseObject({ ...descriptionBase, region: regionSchema.optional(), ...({ [key]: resource } as Record<K, z.ZodType<string>>) })
    .superRefine((d, ctx) => checkAccountAndRegion(d as unknown as Parsed, ctx), ON_OBJECTS)
    .transform((input) => {
      const d = input as unknown as Parsed;
      return {
        account: accountOf(d),
        region: d.region!,
        [key]: d[key],
        application: applicationOf(d),
      } as RegionalResource<K>;
    });
}

/** `deleteLaunchConfiguration` (Clouddriver's key `deleteAmazonLaunchConfigurationAtomicOperationConverter` too). */
export const deleteLaunchConfigurationSchema = regionalResourceSchema(
  'launchConfigurationName',
  z
    .string({ error: requiredString('a launch configuration name') })
    .min(1, { error: 'must not be empty' })
    .max(255, { error: 'must be at most 255 characters' }),
);

export type DeleteLaunchConfiguration = RegionalResource<'launchConfigurationName'>;

export const describeDeleteLaunchConfiguration = describeRegionalResource('delete launch configuration', 'launchConfigurationName');

/** `deleteLaunchTemplate` (Clouddriver's key `deleteAmazonLaunchTemplateAtomicOperationConverter` too): a template by id. */
export const deleteLaunchTemplateSchema = regionalResourceSchema(
  'launchTemplateId',
  z
    .string({ error: requiredString('a launch template id') })
    .regex(/^lt-[0-9a-f]+$/, { error: 'must be a launch template id such as lt-0123456789abcdef0' }),
);

export type DeleteLaunchTemplate = RegionalResource<'launchTemplateId'>;

export const describeDeleteLaunchTemplate = describeRegionalResource('delete launch template', 'launchTemplateId');

/**
 * `deleteSnapshot` (Clouddriver's key `deleteAmazonSnapshotAtomicOperationConverter` too): an EBS
 * snapshot by id. DeleteAmazonSnapshotDescriptionValidator requires the region and the id.
 */
export const deleteSnapshotSchema = regionalResourceSchema(
  'snapshotId',
  z
    .string({ error: requiredString('a snapshot id') })
    .regex(/^snap-[0-9a-f]+$/, { error: 'must be a snapshot id such as snap-0123456789abcdef0' }),
);

export type DeleteSnapshot = RegionalResource<'snapshotId'>;

export const describeDeleteSnapshot = describeRegionalResource('delete snapshot', 'snapshotId');

/** `deleteImage` (Clouddriver's key `deleteAmazonImageAtomicOperationConverter` too): deregisters an AMI by id. */
export const deleteImageSchema = regionalResourceSchema(
  'imageId',
  z
    .string({ error: requiredString('an image id') })
    .regex(/^ami-[0-9a-f]+$/, { error: 'must be an image id such as ami-0123456789abcdef0' }),
);

export type DeleteImage = RegionalResource<'imageId'>;

export const describeDeleteImage = describeRegionalResource('deregister image', 'imageId');
