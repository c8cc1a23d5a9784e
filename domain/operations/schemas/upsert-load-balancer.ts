import { z } from 'zod';
import type { AccountDescription } from './common';
import { accountOf, ON_OBJECTS, applicationOf, descriptionBase, MAX_REGIONS, regionSchema } from './common';

/**
 * Clouddriver's `upsertLoadBalancer` (legacy `upsertAmazonLoadBalancerDescription`). The
 * converter reads `loadBalancerType` from the raw input: absent is `classic`, which binds
 * UpsertAmazonLoadBalancerClassicDescription and runs UpsertAmazonLoadBalancerAtomicOperation;
 * `application` and `network` bind UpsertAmazonLoadBalancerV2Description and run
 * UpsertAmazonLoadBalancerV2AtomicOperation (UpsertAmazonLoadBalancerAtomicOperationConverter.java).
 * The checks are CreateAmazonLoadBalancerDescriptionValidator's, each naming its field.
 */

const LOAD_BALANCER_TYPES = ['classic', 'application', 'network'] as const;
/** AWS SDK v1 ProtocolEnum, bound by its constant names as Jackson binds an enum. */
const V2_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE'] as const;
/** UpsertAmazonLoadBalancerClassicDescription.Listener.ListenerType. */
const CLASSIC_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'SSL'] as const;

