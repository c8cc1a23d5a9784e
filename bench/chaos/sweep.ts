/**
 * After a run: what is in the emulator for this run's applications, set against what the
 * client was told. A group is explained only by a deploy that succeeded and no destroy that
 * succeeded since; everything else with the run's prefix (groups, launch templates, instances)
 * is leaked. A deploy's resources are duplicated when AWS created more distinct groups or launch
 * templates in a cluster than deploys were posted for it (from the recorder, so a duplicate
 * that a later destroy removed still counts).
 */
import { paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';
import { paginateDescribeInstances, paginateDescribeLaunchTemplates } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../activities';
import { parseServerGroupName } from '../../domain/frigga';
import { emulatorAwsProvider } from '../../test/support/stack';
import type { Creation } from './aws-recorder';
import { ACCOUNT, REGION } from './workload';

/** Clients straight to moto (not through the fault proxy) in `account`, destroyed once `use` is done. */
export async function withMoto<T>(endpoint: string, use: (c: AwsClients) => Promise<T>, account = ACCOUNT): Promise<T> {
  // Retried by the SDK: a read after the run must not fail on one slow answer of a busy emulator.
  const aws = emulatorAwsProvider(endpoint, 5);
  try {
    return await use(aws.clientsFor(account, REGION));
  } finally {
    aws.destroy();
  }
}

export interface EmulatorGroup {
  readonly name: string;
  readonly instances: number;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  readonly suspendedProcesses: readonly string[];
  readonly tagKeys: readonly string[];
}

export interface EmulatorState {
  readonly groups: readonly EmulatorGroup[];
  readonly launchTemplates: readonly string[];
  /** Running or pending instances: id and the group AWS says launched it. */
  readonly instances: readonly { id: string; group: string | undefined }[];
}

/** Reads the emulator directly (not through the fault proxy), for the given name prefix. */
export function readEmulator(endpoint: string, prefix: string): Promise<EmulatorState> {
  return withMoto(endpoint, async ({ autoScaling, ec2 }) => {
    const groups: EmulatorGroup[] = [];
    for await (const out of paginateDescribeAutoScalingGroups({ client: autoScaling }, { MaxRecords: 100 })) {
      for (const g of out.AutoScalingGroups ?? []) {
        if (!g.AutoScalingGroupName?.startsWith(prefix)) continue;
        groups.push({
          name: g.AutoScalingGroupName,
          instances: g.Instances?.length ?? 0,
          min: g.MinSize ?? 0,
          desired: g.DesiredCapacity ?? 0,
          max: g.MaxSize ?? 0,
          suspendedProcesses: (g.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? ''),
          tagKeys: (g.Tags ?? []).map((t) => t.Key ?? ''),
        });
      }
    }
    const launchTemplates: string[] = [];
    for await (const out of paginateDescribeLaunchTemplates({ client: ec2 }, { MaxResults: 200 })) {
      for (const t of out.LaunchTemplates ?? []) if (t.LaunchTemplateName?.startsWith(prefix)) launchTemplates.push(t.LaunchTemplateName);
    }
    const instances: { id: string; group: string | undefined }[] = [];
    const states = [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }];
    for await (const out of paginateDescribeInstances({ client: ec2 }, { Filters: states, MaxResults: 1000 })) {
      for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
        const group = tags['aws:autoscaling:groupName'];
        if ((group ?? tags['chaos:app'] ?? '').startsWith(prefix)) instances.push({ id: i.InstanceId ?? '', group });
      }
    }
    return { groups, launchTemplates, instances };
  });
}

export interface Leaks {
  readonly groups: readonly string[];
  readonly launchTemplates: readonly string[];
  readonly instances: readonly string[];
  /** Groups a successful deploy reported, not destroyed since, that are not there. */
  readonly missingGroups: readonly string[];
}

/** `expected`: groups that succeeded deploys made and no succeeded destroy removed. */
export function findLeaks(state: EmulatorState, expected: ReadonlySet<string>): Leaks {
  const present = new Set(state.groups.map((g) => g.name));
  const explained = new Set([...expected].filter((g) => present.has(g)));
  return {
    groups: state.groups.map((g) => g.name).filter((g) => !explained.has(g)),
    launchTemplates: state.launchTemplates.filter((t) => !explained.has(t)),
    instances: state.instances.filter((i) => !i.group || !explained.has(i.group)).map((i) => `${i.id} (${i.group ?? 'no group'})`),
    missingGroups: [...expected].filter((g) => !present.has(g)),
  };
}

export interface Duplicates {
  /** Per cluster with more distinct creations than deploys posted: what was made. */
  readonly clusters: readonly {
    cluster: string;
    intendedDeploys: number;
    groupsCreated: readonly string[];
    launchTemplatesCreated: readonly string[];
  }[];
  readonly extraGroups: number;
  readonly extraLaunchTemplates: number;
}

export function findDuplicates(
  creations: readonly Creation[],
  intendedDeploysByCluster: ReadonlyMap<string, number>,
  prefix: string,
): Duplicates {
  const byCluster = new Map<string, { groups: Set<string>; lts: Set<string> }>();
  for (const c of creations) {
    if (!c.name.startsWith(prefix) || c.action === 'RunInstances') continue;
    const cluster = parseServerGroupName(c.name)?.cluster ?? c.name;
    const entry = byCluster.get(cluster) ?? { groups: new Set<string>(), lts: new Set<string>() };
    (c.action === 'CreateAutoScalingGroup' ? entry.groups : entry.lts).add(c.name);
    byCluster.set(cluster, entry);
  }
  const clusters: Duplicates['clusters'][number][] = [];
  let extraGroups = 0;
  let extraLaunchTemplates = 0;
  for (const [cluster, made] of byCluster) {
    const intended = intendedDeploysByCluster.get(cluster) ?? 0;
    const g = Math.max(0, made.groups.size - intended);
    const l = Math.max(0, made.lts.size - intended);
    if (g + l === 0) continue;
    extraGroups += g;
    extraLaunchTemplates += l;
    clusters.push({
      cluster,
      intendedDeploys: intended,
      groupsCreated: [...made.groups].sort(),
      launchTemplatesCreated: [...made.lts].sort(),
    });
  }
  return { clusters, extraGroups, extraLaunchTemplates };
}
