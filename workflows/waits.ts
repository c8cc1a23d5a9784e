import { setCurrentDetails, sleep } from '@temporalio/workflow';
import type { Activities, WaitForCapacityInput } from '../activities';
import type { ConvergenceState } from '../domain/capacity';
import { convergence } from '../domain/capacity';
import { timerPollIntervalMs, waitOutcome } from '../domain/waits';
import type { OperationContext } from './task-runner';
import { waitStrategyOf } from './wait-routing';

/**
 * Waits until the group has `desired` (or `minHealthy`) healthy instances: the wait activity, or
 * under `workflow-timer`, a describe per poll and a timer between polls. Same result and the same
 * failures (ServerGroupNotFound, CapacityNotReached) and messages either way.
 */
export async function waitForCapacity(ctx: OperationContext, summary: string, input: WaitForCapacityInput): Promise<ConvergenceState> {
  if (waitStrategyOf(ctx.settings, (id) => ctx.patched(id)) !== 'workflow-timer')
    return ctx.call('waitForServerGroupCapacity', summary, input);
  const ref = { account: input.account, region: input.region, serverGroupName: input.serverGroupName };
  return pollWithTimers<ConvergenceState>(summary, input, async (poll) => {
    const group = await ctx.call('describeServerGroup', `${summary} (poll ${poll})`, ref);
    if (!group) throw waitOutcome.groupGone(input);
    const state = convergence(input.serverGroupName, input.desired, group.instances, input.minHealthy);
    if (state.converged) return { done: state };
    if (Date.now() >= input.deadlineMs) throw waitOutcome.capacityNotReached(input, state);
    return { progress: state.message };
  });
}

/** Input of `waitForDeleted`: the activity's (WaitForDeletedInput). */
export type WaitForDeletedInput = Parameters<Activities['waitForServerGroupDeleted']>[0];

/**
 * Waits until the group no longer exists (deleting counts as still there): the wait activity, or
 * under `workflow-timer`, a describe per poll and a timer between polls, failing with
 * ServerGroupNotDeleted and the same message at the deadline.
 */
export async function waitForDeleted(
  ctx: OperationContext,
  summary: string,
  input: WaitForDeletedInput,
): Promise<{ readonly message: string }> {
  if (waitStrategyOf(ctx.settings, (id) => ctx.patched(id)) !== 'workflow-timer')
    return ctx.call('waitForServerGroupDeleted', summary, input);
  const ref = { account: input.account, region: input.region, serverGroupName: input.serverGroupName };
  return pollWithTimers<{ readonly message: string }>(summary, input, async (poll) => {
    const group = await ctx.call('describeServerGroupDeletion', `${summary} (poll ${poll})`, ref);
    if (!group) return { done: { message: waitOutcome.deleted(input) } };
    const seen = waitOutcome.stillThere(input, group.status, group.instances);
    if (Date.now() >= input.deadlineMs) throw waitOutcome.notDeleted(input, seen, group.status, group.instances);
    return { progress: seen };
  });
}

/**
 * The `workflow-timer` wait: `look` (a describe) per poll and a timer between polls, until it
 * answers `done`; it throws its own failure at the deadline. Between polls its `progress` goes
 * to the UI without a command: a memo line per poll would grow the history.
 */
async function pollWithTimers<R>(
  summary: string,
  input: { readonly pollIntervalMs: number; readonly deadlineMs: number },
  look: (poll: number) => Promise<{ readonly done: R } | { readonly progress: string }>,
): Promise<R> {
  const interval = timerPollIntervalMs(input.pollIntervalMs, input.deadlineMs - Date.now());
  for (let poll = 1; ; poll++) {
    const seen = await look(poll);
    if ('done' in seen) return seen.done;
    setCurrentDetails(`${summary}: ${seen.progress} (poll ${poll})`);
    await sleep(Math.min(interval, Math.max(1, input.deadlineMs - Date.now())));
  }
}
