/**
 * The operations Bosun runs, keyed by Clouddriver's modern operation name, with the legacy
 * description keys Orca still posts (`resizeAsgDescription`, …). The facade validates with
 * these schemas; workflows receive the normalised descriptions they produce.
 */
import type { z } from 'zod';
import { parseServerGroupName } from '../frigga';
import { formatIssues } from './schemas/common';
import { parseAsJackson } from './schemas/jackson-input';
import type { FieldPolicy, UnsupportedField } from './field-policy';
import { unsupportedFieldMessage, unsupportedFieldsIn } from './field-policy';
import { CONTEXT_FIELDS, fieldPolicies } from './fields';
import type { AllowLaunch } from './schemas/allow-launch';
import { allowLaunchSchema, describeAllowLaunch } from './schemas/allow-launch';
import type { CloneDescription, DeployDescription } from './schemas/create-server-group';
import { cloneServerGroupSchema, createServerGroupSchema, describeClone, describeDeploy } from './schemas/create-server-group';
import type { ResizeServerGroup } from './schemas/resize-server-group';
import { describeResize, resizeServerGroupSchema, splitResizeByCapacity } from './schemas/resize-server-group';
import type { UpdateLaunchTemplate } from './schemas/update-launch-template';
import { describeUpdateLaunchTemplate, updateLaunchTemplateSchema } from './schemas/update-launch-template';
import type { UpdateLaunchConfig } from './schemas/update-launch-config';
import { describeUpdateLaunchConfig, updateLaunchConfigSchema } from './schemas/update-launch-config';
import type { UpsertScalingPolicy } from './schemas/upsert-scaling-policy';
import { describeUpsertScalingPolicy, upsertScalingPolicySchema } from './schemas/upsert-scaling-policy';
import type { DisableServerGroup, EnableServerGroup } from './schemas/enable-disable-server-group';
import { describeDisable, describeEnable, disableServerGroupSchema, enableServerGroupSchema } from './schemas/enable-disable-server-group';
import type { ResumeAsgProcesses, SuspendAsgProcesses } from './schemas/asg-processes';
import { asgProcessesSchema, describeResumeProcesses, describeSuspendProcesses } from './schemas/asg-processes';
import type { DestroyServerGroup } from './schemas/destroy-server-group';
import { describeDestroy, destroyServerGroupSchema } from './schemas/destroy-server-group';
import type { InstancesInRegion, TerminateInstanceAndDecrementServerGroup } from './schemas/instances';
import {
  describeRebootInstances,
  describeTerminateAndDecrement,
  describeTerminateInstances,
  instancesInRegionSchema,
  terminateInstanceAndDecrementSchema,
} from './schemas/instances';
import type { DeleteAsgTags, UpsertServerGroupTags } from './schemas/asg-tags';
import { deleteAsgTagsSchema, describeDeleteAsgTags, describeUpsertServerGroupTags, upsertServerGroupTagsSchema } from './schemas/asg-tags';
import type { ModifyAsg } from './schemas/modify-asg';
import { describeModifyAsg, modifyAsgSchema } from './schemas/modify-asg';
import type { DeleteScalingPolicy } from './schemas/delete-scaling-policy';
import { deleteScalingPolicySchema, describeDeleteScalingPolicy } from './schemas/delete-scaling-policy';
import type { UpsertAsgScheduledActions } from './schemas/asg-scheduled-actions';
import { describeUpsertAsgScheduledActions, upsertAsgScheduledActionsSchema } from './schemas/asg-scheduled-actions';
import type { UpsertAsgLifecycleHook } from './schemas/asg-lifecycle-hook';
import { describeUpsertAsgLifecycleHook, upsertAsgLifecycleHookSchema } from './schemas/asg-lifecycle-hook';
import type { DeleteAlarm, UpsertAlarm } from './schemas/alarms';
import { deleteAlarmSchema, describeDeleteAlarm, describeUpsertAlarm, upsertAlarmSchema } from './schemas/alarms';
import type { DeleteImage, DeleteLaunchConfiguration, DeleteLaunchTemplate, DeleteSnapshot } from './schemas/cleanup';
import {
  deleteImageSchema,
  deleteSnapshotSchema,
  describeDeleteImage,
  describeDeleteSnapshot,
  deleteLaunchConfigurationSchema,
  deleteLaunchTemplateSchema,
  describeDeleteLaunchConfiguration,
  describeDeleteLaunchTemplate,
} from './schemas/cleanup';
import type { UpsertImageTags } from './schemas/image-tags';
import { describeUpsertImageTags, upsertImageTagsSchema } from './schemas/image-tags';
import type { DetachInstances } from './schemas/detach-instances';
import { describeDetachInstances, detachInstancesSchema } from './schemas/detach-instances';
import type { InstanceRegistration } from './schemas/instance-registration';
import { describeDeregisterInstances, describeRegisterInstances, instanceRegistrationSchema } from './schemas/instance-registration';
import type { UpdateInstances } from './schemas/update-instances';
import { describeUpdateInstances, updateInstancesSchema } from './schemas/update-instances';
import type { DeleteSecurityGroup } from './schemas/security-groups';
import { deleteSecurityGroupSchema, describeDeleteSecurityGroup } from './schemas/security-groups';
import type { UpsertSecurityGroup } from './schemas/upsert-security-group';
import { describeUpsertSecurityGroup, upsertSecurityGroupSchema } from './schemas/upsert-security-group';
import type { DeleteLoadBalancer } from './schemas/load-balancer-deletion';
import { deleteLoadBalancerSchema, describeDeleteLoadBalancer } from './schemas/load-balancer-deletion';
import type { UpsertLoadBalancer } from './schemas/upsert-load-balancer';
import { describeUpsertLoadBalancer, upsertLoadBalancerSchema } from './schemas/upsert-load-balancer';