const MAX_ITEMS = 100;
const int = (what = 'a whole number') => z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` });
const port = int('a port (a whole number from 1 to 65535)')
  .min(1, { error: 'must be a port (a whole number from 1 to 65535)' })
  .max(65535, { error: 'must be a port (a whole number from 1 to 65535)' });
const text = z.string({ error: 'must be a string' });
const list = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `must be a list of ${what}` }).max(MAX_ITEMS, { error: `must list at most ${MAX_ITEMS} ${what}` });
const v2Protocol = z.enum(V2_PROTOCOLS, { error: `must be one of ${V2_PROTOCOLS.join(', ')}` });
const classicProtocol = z.enum(CLASSIC_PROTOCOLS, { error: `must be one of ${CLASSIC_PROTOCOLS.join(', ')}` });

/** An AWS SDK v1 config object as Jackson binds it: its bean properties, read into the SDK v3 shape. */
const stringMap = z.record(z.string(), z.string(), { error: 'must be an object of strings' });

const oidcConfigSchema = z.looseObject({
  issuer: text.optional(),
  authorizationEndpoint: text.optional(),
  tokenEndpoint: text.optional(),
  userInfoEndpoint: text.optional(),
  clientId: text.optional(),
  clientSecret: text.optional(),
  sessionCookieName: text.optional(),
  scope: text.optional(),
  sessionTimeout: int().optional(),
  authenticationRequestExtraParams: stringMap.optional(),
  onUnauthenticatedRequest: text.optional(),
  useExistingClientSecret: z.boolean({ error: 'must be true or false' }).optional(),
});

const redirectConfigSchema = z.looseObject({
  protocol: text.optional(),
  port: text.optional(),
  host: text.optional(),
  path: text.optional(),
  query: text.optional(),
  statusCode: text.optional(),
});

const actionSchema = z.looseObject({
  type: text.optional(),
  targetGroupName: text.optional(),
  authenticateOidcActionConfig: oidcConfigSchema.optional(),
  redirectActionConfig: redirectConfigSchema.optional(),
});

const ruleSchema = z.looseObject({
  priority: text.optional(),
  actions: list(actionSchema, 'actions').optional(),
  conditions: list(z.looseObject({ field: text.optional(), values: list(text, 'values').optional() }), 'conditions').optional(),
});

/**
 * A listener of either description: the classic fields (`externalProtocol`, …) and the V2 ones
 * (`protocol`, `port`, …) share no name, so one shape reads both; the type picks which are required.
 */
const listenerSchema = z.looseObject({
  // UpsertAmazonLoadBalancerV2Description.Listener
  certificates: list(z.looseObject({ certificateArn: text.optional() }), 'certificates').optional(),
  protocol: v2Protocol.optional(),
  port: port.optional(),
  sslPolicy: text.optional(),
  defaultActions: list(actionSchema, 'actions').optional(),
  rules: list(ruleSchema, 'rules').optional(),
  // UpsertAmazonLoadBalancerClassicDescription.Listener
  externalProtocol: classicProtocol.optional(),
  internalProtocol: classicProtocol.optional(),
  externalPort: port.optional(),
  internalPort: port.optional(),
  sslCertificateId: text.optional(),
});

const attributesSchema = z.looseObject({
  deregistrationDelay: int().optional(),
  stickinessEnabled: z.boolean({ error: 'must be true or false' }).optional(),
  stickinessType: text.optional(),
  stickinessDuration: int().optional(),
  proxyProtocolV2: z.boolean({ error: 'must be true or false' }).optional(),
  deregistrationDelayConnectionTermination: z.boolean({ error: 'must be true or false' }).optional(),
  multiValueHeadersEnabled: z.boolean({ error: 'must be true or false' }).optional(),
});

const targetGroupSchema = z.looseObject({
  name: text.optional(),
  protocol: v2Protocol.optional(),
  port: port.optional(),
  attributes: attributesSchema.optional(),
  targetType: text.optional(),
  healthCheckProtocol: v2Protocol.optional(),
  healthCheckPath: text.optional(),
  healthCheckPort: text.optional(),
  healthCheckInterval: int().optional(),
  healthCheckTimeout: int().optional(),
  unhealthyThreshold: int().optional(),
  healthyThreshold: int().optional(),
  healthCheckMatcher: text.optional(),
});

export const upsertLoadBalancerSchema = z
  .looseObject({
    ...descriptionBase,
    loadBalancerType: z.enum(LOAD_BALANCER_TYPES, { error: 'must be classic, application or network' }).optional(),
    name: text.min(1, { error: 'must not be empty' }).max(32, { error: 'must be at most 32 characters' }).optional(),
    clusterName: text.min(1, { error: 'must not be empty' }).optional(),
    vpcId: text.optional(),
    isInternal: z.boolean({ error: 'must be true or false' }).optional(),
    subnetType: text.optional(),
    idleTimeout: int().min(1, { error: 'must be 1 or more' }).optional(),
    securityGroups: list(text, 'security group names').optional(),
    availabilityZones: z
      .record(regionSchema, list(text, 'availability zones'), { error: 'must map regions to lists of availability zones' })
      .optional(),
    // The classic description.
    listeners: list(listenerSchema, 'listeners').optional(),
    healthCheck: text.optional(),
    healthInterval: int().optional(),
    healthTimeout: int().optional(),
    unhealthyThreshold: int().optional(),
    healthyThreshold: int().optional(),
    crossZoneBalancing: z.boolean({ error: 'must be true or false' }).optional(),
    connectionDraining: z.boolean({ error: 'must be true or false' }).optional(),
    deregistrationDelay: int().optional(),
    // The application and network description.
    targetGroups: list(targetGroupSchema, 'target groups').optional(),
    deletionProtection: z.boolean({ error: 'must be true or false' }).optional(),
    loadBalancingCrossZone: z.boolean({ error: 'must be true or false' }).optional(),
    ipAddressType: text.optional(),
  })
  .superRefine((d, ctx) => {
    const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (!d.credentials && !d.account) add(['credentials'], 'is required (the account name)');
    if (d.name === undefined && d.clusterName === undefined) add(['clusterName'], 'is required when name is not given');
    if (d.subnetType === undefined && d.availabilityZones === undefined) {
      add(['availabilityZones'], 'is required when subnetType is not given');
    }
    if (d.availabilityZones && Object.keys(d.availabilityZones).length > MAX_REGIONS) {
      add(['availabilityZones'], `must name at most ${MAX_REGIONS} regions`);
    }
  }, ON_OBJECTS)
  // The checks of each type's fields, once the fields themselves are well formed.
  .superRefine((d, ctx) => {
    const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const type = d.loadBalancerType ?? 'classic';
    if (type === 'classic') {
      if ((d.listeners ?? []).length === 0) add(['listeners'], 'is required (one listener or more)');
      if (d.deregistrationDelay !== undefined && (d.deregistrationDelay < 1 || d.deregistrationDelay > 3600)) {
        add(['deregistrationDelay'], 'must be from 1 to 3600 seconds');
      }
      (d.listeners ?? []).forEach((l, i) => {
        if (l.externalProtocol === undefined) add(['listeners', i, 'externalProtocol'], 'is required');
        if (l.externalPort === undefined) add(['listeners', i, 'externalPort'], 'is required');
        if (l.internalPort === undefined) add(['listeners', i, 'internalPort'], 'is required');
      });
      return;
    }
    const targetGroups = d.targetGroups ?? [];
    if (targetGroups.length === 0) add(['targetGroups'], 'is required (one target group or more)');
    const names = new Set<string>();
    targetGroups.forEach((tg, i) => {
      if (!tg.name) add(['targetGroups', i, 'name'], 'is required');
      else if (names.has(tg.name)) add(['targetGroups', i, 'name'], `names ${tg.name} twice`);
      else names.add(tg.name);
      if ((tg.targetType ?? 'instance').toLowerCase() === 'lambda') {
        if (type !== 'application') add(['loadBalancerType'], 'must be application for a lambda target group');
      } else {
        if (tg.protocol === undefined) add(['targetGroups', i, 'protocol'], 'is required');
        if (tg.port === undefined) add(['targetGroups', i, 'port'], 'is required');
      }
    });
    const unused = new Set(names);
    const checkActions = (actions: readonly z.infer<typeof actionSchema>[], path: (string | number)[]) =>
      actions.forEach((a, k) => {
        const actionType = a.type ?? 'forward';
        if (actionType === 'forward') {
          if (!a.targetGroupName || !names.has(a.targetGroupName)) {
            add([...path, k, 'targetGroupName'], `must name one of the target groups (${[...names].join(', ') || 'none given'})`);
          }
          if (a.targetGroupName) unused.delete(a.targetGroupName);
        }
        if (actionType === 'authenticate-oidc' && !a.authenticateOidcActionConfig?.clientId) {
          add([...path, k, 'authenticateOidcActionConfig', 'clientId'], 'is required');
        }
      });
    const ports = new Set<number>();
    (d.listeners ?? []).forEach((l, i) => {
      if ((l.defaultActions ?? []).length === 0) add(['listeners', i, 'defaultActions'], 'is required (one action or more)');
      checkActions(l.defaultActions ?? [], ['listeners', i, 'defaultActions']);
      (l.rules ?? []).forEach((r, j) => {
        checkActions(r.actions ?? [], ['listeners', i, 'rules', j, 'actions']);
        if (r.priority === undefined || !/^\d+$/.test(r.priority.trim())) {
          add(['listeners', i, 'rules', j, 'priority'], 'must be a rule priority (a whole number)');
        }
      });
      if (l.protocol === undefined) add(['listeners', i, 'protocol'], 'is required');
      if (l.port === undefined) add(['listeners', i, 'port'], 'is required');
      else if (ports.has(l.port)) add(['listeners', i, 'port'], 'Multiple listeners cannot use the same port');
      else ports.add(l.port);
    });
    if (unused.size > 0) add(['targetGroups'], `lists target groups no listener uses: ${[...unused].join(', ')}`);
  })
  .transform((d): UpsertLoadBalancer => {
    const type = d.loadBalancerType ?? 'classic';
    const base = {
      account: accountOf(d),
      application: applicationOf(d),
      name: d.name ?? `${d.clusterName}-frontend`,
      regions: Object.entries(d.availabilityZones ?? {}).map(([region, zones]) => ({ region, zones: [...new Set(zones)] })),
      vpcId: d.vpcId,
      // UpsertAmazonLoadBalancer*AtomicOperation: "maintains bwc with the contains internal check".
      isInternal: d.isInternal ?? d.subnetType?.includes('internal') ?? false,
      subnetType: d.subnetType,
      idleTimeout: d.idleTimeout ?? 60,
      securityGroups: [...new Set(d.securityGroups ?? [])],
    };
    if (type === 'classic') {
      return {
        ...base,
        type,
        listeners: (d.listeners ?? []).map((l) => {
          const protocol = l.externalProtocol!;
          return {
            protocol,
            loadBalancerPort: l.externalPort!,
            instanceProtocol: l.internalProtocol ?? protocol,
            instancePort: l.internalPort!,
            sslCertificateId: l.sslCertificateId || undefined,
          };
        }),
        healthCheck: d.healthCheck || undefined,
        healthInterval: d.healthInterval ?? 10,
        healthTimeout: d.healthTimeout ?? 5,
        unhealthyThreshold: d.unhealthyThreshold ?? 2,
        healthyThreshold: d.healthyThreshold ?? 10,
        crossZoneBalancing: d.crossZoneBalancing,
        connectionDraining: d.connectionDraining,
        deregistrationDelay: d.deregistrationDelay,
      };
    }
    return {
      ...base,
      type,
      targetGroups: (d.targetGroups ?? []).map((tg) => ({
        name: tg.name!,
        protocol: tg.protocol,
        port: tg.port,
        attributes: tg.attributes
          ? {
              deregistrationDelay: tg.attributes.deregistrationDelay,
              stickinessEnabled: tg.attributes.stickinessEnabled,
              stickinessType: tg.attributes.stickinessType,
              stickinessDuration: tg.attributes.stickinessDuration,
              proxyProtocolV2: tg.attributes.proxyProtocolV2,
              deregistrationDelayConnectionTermination: tg.attributes.deregistrationDelayConnectionTermination,
              multiValueHeadersEnabled: tg.attributes.multiValueHeadersEnabled,
            }
          : undefined,
        targetType: tg.targetType ?? 'instance',
        healthCheckProtocol: tg.healthCheckProtocol,
        healthCheckPath: tg.healthCheckPath,
        healthCheckPort: tg.healthCheckPort,
        healthCheckInterval: tg.healthCheckInterval ?? 10,
        healthCheckTimeout: tg.healthCheckTimeout ?? 5,
        unhealthyThreshold: tg.unhealthyThreshold ?? 2,
        healthyThreshold: tg.healthyThreshold ?? 10,
        healthCheckMatcher: tg.healthCheckMatcher ?? '200-299',
      })),
      listeners: (d.listeners ?? []).map((l) => ({
        protocol: l.protocol!,
        port: l.port!,
        certificateArns: l.certificates?.flatMap((c) => (c.certificateArn ? [c.certificateArn] : [])),
        sslPolicy: l.sslPolicy,
        defaultActions: (l.defaultActions ?? []).map(actionOf),
        rules: (l.rules ?? []).map((r) => ({
          priority: Number(r.priority!.trim()),
          actions: (r.actions ?? []).map(actionOf),
          conditions: (r.conditions ?? []).map((c) => ({ field: c.field ?? '', values: c.values ?? [] })),
        })),
      })),
      deletionProtection: d.deletionProtection ?? false,
      loadBalancingCrossZone: d.loadBalancingCrossZone,
      ipAddressType: d.ipAddressType ?? 'ipv4',
    };
  });

function actionOf(a: z.infer<typeof actionSchema>): LoadBalancerAction {
  const o = a.authenticateOidcActionConfig;
  const r = a.redirectActionConfig;
  return {
    type: a.type ?? 'forward',
    targetGroupName: a.targetGroupName,
    oidc: o && {
      Issuer: o.issuer,
      AuthorizationEndpoint: o.authorizationEndpoint,
      TokenEndpoint: o.tokenEndpoint,
      UserInfoEndpoint: o.userInfoEndpoint,
      ClientId: o.clientId,
      ClientSecret: o.clientSecret,
      SessionCookieName: o.sessionCookieName,
      Scope: o.scope,
      SessionTimeout: o.sessionTimeout,
      AuthenticationRequestExtraParams: o.authenticationRequestExtraParams,
      OnUnauthenticatedRequest: o.onUnauthenticatedRequest,
      UseExistingClientSecret: o.useExistingClientSecret,
    },
    redirect: r && { Protocol: r.protocol, Port: r.port, Host: r.host, Path: r.path, Query: r.query, StatusCode: r.statusCode },
  };
}

/** An action of a listener or a rule; `oidc` and `redirect` in the AWS SDK's shape. */
export interface LoadBalancerAction {
  readonly type: string;
  readonly targetGroupName?: string | undefined;
  readonly oidc?: Readonly<Record<string, unknown>> | undefined;
  readonly redirect?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface TargetGroupDescription {
  readonly name: string;
  readonly protocol?: string | undefined;
  readonly port?: number | undefined;
  readonly attributes?:
    | {
        readonly deregistrationDelay?: number | undefined;
        readonly stickinessEnabled?: boolean | undefined;
        readonly stickinessType?: string | undefined;
        readonly stickinessDuration?: number | undefined;
        readonly proxyProtocolV2?: boolean | undefined;
        readonly deregistrationDelayConnectionTermination?: boolean | undefined;
        readonly multiValueHeadersEnabled?: boolean | undefined;
      }
    | undefined;
  readonly targetType: string;
  readonly healthCheckProtocol?: string | undefined;
  readonly healthCheckPath?: string | undefined;
  readonly healthCheckPort?: string | undefined;
  readonly healthCheckInterval: number;
  readonly healthCheckTimeout: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly healthCheckMatcher: string;
}

export interface ListenerDescription {
  readonly protocol: string;
  readonly port: number;
  readonly certificateArns?: readonly string[] | undefined;
  readonly sslPolicy?: string | undefined;
  readonly defaultActions: readonly LoadBalancerAction[];
  readonly rules: readonly {
    readonly priority: number;
    readonly actions: readonly LoadBalancerAction[];
    readonly conditions: readonly { readonly field: string; readonly values: readonly string[] }[];
  }[];
}

export interface ClassicListener {
  readonly protocol: string;
  readonly loadBalancerPort: number;
  readonly instanceProtocol: string;
  readonly instancePort: number;
  readonly sslCertificateId?: string | undefined;
}

interface UpsertLoadBalancerBase extends AccountDescription {
  /** `name`, or `<clusterName>-frontend`. */
  readonly name: string;
  /** `availabilityZones`: each region with its zones, in the order posted. */
  readonly regions: readonly { readonly region: string; readonly zones: readonly string[] }[];
  readonly vpcId?: string | undefined;
  readonly isInternal: boolean;
  readonly subnetType?: string | undefined;
  readonly idleTimeout: number;
  /** Security group names, resolved in `vpcId`. */
  readonly securityGroups: readonly string[];
}

export interface UpsertClassicLoadBalancer extends UpsertLoadBalancerBase {
  readonly type: 'classic';
  readonly listeners: readonly ClassicListener[];
  readonly healthCheck?: string | undefined;
  readonly healthInterval: number;
  readonly healthTimeout: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly crossZoneBalancing?: boolean | undefined;
  readonly connectionDraining?: boolean | undefined;
  readonly deregistrationDelay?: number | undefined;
}

export interface UpsertLoadBalancerV2 extends UpsertLoadBalancerBase {
  readonly type: 'application' | 'network';
  readonly targetGroups: readonly TargetGroupDescription[];
  readonly listeners: readonly ListenerDescription[];
  readonly deletionProtection: boolean;
  readonly loadBalancingCrossZone?: boolean | undefined;
  readonly ipAddressType: string;
}

export type UpsertLoadBalancer = UpsertClassicLoadBalancer | UpsertLoadBalancerV2;

export function describeUpsertLoadBalancer(d: UpsertLoadBalancer): string {
  const kind = d.type === 'classic' ? 'classic load balancer' : `${d.type} load balancer`;
  return `upsert ${kind} ${d.name} in ${d.regions.map((r) => r.region).join(', ') || 'no region'}`;
}
