import { z } from 'zod';
import type { IpIngress } from '../../security-group-rules';
import type { RegionalDescription } from './common';
import {
  accountOf,
  accountSchema,
  ON_OBJECTS,
  applicationOf,
  checkAccount,
  descriptionBase,
  ec2TagsSchema,
  regionSchema,
  requiredString,
  securityGroupNameSchema,
  vpcIdSchema,
} from './common';

/** AWS's limits: a group's name and description, its rules (a raised quota). */
const MAX_NAME = 255;
const MAX_RULES = 1000;

const port = z
  .number({ error: 'must be a port number (a whole number)' })
  .int({ error: 'must be a port number (a whole number)' })
  .min(-1, { error: 'must be -1 or more' })
  .max(65535, { error: 'must be at most 65535' });

/**
 * UpsertSecurityGroupDescription.Ingress: a protocol and port range. `type` is the deprecated
 * setter for `ipProtocol` (Jackson binds both to the same property). AWS needs a protocol, so an
 * entry without one is refused here rather than by AWS half-way through the task.
 */
const ingressBase = {
  ipProtocol: z.string({ error: 'must be a protocol (tcp, udp, icmp, -1 or a number)' }).min(1, { error: 'must not be empty' }).optional(),
  type: z.string({ error: 'must be a protocol (tcp, udp, icmp, -1 or a number)' }).min(1, { error: 'must not be empty' }).optional(),
  startPort: port.optional(),
  endPort: port.optional(),
};

const requireProtocol = (i: { ipProtocol?: string | undefined; type?: string | undefined }, ctx: z.core.$RefinementCtx) => {
  if (i.ipProtocol === undefined && i.type === undefined) {
    ctx.addIssue({ code: 'custom', path: ['ipProtocol'], message: 'is required (tcp, udp, icmp, -1 or a protocol number)' });
  }
};

const securityGroupIngressEntry = z
  .looseObject({
    ...ingressBase,
    name: z.string({ error: 'must be a security group name (a string)' }).min(1, { error: 'must not be empty' }).max(MAX_NAME).optional(),
    id: z
      .string({ error: 'must be a security group id (a string)' })
      .regex(/^sg-[0-9a-f]+$/, { error: 'must be a security group id such as sg-0123456789abcdef0' })
      .optional(),
    accountName: accountSchema.optional(),
    accountId: z
      .string({ error: 'must be a 12-digit AWS account id (a string)' })
      .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id' })
      .optional(),
    vpcId: vpcIdSchema.optional(),
  })
  .superRefine((i, ctx) => {
    requireProtocol(i, ctx);
    // UpsertSecurityGroupDescriptionValidator: "Ingress … was missing identifier".
    if (i.id === undefined && i.name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required: name the source group by name or id' });
    }
  }, ON_OBJECTS);

const ipIngressEntry = z
  .looseObject({
    ...ingressBase,
    cidr: z
      .string({ error: requiredString('a CIDR block') })
      .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, { error: 'must be a CIDR block such as 10.0.0.0/8 or ::/0' }),
    description: z.string({ error: 'must be a rule description (a string)' }).max(MAX_NAME).optional(),
  })
  .superRefine(requireProtocol, ON_OBJECTS);

/**
 * Clouddriver's UpsertSecurityGroupDescription (`upsertSecurityGroup`, legacy
 * `upsertSecurityGroupDescription`): the group `name` in `vpcId` (none: outside any VPC, as
 * Clouddriver compares it) in one `region`, created with `description` and `tags` when missing,
 * its ingress rules brought to `securityGroupIngress` (other groups, by name or id, in this or
 * another account) plus `ipIngress` (CIDR blocks); `ingressAppendOnly` keeps rules not asked for.
 */