import type { RegionalDescription, RegionsDescription, ServerGroupsDescription, ServerGroupTarget } from './schemas/common';
import type { DeployWithStrategy } from './schemas/deploy-with-strategy';
import { deployWithStrategySchema, describeDeployWithStrategy } from './schemas/deploy-with-strategy';
import type { OperationName } from './catalog';
import { operationCatalog, operationNames } from './catalog';

export { operationCatalog, operationNames, phaseOf } from './catalog';
export { formatIssues, MAX_ASGS, MAX_REGIONS } from './schemas/common';
/** The descriptions the operations normalise to, and the names callers use for them. */
export type {
  AllowLaunch,
  CloneDescription,
  DeleteAlarm,
  DeleteAsgTags,
  DeleteImage,
  DeleteLaunchConfiguration,
  DeleteLaunchTemplate,
  DeleteLoadBalancer,
  DeleteScalingPolicy,
  DeleteSecurityGroup,
  DeleteSnapshot,
  DeployDescription,
  DeployWithStrategy,
  DestroyServerGroup,
  DetachInstances,
  DisableServerGroup,
  EnableServerGroup,
  FieldPolicy,
  InstanceRegistration,
  InstancesInRegion,
  ModifyAsg,
  OperationName,
  ResizeServerGroup,
  ResumeAsgProcesses,
  ServerGroupTarget,
  SuspendAsgProcesses,
  TerminateInstanceAndDecrementServerGroup,
  UnsupportedField,
  UpdateInstances,
  UpdateLaunchConfig,
  UpdateLaunchTemplate,
  UpsertAlarm,
  UpsertAsgLifecycleHook,
  UpsertAsgScheduledActions,
  UpsertImageTags,
  UpsertLoadBalancer,
  UpsertScalingPolicy,
  UpsertSecurityGroup,
  UpsertServerGroupTags,
};
export { hasNoEffect, unsupportedFieldMessage } from './field-policy';
export { CONTEXT_FIELDS, fieldPolicies } from './fields';
export { forwardedWhy, LAMBDA_KEYS } from './forwarded';

