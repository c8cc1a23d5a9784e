import { z } from 'zod';

/** AWS allows up to 255 characters; Frigga names never hold white space or slashes. */
export const serverGroupNameSchema = z
  .string({ error: 'must be a server group name (a string)' })
  .min(1, { error: 'must not be empty' })
  .max(255, { error: 'must be at most 255 characters' })
  .regex(/^[A-Za-z0-9._~^-]+$/, { error: 'may hold only letters, digits and . _ ~ ^ -' });

export const regionSchema = z
  .string({ error: 'must be an AWS region name (a string)' })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'must be an AWS region name such as us-east-1' });

/** A VPC id, as EC2 spells it. */
export const vpcIdSchema = z
  .string({ error: 'must be a VPC id (a string)' })
  .regex(/^vpc-[0-9a-f]+$/, { error: 'must be a VPC id such as vpc-0123456789abcdef0' });

export const accountSchema = z
  .string({ error: 'must be an account name (a string)' })
  .min(1, { error: 'must not be empty' })
  .max(128, { error: 'must be at most 128 characters' });

/** A number of instances: a group's size, or a bound of it. */
export const instanceCountSchema = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be 0 or more' })
  .max(10_000, { error: 'must be at most 10000' });

/**
 * What every partial capacity must be, whatever its fields are called (`min`, `max`, `desired`;
 * a scheduled action's `minSize`, `maxSize`, `desiredCapacity`): at least one set, min not above max.
 */
export function checkPartialCapacity<K extends string>(
  c: { readonly [P in K]?: number | undefined },
  ctx: z.core.$RefinementCtx,
  [min, max, desired]: readonly [K, K, K],
): void {
  const [lo, hi] = [c[min], c[max]];
  if (lo === undefined && hi === undefined && c[desired] === undefined) {
    ctx.addIssue({ code: 'custom', message: `must set at least one of ${min}, ${max}, ${desired}` });
  }
  if (lo !== undefined && hi !== undefined && lo > hi) {
    ctx.addIssue({ code: 'custom', path: [min], message: `${min} ${lo} is greater than ${max} ${hi}` });
  }
}

/** Partial capacity, as Clouddriver accepts it: absent fields keep the group's current value. */
export const capacityRequestSchema = z
  .looseObject({
    min: instanceCountSchema.optional(),
    max: instanceCountSchema.optional(),
    desired: instanceCountSchema.optional(),
  })
  .superRefine((c, ctx) => {
    checkPartialCapacity(c, ctx, ['min', 'max', 'desired']);
    if (c.desired !== undefined && c.max !== undefined && c.desired > c.max) {
      ctx.addIssue({ code: 'custom', path: ['desired'], message: `desired ${c.desired} is greater than max ${c.max}` });
    }
    if (c.desired !== undefined && c.min !== undefined && c.desired < c.min) {
      ctx.addIssue({ code: 'custom', path: ['desired'], message: `desired ${c.desired} is less than min ${c.min}` });
    }
  });

/** Fields every Clouddriver description may carry; extra fields Orca sends are kept, not refused. */
export const descriptionBase = {
  credentials: accountSchema.optional(),
  account: accountSchema.optional(),
  application: z.string().min(1).optional(),
  moniker: z.looseObject({ app: z.string().min(1).optional() }).optional(),
};

/** A server group in one region: the unit most AWS operations act on. */
export interface ServerGroupTarget {
  readonly serverGroupName: string;
  readonly region: string;
}

/**
 * What every normalised description carries besides its own fields: the account it acts in
 * (Clouddriver's AbstractAmazonCredentialsDescription) and the application it is for.
 */
export interface AccountDescription {
  readonly account: string;
  readonly application?: string | undefined;
}

/** A normalised description that acts on server groups (Clouddriver's AsgDescription). */
export interface ServerGroupsDescription extends AccountDescription {
  readonly targets: readonly ServerGroupTarget[];
}

/** A normalised description that acts on exactly one server group, named by its own fields. */
export interface OneServerGroupDescription extends AccountDescription {
  /** Exactly one group. */
  readonly targets: readonly [ServerGroupTarget];
}

/** A normalised description that acts in one region. */
export interface RegionalDescription extends AccountDescription {
  readonly region: string;
}

