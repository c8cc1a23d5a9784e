import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CLUSTER_LEASE_WORKFLOW, leaseHeldBySignal, leaseIdOf, whoHoldsSignal } from '../cluster-lease';
import type { Capacity } from '../../domain/capacity';
import { formatCapacity } from '../../domain/capacity';
import { FailureType } from '../../domain/failures';
import type { DeployWithStrategy } from '../../domain/operations/schemas/deploy-with-strategy';
import type { ServerGroupSnapshot } from '../../domain/server-group';
import type { Gate, GateAt } from '../../domain/strategy';
import { describeHealth, isUp, rollingCapacity, rollingSteps, trafficGuardProblem, upTarget } from '../../domain/strategy';
import { SearchAttributes } from '../../domain/search-attributes';
import type { TaskOutput } from '../../domain/task';
import type { DeployControl, DeployStatus } from '../deploy-control';
import { Patch } from '../patches';
import type { OperationContext } from '../task-runner';
import { createServerGroupOperation } from './deploy-server-group';
import { destroyServerGroupOperation } from './destroy-server-group';
import { disableServerGroupOperation, enableServerGroupOperation } from './enable-disable-server-group';

/** The tag Orca's PinnedServerGroupTagGenerator puts on a pinned group, so a pin left behind is visible. */
export const PIN_TAG = 'spinnaker:pinned_capacity';

/** How long a destroy in the strategy waits for the group to go (DestroyServerGroup's default). */
const DESTROY_WAIT_SECONDS = 1800;

interface SagaStep {
  readonly description: string;
  readonly undo: () => Promise<void>;
  /** Runs even when `rollback.onFailure` is off (Orca's rollingredblack always unpins on failure). */
  readonly always?: boolean;
}

/** Why a deploy rolls back on purpose (not an error from AWS). */
class RollbackNeeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollbackNeeded';
  }
}

/**
 * deployWithStrategy: Orca's deploy stage with its strategy (AbstractDeployStrategyStage and
 * RedBlack/Highlander/RollingRedBlack/NoStrategy) as one durable function. The AWS calls are
 * those of the Clouddriver operations Orca's stages post, through the same operation code; every
 * change before the commit point (traffic fully on the new group) records its compensation, run
 * in reverse on a failure, a cancellation or a `rollback` Update. After the commit point traffic
 * never moves back: a cleanup step that fails ends the task as CleanupIncomplete, naming what is left.
 */