/** Where an operation acts: the search attributes and the onboarding flag read these. */
export interface OperationTargets {
  readonly account: string;
  readonly regions: readonly string[];
  readonly serverGroups: readonly string[];
  /** From the description (`application`, `moniker.app`) or the Frigga-parsed group name. */
  readonly application: string | undefined;
}

/** What the facade needs of an operation beyond its catalogue entry (names, legacy keys, phase). */
interface OperationSpec<T> {
  readonly schema: z.ZodType<T, unknown>;
  readonly targets: (d: T) => OperationTargets;
  /** One line for the Temporal UI: what this operation will do, with its numbers. */
  readonly summary: (d: T) => string;
}

const spec = <T>(s: OperationSpec<T>): OperationSpec<T> => s;

/** Targets of a description that names an account and server groups (most operations). */
export function serverGroupOperationTargets(d: ServerGroupsDescription): OperationTargets {
  return {
    account: d.account,
    regions: unique(d.targets.map((t) => t.region)),
    serverGroups: unique(d.targets.map((t) => t.serverGroupName)),
    application: d.application ?? appFromNames(d.targets.map((t) => t.serverGroupName)),
  };
}

/** Targets of a description that names instances in one region and no server group. */
function instanceOperationTargets(d: RegionalDescription): OperationTargets {
  return { account: d.account, regions: [d.region], serverGroups: [], application: d.application };
}

/** Targets of a description that names a resource (a security group, an image…) in several regions. */
function multiRegionTargets(d: RegionsDescription): OperationTargets {
  return { account: d.account, regions: [...d.regions], serverGroups: [], application: d.application };
}

/** Targets of a description that names one resource (a launch configuration, an image…) in one region. */
const regionalResourceTargets = instanceOperationTargets;

/** Targets of an instance registration: its group, when it names one. */
function registrationTargets(d: InstanceRegistration): OperationTargets {
  return {
    ...instanceOperationTargets(d),
    serverGroups: d.asgName ? [d.asgName] : [],
    application: d.application ?? appFromNames(d.asgName ? [d.asgName] : []),
  };
}

