import { z } from 'zod';
import { accountSchema, ON_OBJECTS, regionSchema } from './common';

/**
 * Clouddriver's AllowLaunchDescription: make an AMI owned by `credentials` launchable in the
 * target account, and resolve it so a following deploy in the same task uses exactly that image.
 * The target is `targetAccount`, else `account` (AllowLaunchPreProcessor keeps the older form
 * where `account` named the target).
 */
export const allowLaunchSchema = z
  .looseObject({
    credentials: accountSchema.optional(),
    account: accountSchema.optional(),
    targetAccount: accountSchema.optional(),
    amiName: z.string({ error: 'is required (an AMI name or id)' }).min(1),
    region: regionSchema,
  })
  .superRefine((d, ctx) => {
    if (!d.targetAccount && !d.account) {
      ctx.addIssue({ code: 'custom', path: ['targetAccount'], message: 'is required (the account to allow the launch in)' });
    }
  }, ON_OBJECTS)
  .transform((d): AllowLaunch => {
    const targetAccount = (d.targetAccount ?? d.account)!;
    return { targetAccount, sourceAccount: d.credentials ?? targetAccount, amiName: d.amiName, region: d.region };
  });

export interface AllowLaunch {
  /** The account that will launch the image. */
  readonly targetAccount: string;
  /** The account that owns (or can see) the image. */
  readonly sourceAccount: string;
  readonly amiName: string;
  readonly region: string;
}

export function describeAllowLaunch(d: AllowLaunch): string {
  return `allow ${d.targetAccount} to launch ${d.amiName} in ${d.region}`;
}