export const upsertSecurityGroupSchema = z
  .looseObject({
    ...descriptionBase,
    name: securityGroupNameSchema,
    description: z
      .string({ error: 'must be a security group description (a string)' })
      .max(MAX_NAME, { error: `must be at most ${MAX_NAME} characters` })
      .optional(),
    vpcId: vpcIdSchema.optional(),
    region: z.string({ error: requiredString('an AWS region name') }).pipe(regionSchema),
    securityGroupIngress: z
      .array(securityGroupIngressEntry, { error: 'must be a list of {name or id, ipProtocol, startPort, endPort}' })
      .max(MAX_RULES, { error: `must list at most ${MAX_RULES} rules` })
      .optional(),
    ipIngress: z
      .array(ipIngressEntry, { error: 'must be a list of {cidr, ipProtocol, startPort, endPort}' })
      .max(MAX_RULES, { error: `must list at most ${MAX_RULES} rules` })
      .optional(),
    ingressAppendOnly: z.boolean({ error: 'must be true or false' }).optional(),
    tags: ec2TagsSchema
      // AWS refuses the whole create for a reserved key, where Clouddriver's separate tagging call
      // fails quietly and leaves the group untagged: refused here, by name, instead.
      .superRefine((t, ctx) => {
        for (const k of Object.keys(t)) {
          if (k.toLowerCase().startsWith('aws:'))
            ctx.addIssue({ code: 'custom', path: [k], message: 'must not start with aws: (reserved by AWS)' });
        }
      })
      .optional(),
  })
  // UpsertSecurityGroupDescriptionValidator: the account, the name, a description unless
  // ingressAppendOnly, an identifier on every group ingress, the region.
  .superRefine((d, ctx) => {
    checkAccount(d, ctx);
    if (!d.description && d.ingressAppendOnly !== true) {
      ctx.addIssue({ code: 'custom', path: ['description'], message: 'is required (unless ingressAppendOnly is true)' });
    }
  }, ON_OBJECTS)
  .transform((d): UpsertSecurityGroup => ({
    account: accountOf(d),
    region: d.region,
    name: d.name,
    description: d.description || undefined,
    vpcId: d.vpcId,
    securityGroupIngress: (d.securityGroupIngress ?? []).map((i) => ({
      name: i.name,
      id: i.id,
      accountName: i.accountName,
      accountId: i.accountId,
      vpcId: i.vpcId,
      ipProtocol: (i.ipProtocol ?? i.type)!,
      startPort: i.startPort,
      endPort: i.endPort,
    })),
    ipIngress: (d.ipIngress ?? []).map((i) => ({
      cidr: i.cidr,
      ipProtocol: (i.ipProtocol ?? i.type)!,
      startPort: i.startPort,
      endPort: i.endPort,
      description: i.description,
    })),
    ingressAppendOnly: d.ingressAppendOnly ?? false,
    tags: d.tags ?? {},
    application: applicationOf(d),
  }));

/**
 * A `securityGroupIngress` entry: another group by `id`, or by `name` (looked up in
 * `accountName`, default the description's account, and `vpcId`, default the description's).
 * Its `description` is not here: Clouddriver's converter never puts it on the rule.
 */
export interface SecurityGroupIngress {
  readonly name?: string | undefined;
  readonly id?: string | undefined;
  readonly accountName?: string | undefined;
  readonly accountId?: string | undefined;
  readonly vpcId?: string | undefined;
  readonly ipProtocol: string;
  readonly startPort?: number | undefined;
  readonly endPort?: number | undefined;
}

/** The normalised description of `upsertSecurityGroup`. */
export interface UpsertSecurityGroup extends RegionalDescription {
  readonly name: string;
  readonly description?: string | undefined;
  readonly vpcId?: string | undefined;
  readonly securityGroupIngress: readonly SecurityGroupIngress[];
  readonly ipIngress: readonly (IpIngress & { readonly cidr: string; readonly ipProtocol: string })[];
  readonly ingressAppendOnly: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

export function describeUpsertSecurityGroup(d: UpsertSecurityGroup): string {
  const rules = d.securityGroupIngress.length + d.ipIngress.length;
  return (
    `upsert security group ${d.name}${d.vpcId ? ` in ${d.vpcId}` : ''} in ${d.region}: ${rules} ingress rule${rules === 1 ? '' : 's'}` +
    (d.ingressAppendOnly ? ' (append only)' : '')
  );
}