export const operationSpecs = {
  resizeServerGroup: spec<ResizeServerGroup>({
    schema: resizeServerGroupSchema,
    targets: serverGroupOperationTargets,
    summary: describeResize,
  }),
  enableServerGroup: spec<EnableServerGroup>({
    schema: enableServerGroupSchema,
    targets: serverGroupOperationTargets,
    summary: describeEnable,
  }),
  disableServerGroup: spec<DisableServerGroup>({
    schema: disableServerGroupSchema,
    targets: serverGroupOperationTargets,
    summary: describeDisable,
  }),
  suspendAsgProcessesDescription: spec<SuspendAsgProcesses>({
    schema: asgProcessesSchema,
    targets: serverGroupOperationTargets,
    summary: describeSuspendProcesses,
  }),
  resumeAsgProcessesDescription: spec<ResumeAsgProcesses>({
    schema: asgProcessesSchema,
    targets: serverGroupOperationTargets,
    summary: describeResumeProcesses,
  }),
  destroyServerGroup: spec<DestroyServerGroup>({
    schema: destroyServerGroupSchema,
    targets: serverGroupOperationTargets,
    summary: describeDestroy,
  }),
  terminateInstances: spec<InstancesInRegion>({
    schema: instancesInRegionSchema,
    targets: instanceOperationTargets,
    summary: describeTerminateInstances,
  }),
  rebootInstances: spec<InstancesInRegion>({
    schema: instancesInRegionSchema,
    targets: instanceOperationTargets,
    summary: describeRebootInstances,
  }),
  terminateInstanceAndDecrementServerGroup: spec<TerminateInstanceAndDecrementServerGroup>({
    schema: terminateInstanceAndDecrementSchema,
    targets: (d) => serverGroupOperationTargets({ ...d, targets: [{ serverGroupName: d.serverGroupName, region: d.region }] }),
    summary: describeTerminateAndDecrement,
  }),
  createServerGroup: spec<DeployDescription>({
    schema: createServerGroupSchema,
    // Names are chosen during the run; the workflow adds them to the search attributes then.
    targets: (d) => ({ account: d.account, regions: d.regions.map((r) => r.region), serverGroups: [], application: d.application }),
    summary: describeDeploy,
  }),
  cloneServerGroup: spec<CloneDescription>({
    schema: cloneServerGroupSchema,
    targets: (d) => ({
      account: d.account,
      regions: unique([...(d.overrides.regions ?? []).map((r) => r.region), ...(d.source ? [d.source.region] : [])]),
      serverGroups: d.source ? [d.source.serverGroupName] : [],
      application: d.application ?? (d.source ? appFromNames([d.source.serverGroupName]) : undefined),
    }),
    summary: describeClone,
  }),
  allowLaunchDescription: spec<AllowLaunch>({
    schema: allowLaunchSchema,
    targets: (d) => ({ account: d.targetAccount, regions: [d.region], serverGroups: [], application: undefined }),
    summary: describeAllowLaunch,
  }),
  updateLaunchTemplate: spec<UpdateLaunchTemplate>({
    schema: updateLaunchTemplateSchema,
    targets: serverGroupOperationTargets,
    summary: describeUpdateLaunchTemplate,
  }),
  upsertScalingPolicy: spec<UpsertScalingPolicy>({
    schema: upsertScalingPolicySchema,
    targets: serverGroupOperationTargets,
    summary: describeUpsertScalingPolicy,
  }),
  updateLaunchConfig: spec<UpdateLaunchConfig>({
    schema: updateLaunchConfigSchema,
    targets: serverGroupOperationTargets,
    summary: describeUpdateLaunchConfig,
  }),
  upsertServerGroupTags: spec<UpsertServerGroupTags>({
    schema: upsertServerGroupTagsSchema,
    targets: serverGroupOperationTargets,
    summary: describeUpsertServerGroupTags,
  }),
  deleteAsgTagsDescription: spec<DeleteAsgTags>({
    schema: deleteAsgTagsSchema,
    targets: serverGroupOperationTargets,
    summary: describeDeleteAsgTags,
  }),
  modifyAsgDescription: spec<ModifyAsg>({
    schema: modifyAsgSchema,
    targets: serverGroupOperationTargets,
    summary: describeModifyAsg,
  }),
  deleteScalingPolicy: spec<DeleteScalingPolicy>({
    schema: deleteScalingPolicySchema,
    targets: serverGroupOperationTargets,
    summary: describeDeleteScalingPolicy,
  }),
  upsertAsgScheduledActionsDescription: spec<UpsertAsgScheduledActions>({
    schema: upsertAsgScheduledActionsSchema,
    targets: serverGroupOperationTargets,
    summary: describeUpsertAsgScheduledActions,
  }),
  upsertAsgLifecycleHookDescription: spec<UpsertAsgLifecycleHook>({
    schema: upsertAsgLifecycleHookSchema,
    targets: serverGroupOperationTargets,
    summary: describeUpsertAsgLifecycleHook,
  }),
  upsertAlarmDescription: spec<UpsertAlarm>({
    schema: upsertAlarmSchema,
    targets: (d) => ({
      account: d.account,
      regions: [d.region],
      serverGroups: d.asgName ? [d.asgName] : [],
      application: d.application ?? (d.asgName ? appFromNames([d.asgName]) : undefined),
    }),
    summary: describeUpsertAlarm,
  }),
  deleteAlarmDescription: spec<DeleteAlarm>({
    schema: deleteAlarmSchema,
    targets: (d) => ({ account: d.account, regions: [d.region], serverGroups: [], application: d.application }),
    summary: describeDeleteAlarm,
  }),
  deleteLaunchConfiguration: spec<DeleteLaunchConfiguration>({
    schema: deleteLaunchConfigurationSchema,
    targets: regionalResourceTargets,
    summary: describeDeleteLaunchConfiguration,
  }),
  deleteLaunchTemplate: spec<DeleteLaunchTemplate>({
    schema: deleteLaunchTemplateSchema,
    targets: regionalResourceTargets,
    summary: describeDeleteLaunchTemplate,
  }),
  deleteSnapshot: spec<DeleteSnapshot>({
    schema: deleteSnapshotSchema,
    targets: regionalResourceTargets,
    summary: describeDeleteSnapshot,
  }),
  deleteImage: spec<DeleteImage>({
    schema: deleteImageSchema,
    targets: regionalResourceTargets,
    summary: describeDeleteImage,
  }),
  upsertImageTags: spec<UpsertImageTags>({
    schema: upsertImageTagsSchema,
    targets: multiRegionTargets,
    summary: describeUpsertImageTags,
  }),
  detachInstances: spec<DetachInstances>({
    schema: detachInstancesSchema,
    targets: serverGroupOperationTargets,
    summary: describeDetachInstances,
  }),
  registerInstancesWithLoadBalancer: spec<InstanceRegistration>({
    schema: instanceRegistrationSchema,
    targets: registrationTargets,
    summary: describeRegisterInstances,
  }),
  deregisterInstancesFromLoadBalancer: spec<InstanceRegistration>({
    schema: instanceRegistrationSchema,
    targets: registrationTargets,
    summary: describeDeregisterInstances,
  }),
  updateInstances: spec<UpdateInstances>({
    schema: updateInstancesSchema,
    targets: serverGroupOperationTargets,
    summary: describeUpdateInstances,
  }),
  deleteSecurityGroup: spec<DeleteSecurityGroup>({
    schema: deleteSecurityGroupSchema,
    targets: multiRegionTargets,
    summary: describeDeleteSecurityGroup,
  }),
  deleteLoadBalancer: spec<DeleteLoadBalancer>({
    schema: deleteLoadBalancerSchema,
    targets: multiRegionTargets,
    summary: describeDeleteLoadBalancer,
  }),
  upsertSecurityGroup: spec<UpsertSecurityGroup>({
    schema: upsertSecurityGroupSchema,
    targets: regionalResourceTargets,
    summary: describeUpsertSecurityGroup,
  }),
  upsertLoadBalancer: spec<UpsertLoadBalancer>({
    schema: upsertLoadBalancerSchema,
    targets: (d) => ({
      account: d.account,
      regions: d.regions.map((r) => r.region),
      serverGroups: [],
      application: d.application ?? appFromNames([d.name]),
    }),
    summary: describeUpsertLoadBalancer,
  }),
  deployWithStrategy: spec<DeployWithStrategy>({
    schema: deployWithStrategySchema,
    // The new group's name is chosen during the run; the workflow adds it to the search attributes then.
    targets: (d) => ({ account: d.deploy.account, regions: [d.region], serverGroups: [], application: d.deploy.application }),
    summary: describeDeployWithStrategy,
  }),
} as const satisfies Record<OperationName, unknown>;

