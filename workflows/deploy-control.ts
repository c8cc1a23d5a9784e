/**
 * What people can do to a running deployWithStrategy (approve a gate, roll back before the
 * commit point, skip a wait) and what it reports (the `status` query). The workflow registers
 * the Temporal handlers; the strategy code reads and writes this state.
 */
import { condition, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import type { GateAt } from '../domain/strategy';

export interface UpdateInput {
  readonly reason?: string | undefined;
  readonly by?: string | undefined;
}

export interface UpdateAnswer {
  readonly accepted: boolean;
  readonly message: string;
}

/** What a deploy is waiting for, when it waits. */
export interface OpenWait {
  readonly kind: 'approval' | 'sleep' | 'delay' | 'health' | 'lease';
  readonly at?: GateAt | undefined;
  /** For the history line and the status query: "approval before cutover to app-v002". */
  readonly label: string;
  readonly untilMs?: number | undefined;
}

export interface DeployStatus {
  readonly strategy: string;
  readonly cluster: string;
  readonly plan: readonly string[];
  /** Index into `plan` of the step running now. */
  readonly step: number;
  readonly source?: string | undefined;
  readonly newServerGroup?: string | undefined;
  readonly committed: boolean;
  readonly waiting?: OpenWait | undefined;
  /** What a rollback would undo now, newest first. */
  readonly compensations: readonly string[];
  /** Capacity of each group of the cluster as read before the deploy changed anything. */
  readonly snapshot: readonly { serverGroupName: string; min: number; desired: number; max: number; enabled: boolean }[];
  readonly outcome?: 'succeeded' | 'rolledBack' | 'cleanupIncomplete' | undefined;
}

export const approveUpdate = defineUpdate<UpdateAnswer, [UpdateInput]>('approve');
export const rollbackUpdate = defineUpdate<UpdateAnswer, [UpdateInput]>('rollback');
export const skipWaitUpdate = defineUpdate<UpdateAnswer, [UpdateInput]>('skipWait');
export const statusQuery = defineQuery<DeployStatus | null>('status');

/** The shared state of one deploy between its handlers and its strategy code. */
export class DeployControl {
  approved = false;
  skip = false;
  rollbackRequested: UpdateInput | undefined;
  committed = false;
  finished = false;
  waiting: OpenWait | undefined;
  status: DeployStatus | null = null;

  /** Registers the Updates and the query on the running workflow. */
  register(): void {
    setHandler(
      approveUpdate,
      (input) => {
        this.approved = true;
        return { accepted: true, message: `approved${input.by ? ` by ${input.by}` : ''}${input.reason ? `: ${input.reason}` : ''}` };
      },
      {
        validator: (_input: UpdateInput) => {
          if (this.finished) throw new Error('the deploy has finished; there is nothing to approve');
          if (this.waiting?.kind !== 'approval') {
            throw new Error(`no approval gate is open${this.waiting ? ` (the deploy is waiting for ${this.waiting.label})` : ''}`);
          }
        },
      },
    );
    setHandler(
      rollbackUpdate,
      (input) => {
        this.rollbackRequested = input;
        return { accepted: true, message: `rollback requested${input.reason ? `: ${input.reason}` : ''}` };
      },
      {
        validator: (_input: UpdateInput) => {
          if (this.finished) throw new Error('the deploy has finished; there is nothing to roll back');
          if (this.committed) throw new Error('the commit point has passed: traffic is on the new server group and never moves back');
          if (this.rollbackRequested) throw new Error('a rollback is already under way');
        },
      },
    );
    setHandler(
      skipWaitUpdate,
      (_input: UpdateInput) => {
        this.skip = true;
        return { accepted: true, message: `skipped ${this.waiting?.label ?? 'the wait'}` };
      },
      {
        validator: (_input: UpdateInput) => {
          if (this.finished) throw new Error('the deploy has finished; there is no wait to skip');
          if (!this.waiting || (this.waiting.kind !== 'sleep' && this.waiting.kind !== 'delay')) {
            throw new Error(`no delay or sleep gate is open${this.waiting ? ` (the deploy is waiting for ${this.waiting.label})` : ''}`);
          }
        },
      },
    );
    setHandler(statusQuery, () => (this.status ? { ...this.status, waiting: this.waiting, committed: this.committed } : null));
  }

  /**
   * Waits until `done()`, a rollback request, or the timeout: true when `done()` held. Durable: a
   * timer in the workflow's history, so the wait survives any worker restart.
   */
  async waitFor(wait: OpenWait, done: () => boolean, timeoutMs: number | undefined): Promise<boolean> {
    this.waiting = wait;
    try {
      const settled = () => done() || this.rollbackRequested !== undefined;
      if (timeoutMs === undefined) await condition(settled);
      else await condition(settled, Math.max(1, timeoutMs));
      return done();
    } finally {
      this.waiting = undefined;
    }
  }
}

/** A control for a deploy run where no handler can reach it (inside a multi-operation task). */
export function unregisteredControl(): DeployControl {
  return new DeployControl();
}