export async function deployWithStrategyOperation(
  ctx: OperationContext,
  d: DeployWithStrategy,
  control: DeployControl,
): Promise<TaskOutput> {
  const o = d.options;
  const { account } = d.deploy;
  const { region } = d;
  const saga: SagaStep[] = [];
  const plan = planOf(d);
  let step = 0;
  let source: ServerGroupSnapshot | undefined;
  let newGroup: string | undefined;
  let snapshot: readonly ServerGroupSnapshot[] = [];
  const leftovers: string[] = [];
  let createdOutputs: readonly unknown[] = [];

  // The strategy and the step as search attributes, so the Temporal UI can filter deploys by them.
  const searchable = ctx.patched(Patch.strategySearchAttributes);
  if (searchable) upsertSearchAttributes([{ key: SearchAttributes.strategy, value: o.strategy }]);
  let searchedStep: string | undefined;
  const publish = (outcome?: DeployStatus['outcome']) => {
    const where = outcome ?? plan[Math.min(step, plan.length - 1)];
    if (searchable && where !== undefined && where !== searchedStep) {
      searchedStep = where;
      upsertSearchAttributes([{ key: SearchAttributes.deployStep, value: where }]);
    }
    control.status = {
      strategy: o.strategy,
      cluster: d.cluster,
      plan,
      step,
      source: source?.serverGroupName,
      newServerGroup: newGroup,
      committed: control.committed,
      waiting: control.waiting,
      compensations: [...saga].reverse().map((s) => s.description),
      snapshot: snapshot.map((g) => ({ serverGroupName: g.serverGroupName, ...g.capacity, enabled: isEnabled(g) })),
      outcome,
    };
    // The plan with a cursor, for the Temporal UI's current details.
    setCurrentDetails(plan.map((p, i) => `${i < step ? '✓' : i === step ? '▶' : '·'} ${p}`).join('\n'));
  };
  /** Starts the next named step: Orca's stage name on the history line. */
  const stage = (name: string, planned = name) => {
    const i = plan.indexOf(planned, step);
    if (i >= 0) step = i;
    ctx.log(name);
    publish();
  };
  const checkRollback = () => {
    if (control.rollbackRequested) {
      const r = control.rollbackRequested;
      throw new RollbackNeeded(`rollback requested${r.by ? ` by ${r.by}` : ''}${r.reason ? `: ${r.reason}` : ''}`);
    }
  };
  const ref = (serverGroupName: string) => ({ account, region, serverGroupName });
  const targets = (names: readonly string[]) => ({ account, targets: names.map((serverGroupName) => ({ serverGroupName, region })) });
  const describe = (name: string) => ctx.call('describeServerGroup', `Describe ${name} in ${region}`, ref(name));
  const readCluster = (why: string) =>
    ctx.call('describeCluster', `Read the groups of ${d.cluster} in ${region} (${why})`, { account, region, cluster: d.cluster });

  /** Waits, durably, until `targetHealthyDeployPercentage` of `desired` instances of the group are up. */
  const waitForUp = async (name: string, desired: number) => {
    const target = upTarget(desired, o.targetHealthyDeployPercentage);
    const providers = o.interestingHealthProviderNames;
    ctx.log(
      `Waiting for ${target} of ${desired} instances of ${name} to be up${providers ? ` (health: ${providers.join(', ') || 'none'})` : ''}`,
    );
    const deadline = Date.now() + d.deploy.waitTimeoutSeconds * 1000;
    let last = '';
    for (let poll = 1; ; poll++) {
      checkRollback();
      const instances = await ctx.call('describeGroupHealth', `Count up instances of ${name} (poll ${poll})`, ref(name));
      if (!instances)
        throw ApplicationFailure.nonRetryable(
          `server group ${name} disappeared while waiting for it to be up`,
          FailureType.ServerGroupNotFound,
        );
      const health = describeHealth(name, instances, providers);
      // A line when the count changes: the counts are on the history, bounded by the group's size.
      if (health.message !== last) ctx.log(health.message);
      last = health.message;
      if (health.up >= target) return;
      if (Date.now() >= deadline) {
        throw ApplicationFailure.nonRetryable(
          `${name} did not reach ${target} up instances within ${d.deploy.waitTimeoutSeconds}s: ${health.message}`,
          FailureType.CapacityNotReached,
        );
      }
      await control.waitFor({ kind: 'health', label: `${target} up instances in ${name}` }, () => false, ctx.settings.pollIntervalMs);
    }
  };

  /** A delay Orca's strategy waits (delayBeforeDisableSec, delayBeforeScaleDownSec); skipWait ends it. */
  const delay = async (name: string, seconds: number) => {
    if (seconds <= 0) return;
    stage(name);
    control.skip = false;
    const skipped = await control.waitFor(
      { kind: 'delay', label: `${name} (${seconds}s)`, untilMs: Date.now() + seconds * 1000 },
      () => control.skip,
      seconds * 1000,
    );
    checkRollback();
    if (skipped) ctx.log(`${name}: skipped`);
  };

  /** The gates the request puts at `at`, in order. */
  const gates = async (at: GateAt, where: string) => {
    for (const g of o.gates.filter((x) => x.at === at)) await gate(g, where);
  };
  const gate = async (g: Gate, where: string) => {
    if (g.kind === 'sleep') {
      if (!g.timeoutMs) return;
      ctx.log(`Sleeping ${g.timeoutMs / 1000}s ${where}`);
      control.skip = false;
      await control.waitFor(
        { kind: 'sleep', at: g.at, label: `a sleep ${where}`, untilMs: Date.now() + g.timeoutMs },
        () => control.skip,
        g.timeoutMs,
      );
      checkRollback();
      return;
    }
    control.approved = false;
    ctx.log(`Waiting for approval ${where}${g.timeoutMs ? ` (up to ${g.timeoutMs / 1000}s, then ${g.onTimeout})` : ''}`);
    publish();
    const approved = await control.waitFor(
      { kind: 'approval', at: g.at, label: `approval ${where}`, untilMs: g.timeoutMs ? Date.now() + g.timeoutMs : undefined },
      () => control.approved,
      g.timeoutMs,
    );
    checkRollback();
    if (approved) {
      ctx.log(`Approved ${where}`);
      return;
    }
    if (g.onTimeout === 'rollback') throw new RollbackNeeded(`no approval ${where} within ${(g.timeoutMs ?? 0) / 1000}s`);
    ctx.log(`No approval ${where} within ${(g.timeoutMs ?? 0) / 1000}s: proceeding`);
  };

  /** Up instances of the cluster now, and what would be left without `without`. */
  const guard = async (what: string, without: readonly string[]) => {
    let now = 0;
    let after = 0;
    for (const g of await readCluster('traffic guard')) {
      const instances = await ctx.call(
        'describeGroupHealth',
        `Count up instances of ${g.serverGroupName} (traffic guard)`,
        ref(g.serverGroupName),
      );
      const up = (instances ?? []).filter((i) => isUp(i, undefined)).length;
      const enabled = isEnabled(g) ? up : 0;
      now += enabled;
      if (!without.includes(g.serverGroupName)) after += enabled;
    }
    const problem = trafficGuardProblem(now, after, what, d.cluster);
    if (problem) throw new RollbackNeeded(`traffic guard: ${problem}`);
    ctx.log(`Traffic guard: ${after} of ${now} up instances of ${d.cluster} stay in service after ${what}`);
  };

  const disable = async (names: readonly string[], percentage?: number) => {
    await disableServerGroupOperation(ctx, {
      ...targets(names),
      ...(percentage === undefined ? {} : { desiredPercentage: percentage }),
    });
  };
  const enable = async (names: readonly string[]) => {
    await enableServerGroupOperation(ctx, targets(names));
  };
  const setCapacity = async (name: string, capacity: Capacity, why: string) => {
    ctx.log(`${why}: ${name} to ${formatCapacity(capacity)} (min/desired/max)`);
    await ctx.call('updateServerGroupCapacity', `${why}: ${name} to ${formatCapacity(capacity)}`, { ...ref(name), capacity });
  };
  const destroy = async (names: readonly string[]) => {
    await destroyServerGroupOperation(ctx, { ...targets(names), waitTimeoutSeconds: DESTROY_WAIT_SECONDS });
  };
  /** scaleDownCluster's per-group pair: resume Terminate (disable suspended it), then 0/0/0. */
  const scaleDownGroup = async (g: ServerGroupSnapshot) => {
    await ctx.call('resumeProcesses', `Resume Terminate of ${g.serverGroupName}`, { ...ref(g.serverGroupName), processes: ['Terminate'] });
    await setCapacity(g.serverGroupName, { min: 0, desired: 0, max: 0 }, 'Scale down');
  };

  // One deploy per cluster at a time: wait (bounded) for a running one to close.
  publish();
  await takeClusterLease(ctx, control, leaseIdOf(account, region, d.cluster), d.cluster, o.clusterLockTimeoutMs);

  try {
    // Determine the source: the cluster's newest enabled group, read from AWS (SourceResolver).
    stage('Determine Source Server Group');
    snapshot = await readCluster('source');
    const enabledGroups = snapshot.filter(isEnabled);
    source = enabledGroups[enabledGroups.length - 1];
    ctx.log(
      source
        ? `Source: ${source.serverGroupName} at ${formatCapacity(source.capacity)} (min/desired/max); ${snapshot.length} groups in ${d.cluster}`
        : `No enabled group in ${d.cluster}: deploying without a source`,
    );
    if (o.strategy === 'rollingredblack' && o.maxInitialAsgs >= 0 && enabledGroups.length > o.maxInitialAsgs) {
      throw ApplicationFailure.nonRetryable(
        `rollingredblack needs at most ${o.maxInitialAsgs} enabled groups in ${d.cluster} before it starts (maxInitialAsgs); found ${enabledGroups.length}: ${enabledGroups.map((g) => g.serverGroupName).join(', ')}`,
        FailureType.InvalidDescription,
      );
    }
    publish();

    // Create: the createServerGroup operation's own code; its compensation joins this saga.
    stage('Create Server Group');
    const rolling = o.strategy === 'rollingredblack';
    const finalCapacity = d.deploy.capacity;
    const createSaga: SagaStep[] = [];
    const createCtx: OperationContext = { ...ctx, onFailure: (description, undo) => createSaga.push({ description, undo }) };
    /**
     * The create's own compensations, newest first. Each runs even when one before it failed (a
     * copied alarm that cannot be deleted must not leave the whole group, in traffic, behind);
     * what failed is then thrown, for the rollback's leftovers.
     */
    const undoCreate = async () => {
      if (!ctx.patched(Patch.strategyUndoesEveryCreateStep)) {
        for (const s of [...createSaga].reverse()) await s.undo();
        return;
      }
      const failed: string[] = [];
      for (const s of [...createSaga].reverse()) {
        try {
          await s.undo();
        } catch (err) {
          failed.push(
            `${s.description} (${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)})`,
          );
        }
      }
      if (failed.length) throw new Error(failed.join('; '));
    };
    saga.push({ description: `delete what the create made in ${region}`, undo: undoCreate });
    const created = await createServerGroupOperation(createCtx, {
      ...d.deploy,
      // The strategy waits for health itself, by Orca's rule.
      waitForHealthyPercentage: undefined,
      targetHealthyDeployPercentage: undefined,
      // rollingredblack creates at 0/0/0 and grows step by step (RollingRedBlackStrategy).
      capacity: rolling ? { min: 0, desired: 0, max: 0 } : finalCapacity,
      ...(source && o.copySourceScaling && !d.deploy.scalingSource ? { scalingSource: ref(source.serverGroupName) } : {}),
    });
    createdOutputs = created.resultObjects ?? [];
    newGroup = deployedName(created, region);
    const deployedGroup = newGroup;
    saga.pop();
    // The new group stays for inspection, out of traffic, unless rollback.destroyLatest asks to delete it.
    saga.push(
      o.destroyLatest
        ? { description: `destroy ${deployedGroup}`, undo: undoCreate }
        : { description: `disable ${deployedGroup}`, undo: () => disable([deployedGroup]) },
    );
    publish();

    const older = () => snapshot.filter((g) => g.serverGroupName !== deployedGroup);

    if (rolling) {
      const reference = source?.capacity ?? finalCapacity;
      if (source) {
        const s = source;
        stage(`Pin ${s.serverGroupName}`, 'Pin source');
        saga.push({
          description: `restore ${s.serverGroupName} to ${formatCapacity(s.capacity)} and unpin it`,
          always: true,
          undo: async () => {
            await setCapacity(s.serverGroupName, s.capacity, 'Restore');
            await ctx.call('deleteServerGroupTags', `Remove the pin tag of ${s.serverGroupName}`, {
              ...ref(s.serverGroupName),
              tagKeys: [PIN_TAG],
            });
          },
        });
        await ctx.call('putServerGroupTags', `Tag ${s.serverGroupName} as pinned`, {
          ...ref(s.serverGroupName),
          tags: {
            [PIN_TAG]: JSON.stringify({
              pinnedCapacity: { ...s.capacity, min: s.capacity.desired },
              unpinnedCapacity: s.capacity,
              executionId: ctx.taskId,
            }),
          },
        });
        await setCapacity(s.serverGroupName, { ...s.capacity, min: s.capacity.desired }, 'Pin');
      }
      let enabledSource = false;
      for (const p of rollingSteps(o.targetPercentages)) {
        checkRollback();
        stage(`Grow to ${p}% of Desired Size`);
        const capacity = rollingCapacity(reference, p);
        await setCapacity(deployedGroup, capacity, p < 100 ? 'Grow and pin' : 'Grow and unpin');
        await waitForUp(deployedGroup, capacity.desired);
        await delay('Wait Before Disable', o.delayBeforeDisableSec);
        await gates('eachStep', `at ${p}%`);
        if (p === 100) await gates('beforeCutover', `before cutover to ${deployedGroup}`);
        if (source) {
          const s = source;
          if (p === 100) await guard(`disabling ${s.serverGroupName}`, [s.serverGroupName]);
          stage(`Disable ${p}% of Traffic on ${s.serverGroupName}`, `Disable ${p}% of Traffic on source`);
          if (!enabledSource) {
            enabledSource = true;
            saga.push({ description: `enable ${s.serverGroupName}`, undo: () => enable([s.serverGroupName]) });
          }
          await disable([s.serverGroupName], p);
        }
      }
    } else {
      if (newGroup && finalCapacity.desired > 0) {
        stage('Wait For Up Instances');
        await waitForUp(deployedGroup, finalCapacity.desired);
      }
      if (o.strategy === 'redblack' && source) {
        if (o.maxRemainingAsgs > 0) {
          stage('shrinkCluster');
          await shrink(ctx, older(), o.maxRemainingAsgs - 1, o.allowDeleteActive, destroy);
        }
        await delay('Wait Before Disable', o.delayBeforeDisableSec);
        await gates('beforeCutover', `before cutover to ${deployedGroup}`);
        const toDisable = older()
          .filter(isEnabled)
          .map((g) => g.serverGroupName);
        await guard(`disabling ${toDisable.join(', ')}`, toDisable);
        stage('disableCluster');
        saga.push({ description: `enable ${toDisable.join(', ')}`, undo: () => enable(toDisable) });
        await disable(toDisable);
      } else if (o.strategy === 'highlander' && older().length > 0) {
        await gates('beforeCutover', `before cutover to ${deployedGroup}`);
        const toDisable = older()
          .filter(isEnabled)
          .map((g) => g.serverGroupName);
        if (toDisable.length) {
          await guard(`disabling ${toDisable.join(', ')}`, toDisable);
          stage('disableCluster');
          saga.push({ description: `enable ${toDisable.join(', ')}`, undo: () => enable(toDisable) });
          await disable(toDisable);
        }
      }
    }
  } catch (err) {
    const cancelled = isCancellation(err);
    const purposeful = err instanceof RollbackNeeded;
    const why = err instanceof Error ? err.message : String(err);
    const full = purposeful || cancelled || o.rollbackOnFailure;
    const steps = full ? saga : saga.filter((s) => s.always);
    await CancellationScope.nonCancellable(async () => {
      for (const s of [...steps].reverse()) {
        ctx.log(`Rolling back: ${s.description}`);
        try {
          await s.undo();
        } catch (undoErr) {
          leftovers.push(`${s.description} (${undoErr instanceof Error ? undoErr.message : String(undoErr)})`);
          ctx.log(`Rollback step failed, left behind: ${s.description}`);
        }
      }
    });
    control.finished = true;
    publish(full ? 'rolledBack' : undefined);
    if (cancelled || !full) throw err;
    throw ApplicationFailure.nonRetryable(
      `Rolled back the ${o.strategy} deploy of ${d.cluster}${newGroup ? ` (${newGroup})` : ''}: ${why}${leftovers.length ? `; rollback left: ${leftovers.join('; ')}` : ''}`,
      FailureType.RolledBack,
      { cause: why, source: source?.serverGroupName, newServerGroup: newGroup, leftovers },
    );
  }

  // The commit point: traffic is on the new group and never moves back.
  control.committed = true;
  saga.length = 0;
  ctx.log(`Commit point: traffic is on ${newGroup ?? 'no new group'}`);
  publish();
  const deployedGroup = newGroup;
  const older = snapshot.filter((g) => g.serverGroupName !== deployedGroup);
  const cleanup: string[] = [];
  try {
    if (o.strategy === 'rollingredblack' && source) {
      const s = source;
      if (o.scaleDown) {
        await delay('Wait Before Scale Down', o.delayBeforeScaleDownSec);
        await gates('beforeScaleDown', `before scaling down ${s.serverGroupName}`);
        cleanup.push(`scale down ${s.serverGroupName}`);
        await guard(`scaling down ${s.serverGroupName}`, [s.serverGroupName]);
        stage('scaleDown');
        await scaleDownGroup(s);
        cleanup.pop();
      } else {
        cleanup.push(`unpin ${s.serverGroupName}`);
        stage(`Unpin ${s.serverGroupName}`, 'Unpin source');
        // Unpin never raises min (ResizeStrategySupport): min(original, current desired).
        const now = await describe(s.serverGroupName);
        if (now) await setCapacity(s.serverGroupName, { ...now.capacity, min: Math.min(s.capacity.min, now.capacity.desired) }, 'Unpin');
        cleanup.pop();
      }
      cleanup.push(`remove the pin tag of ${s.serverGroupName}`);
      await ctx.call('deleteServerGroupTags', `Remove the pin tag of ${s.serverGroupName}`, {
        ...ref(s.serverGroupName),
        tagKeys: [PIN_TAG],
      });
      cleanup.pop();
    } else if (o.strategy === 'redblack' && source && o.scaleDown) {
      await delay('Wait Before Scale Down', o.delayBeforeScaleDownSec);
      await gates('beforeScaleDown', `before scaling down ${d.cluster}`);
      // scaleDownCluster{remainingFullSizeServerGroups:1, allowScaleDownActive:false}: every older group, now disabled.
      const fresh = (await readCluster('scale down')).filter(
        (g) => g.serverGroupName !== deployedGroup && older.some((x) => x.serverGroupName === g.serverGroupName),
      );
      const targetsDown = fresh.filter((g) => (o.allowScaleDownActive || !isEnabled(g)) && g.capacity.max + g.capacity.desired > 0);
      cleanup.push(...targetsDown.map((g) => `scale down ${g.serverGroupName}`));
      stage('scaleDown');
      for (const g of targetsDown) {
        await scaleDownGroup(g);
        cleanup.shift();
      }
    } else if (o.strategy === 'highlander' && older.length > 0) {
      await gates('beforeScaleDown', `before destroying the older groups of ${d.cluster}`);
      const names = older.map((g) => g.serverGroupName);
      cleanup.push(...names.map((n) => `destroy ${n}`));
      stage('shrinkCluster');
      for (const n of names) {
        await destroy([n]);
        cleanup.shift();
      }
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    control.finished = true;
    publish('cleanupIncomplete');
    throw ApplicationFailure.nonRetryable(
      `The ${o.strategy} deploy of ${d.cluster} committed to ${deployedGroup}, but its cleanup did not finish (${why}); left: ${cleanup.join('; ')}`,
      FailureType.CleanupIncomplete,
      { cause: why, newServerGroup: deployedGroup, leftovers: cleanup },
    );
  }
  control.finished = true;
  step = plan.length;
  publish('succeeded');
  ctx.log(`Deployed ${deployedGroup} with ${o.strategy}${source ? `; source ${source.serverGroupName}` : ''}`);
  return {
    resultObjects: [
      ...createdOutputs,
      {
        strategy: o.strategy,
        serverGroupName: deployedGroup,
        // Orca's name for the groups a deploy stage made, by region.
        'deploy.server.groups': { [region]: [deployedGroup] },
        ...(source ? { source: { serverGroupName: source.serverGroupName, region, account } } : {}),
      },
    ],
  };
}

/** Enabled as Orca sees a group: AddToLoadBalancer not suspended (a disable suspends it). */
export function isEnabled(g: ServerGroupSnapshot): boolean {
  return !g.suspendedProcesses.includes('AddToLoadBalancer');
}

function deployedName(out: TaskOutput, region: string): string {
  for (const o of (out.resultObjects ?? []) as Record<string, unknown>[]) {
    const byRegion = o.serverGroupNameByRegion as Record<string, string> | undefined;
    if (byRegion?.[region]) return byRegion[region];
  }
  throw ApplicationFailure.nonRetryable(`the create named no server group in ${region}`, FailureType.InvalidDescription);
}

/**
 * shrinkCluster{shrinkToSize, allowDeleteActive} over the groups older than the new one (the
 * deploy's own group is never a candidate, AbstractClusterWideClouddriverTask): keep the newest
 * `keep`, destroy the others that are not active (disabled), or every one with allowDeleteActive.
 */
async function shrink(
  ctx: OperationContext,
  older: readonly ServerGroupSnapshot[],
  keep: number,
  allowDeleteActive: boolean,
  destroy: (names: readonly string[]) => Promise<void>,
): Promise<void> {
  const candidates = older.slice(0, Math.max(0, older.length - keep)).filter((g) => allowDeleteActive || !isEnabled(g));
  if (candidates.length === 0) {
    ctx.log(`Nothing to shrink: ${older.length} older groups, keeping ${keep}`);
    return;
  }
  for (const g of candidates) await destroy([g.serverGroupName]);
}

/** The steps the deploy will take, named as Orca names its stages, for the UI and the status query. */
export function planOf(d: DeployWithStrategy): string[] {
  const o = d.options;
  const plan = ['Determine Source Server Group', 'Create Server Group'];
  switch (o.strategy) {
    case 'rollingredblack':
      plan.push('Pin source');
      for (const p of rollingSteps(o.targetPercentages)) plan.push(`Grow to ${p}% of Desired Size`, `Disable ${p}% of Traffic on source`);
      plan.push(o.scaleDown ? 'scaleDown' : 'Unpin source');
      break;
    case 'redblack':
      plan.push('Wait For Up Instances');
      if (o.maxRemainingAsgs > 0) plan.push('shrinkCluster');
      if (o.delayBeforeDisableSec > 0) plan.push('Wait Before Disable');
      plan.push('disableCluster');
      if (o.scaleDown) {
        if (o.delayBeforeScaleDownSec > 0) plan.push('Wait Before Scale Down');
        plan.push('scaleDown');
      }
      break;
    case 'highlander':
      plan.push('Wait For Up Instances', 'disableCluster', 'shrinkCluster');
      break;
    case 'none':
      plan.push('Wait For Up Instances');
      break;
  }
  return plan;
}

/** How often a deploy waiting for its cluster tries to take the lease again. */
const LEASE_RETRY_MS = 2_000;

/**
 * Takes the cluster's lease (cluster-lease.ts), waiting on durable timers while another deploy
 * holds it, up to `timeoutMs`; then fails as ClusterBusy naming the holder. The lease is
 * abandoned on cancellation (it ends only when this deploy closes), so compensations still run
 * under it.
 */
async function takeClusterLease(
  ctx: OperationContext,
  control: DeployControl,
  leaseId: string,
  cluster: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let holder: string | undefined;
  let asked = false;
  setHandler(leaseHeldBySignal, (id) => {
    holder = id;
  });
  for (;;) {
    try {
      await startChild(CLUSTER_LEASE_WORKFLOW, {
        workflowId: leaseId,
        args: [{ holder: ctx.taskId }],
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      });
      if (asked) ctx.log(`Took the lease of ${cluster}${holder ? ` after ${holder} finished` : ''}`);
      return;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    if (!asked) {
      asked = true;
      try {
        await getExternalWorkflowHandle(leaseId).signal(whoHoldsSignal, ctx.taskId);
      } catch {
        // The lease ended meanwhile: the next attempt takes it.
      }
      ctx.log(`Waiting for the running deploy of ${cluster} to finish (up to ${Math.round(timeoutMs / 1000)}s)`);
    }
    if (Date.now() >= deadline) {
      throw ApplicationFailure.nonRetryable(
        `cluster ${cluster} is busy: ${holder ? `task ${holder}` : 'another deploy'} still deploys into it after ${Math.round(timeoutMs / 1000)}s (lease ${leaseId})`,
        FailureType.ClusterBusy,
        { holder, leaseId },
      );
    }
    await control.waitFor(
      { kind: 'lease', label: `the running deploy of ${cluster}${holder ? ` (${holder})` : ''}` },
      () => false,
      Math.min(LEASE_RETRY_MS, deadline - Date.now()),
    );
    if (control.rollbackRequested)
      throw ApplicationFailure.nonRetryable(`rollback requested before the deploy of ${cluster} started`, FailureType.RolledBack);
  }
}