type SchemaOutputOf<N extends OperationName> = (typeof operationSpecs)[N] extends OperationSpec<infer T> ? T : never;

/** One validated operation of a task, as workflows receive it. */
export type OperationRequest = { [N in OperationName]: { readonly name: N; readonly description: SchemaOutputOf<N> } }[OperationName];

/** The description an operation's workflow takes: what its schema reads a request into. */
export type DescriptionOf<N extends OperationName> = Extract<OperationRequest, { name: N }>['description'];

const byKey = new Map<string, OperationName>();
for (const name of operationNames) {
  byKey.set(name, name);
  for (const legacy of operationCatalog[name].legacyKeys) byKey.set(legacy, name);
}

/** Maps a posted key, modern or legacy, to the operation; undefined when Bosun does not run it. */
export function resolveOperationKey(key: string): OperationName | undefined {
  return byKey.get(key);
}

export function supportedOperationKeys(): string[] {
  return [...byKey.keys()].sort();
}

export type ParsedOperation = { ok: true; request: OperationRequest } | { ok: false; errors: string[] };

/**
 * One posted description as the descriptions Bosun runs: itself, except a resize whose `asgs`
 * entries carry different capacities, which becomes one resize per capacity.
 */
export function expandDescription(name: OperationName, description: unknown): unknown[] {
  return name === 'resizeServerGroup' ? splitResizeByCapacity(description) : [description];
}