/** A normalised description that acts in several regions. */
export interface RegionsDescription extends AccountDescription {
  /** Clouddriver's `Set<String> regions`: each region once, in the order posted. */
  readonly regions: readonly string[];
}

/** Limits on list fields, checked with the rest of the description (the body's size bounds the work). */
export const MAX_ASGS = 100;
export const MAX_REGIONS = 40;

/** AWS's limits on an EC2 or Auto Scaling tag, and on the tags of one resource. */
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;
export const MAX_TAGS = 50;

/** An EC2 resource's tags (an image's, a security group's): key to value, within AWS's limits. */
export const ec2TagsSchema = z
  .record(
    z
      .string()
      .min(1, { error: 'must not be an empty tag key' })
      .max(MAX_TAG_KEY, { error: `must be at most ${MAX_TAG_KEY} characters` }),
    z.string({ error: 'must be a tag value (a string)' }).max(MAX_TAG_VALUE, { error: `must be at most ${MAX_TAG_VALUE} characters` }),
    { error: 'must be a map of tag keys to values' },
  )
  .refine((t) => Object.keys(t).length <= MAX_TAGS, { error: `must set at most ${MAX_TAGS} tags` });

/**
 * One entry of `asgs`: `serverGroupName` (or the older `asgName`) and `region`. Entries may
 * carry more (a resize's own `capacity` and `constraints`): kept, not refused.
 */
export const asgEntrySchema = z
  .looseObject({ serverGroupName: serverGroupNameSchema.optional(), asgName: serverGroupNameSchema.optional(), region: regionSchema })
  .superRefine((a, ctx) => {
    if (!a.serverGroupName && !a.asgName) ctx.addIssue({ code: 'custom', path: ['serverGroupName'], message: 'is required' });
  });

/** `asgs` of a description that names its groups only there (modifyAsg, upsertAsgScheduledActions). */
export const requiredAsgsSchema = z
  .array(asgEntrySchema, { error: (iss) => (iss.input === undefined ? 'is required' : 'must be a list of {serverGroupName, region}') })
  .min(1, { error: 'must list at least one server group' })
  .max(MAX_ASGS, { error: `must list at most ${MAX_ASGS} server groups` });

/**
 * The ways Clouddriver descriptions name server groups: `serverGroupName` (or the legacy
 * `asgName`) with `region` (or `regions`), or a list `asgs: [{serverGroupName, region}]`.
 */
export const serverGroupRefShape = {
  serverGroupName: serverGroupNameSchema.optional(),
  asgName: serverGroupNameSchema.optional(),
  region: regionSchema.optional(),
  regions: z
    .array(regionSchema)
    .max(MAX_REGIONS, { error: `must list at most ${MAX_REGIONS} regions` })
    .optional(),
  asgs: z
    .array(asgEntrySchema)
    .max(MAX_ASGS, { error: `must list at most ${MAX_ASGS} server groups` })
    .optional(),
};

interface ServerGroupRefFields {
  serverGroupName?: string | undefined;
  asgName?: string | undefined;
  region?: string | undefined;
  regions?: string[] | undefined;
  asgs?: { serverGroupName?: string | undefined; asgName?: string | undefined; region: string }[] | undefined;
}

/** The account and the server groups of a description that names them with `serverGroupRefShape`. */
export function serverGroupsOf(
  d: ServerGroupRefFields & { credentials?: string | undefined; account?: string | undefined },
): Pick<ServerGroupsDescription, 'account' | 'targets'> {
  return { account: accountOf(d), targets: serverGroupTargets(d) };
}

/** Every server group a description names, once each, in the order given. */
export function serverGroupTargets(d: ServerGroupRefFields): ServerGroupTarget[] {
  // Also called on input that failed other checks: trust no shapes here.
  const asgs = Array.isArray(d.asgs) ? d.asgs.filter((a) => typeof a === 'object' && a !== null) : [];
  const targets: ServerGroupTarget[] = asgs.map((a) => ({ serverGroupName: (a.serverGroupName ?? a.asgName)!, region: a.region }));
  const name = d.serverGroupName ?? d.asgName;
  const regions = d.region ? [d.region] : Array.isArray(d.regions) ? d.regions : [];
  if (name) for (const region of regions) targets.push({ serverGroupName: name, region });
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.region}:${t.serverGroupName}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The application a description is for: `application`, or the one its `moniker` names. */
export function applicationOf(d: {
  application?: string | undefined;
  moniker?: { app?: string | undefined } | undefined;
}): string | undefined {
  return d.application ?? d.moniker?.app;
}