/**
 * Validates one description as Clouddriver reads it (jackson-input.ts); `path` prefixes field
 * names in messages (`[0].resizeServerGroup`). A field Bosun does not run is refused by name: the
 * facade sends such a task to the legacy Clouddriver before it gets here, when one is configured.
 */
export function parseOperation(name: OperationName, description: unknown, path = ''): ParsedOperation {
  const unsupported = unsupportedFieldsIn(fieldPolicies[name], description);
  if (unsupported.length > 0) return { ok: false, errors: unsupported.map((f) => unsupportedFieldMessage(path, f)) };
  const schema = operationSpecs[name].schema as z.ZodType<unknown, unknown>;
  const result = parseAsJackson(schema, description);
  if (!result.success) return { ok: false, errors: formatIssues(result.error.issues, path) };
  return { ok: true, request: { name, description: result.data } as OperationRequest };
}

export function targetsOf(request: OperationRequest): OperationTargets {
  const s = operationSpecs[request.name] as OperationSpec<unknown>;
  return s.targets(request.description);
}

export function summaryOf(request: OperationRequest): string {
  const s = operationSpecs[request.name] as OperationSpec<unknown>;
  return s.summary(request.description);
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function appFromNames(names: readonly string[]): string | undefined {
  for (const n of names) {
    const parsed = parseServerGroupName(n);
    if (parsed) return parsed.app;
  }
  return undefined;
}

/** The fields of a posted description (modern or legacy key) that Bosun does not run; none for keys it does not know. */
export function unsupportedFieldsOf(key: string, description: unknown): UnsupportedField[] {
  const name = resolveOperationKey(key);
  return name ? unsupportedFieldsIn(fieldPolicies[name], description) : [];
}

/** The fields of an operation that send its task to the legacy Clouddriver, with why (`GET /routing`). */
export function routedFieldsOf(name: OperationName): Record<string, string> {
  return Object.fromEntries(Object.entries(fieldPolicies[name].routed).map(([field, rule]) => [field, rule.why]));
}

/** The top-level fields an operation's schema reads. */
export function schemaFieldsOf(name: OperationName): string[] {
  let s: unknown = operationSpecs[name].schema;
  // Unwrap pipes (a transform or preprocess) down to the object whose shape names the fields.
  for (let i = 0; i < 5; i++) {
    const def = (s as { def?: { type?: string; in?: unknown; out?: unknown } }).def;
    if (def?.type !== 'pipe') break;
    const inner = def.in as { def?: { type?: string } };
    s = inner.def?.type === 'transform' ? def.out : def.in;
  }
  const shape = (s as { shape?: Record<string, unknown> }).shape;
  if (!shape) throw new Error(`the schema of ${name} is not an object schema`);
  return Object.keys(shape);
}

/** One operation's fields by column (field-policy.ts), as the field table shows them. */
export interface FieldTable {
  readonly honoured: readonly string[];
  readonly routed: Readonly<Record<string, string>>;
  readonly unused: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, string>>;
  readonly context: Readonly<Record<string, string>>;
}

/**
 * The columns of `name`'s fields; `clouddriverFields` (the description class's, from
 * docs/reference/) tells the schema's Clouddriver fields (honoured) from Bosun's context fields.
 */
export function fieldTableOf(name: OperationName, clouddriverFields: readonly string[]): FieldTable {
  const policy: FieldPolicy = fieldPolicies[name];
  const known = new Set(clouddriverFields);
  const schema = schemaFieldsOf(name);
  const context = Object.fromEntries(Object.entries(CONTEXT_FIELDS).filter(([f]) => !known.has(f) && schema.includes(f)));
  return {
    honoured: schema.filter((f) => !(f in policy.extensions) && !(f in context)),
    routed: routedFieldsOf(name),
    unused: policy.unused,
    extensions: policy.extensions,
    context,
  };
}