/** Clouddriver names the account `credentials` (and sometimes `account`). */
export function accountOf(d: { credentials?: string | undefined; account?: string | undefined }): string {
  return (d.credentials ?? d.account)!;
}

/** Every description names its account (`credentials`, or `account`). */
export function checkAccount(d: { credentials?: string | undefined; account?: string | undefined }, ctx: z.core.$RefinementCtx): void {
  if (!d.credentials && !d.account) ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'is required (the account name)' });
}

/**
 * The checks every server-group description needs: an account, and at least one group.
 * Pass `ON_OBJECTS` to superRefine so they run even when other fields are wrong,
 * and one 400 names every problem at once.
 */
export function checkAccountAndTargets(
  d: ServerGroupRefFields & { credentials?: string | undefined; account?: string | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  checkAccount(d, ctx);
  if (serverGroupTargets(d).length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['serverGroupName'],
      message: 'is required: name the group with serverGroupName and region, or list them in asgs',
    });
  }
}

/** The account and the region, both required (a description that acts in one region). */
export function checkAccountAndRegion(
  d: { credentials?: string | undefined; account?: string | undefined; region?: string | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  checkAccount(d, ctx);
  if (d.region === undefined) ctx.addIssue({ code: 'custom', path: ['region'], message: 'is required' });
}

/**
 * The checks of a description that names exactly one group by its own fields: the account, the
 * group's name (under `nameKey`, as the Clouddriver description spells it) and the region, each
 * required.
 */
export function checkAccountAndGroup<K extends 'serverGroupName' | 'asgName'>(nameKey: K) {
  return (
    d: { credentials?: string | undefined; account?: string | undefined; region?: string | undefined } & { [P in K]?: string | undefined },
    ctx: z.core.$RefinementCtx,
  ): void => {
    checkAccount(d, ctx);
    if (d[nameKey] === undefined) ctx.addIssue({ code: 'custom', path: [nameKey], message: 'is required' });
    if (d.region === undefined) ctx.addIssue({ code: 'custom', path: ['region'], message: 'is required' });
  };
}

/** A string field's error: `is required` when it is absent, what it must be otherwise. */
export const requiredString = (what: string) => (iss: { input: unknown }) =>
  iss.input === undefined ? 'is required' : `must be ${what} (a string)`;

/** A security group's name: required, and within AWS's 255 characters. */
export const securityGroupNameSchema = z
  .string({ error: requiredString('a security group name') })
  .min(1, { error: 'must not be empty' })
  .max(255, { error: 'must be at most 255 characters' });

/**
 * When a description's (or an entry's) cross-field checks run: on every object, also when some of
 * its fields failed their own checks, so that one answer names every problem. Not on a value that
 * is not an object at all: its own type error is already reported, and the checks read fields.
 */
export const ON_OBJECTS = { when: (p: { readonly value: unknown }) => typeof p.value === 'object' && p.value !== null } as const;

/**
 * One human-readable line per problem, naming the field: `capacity.min: must be 0 or more`.
 * Orca shows this text to the user, so it must say what to fix.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = 'is required';
    return path ? `${path}: ${message}` : message;
  });
}

/** `regions`: a list of region names, as descriptions that act in several regions name them. */
export const regionListSchema = z
  .array(regionSchema, { error: 'must be a list of AWS region names' })
  .max(MAX_REGIONS, { error: `must list at most ${MAX_REGIONS} regions` });

/** The account and the regions of a description that acts in several regions: each region once, in the order posted. */
export function accountAndRegionsOf(d: {
  credentials?: string | undefined;
  account?: string | undefined;
  regions?: readonly string[] | undefined;
}): Pick<RegionsDescription, 'account' | 'regions'> {
  return { account: accountOf(d), regions: [...new Set(d.regions ?? [])] };
}

/**
 * The account and at least one region (Clouddriver's validators: credentials, then
 * validateRegions, which rejects a missing or empty list).
 */
export function checkAccountAndRegions(
  d: { credentials?: string | undefined; account?: string | undefined; regions?: readonly string[] | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  checkAccount(d, ctx);
  if (d.regions === undefined || d.regions.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['regions'], message: 'is required (one region or more)' });
  }
}
