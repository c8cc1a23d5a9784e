/**
 * Fault injection for workflow tests: wraps the real activities so a test can make one of them
 * "lose its answer" (AWS did the work, the reply never arrived: Temporal runs it again) or fail
 * outright after earlier steps created resources (the workflow must compensate). Faults match on
 * the activity's input, so tests sharing one worker don't trip over each other's faults.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Activities } from '../activities';

type Name = keyof Activities;
type Match = (input: unknown) => boolean;

/** Matches inputs whose JSON contains `marker` (a unique server group name, say). */
export const mentions =
  (marker: string): Match =>
  (input) =>
    JSON.stringify(input).includes(marker);

interface Rule {
  readonly name: Name;
  readonly match: Match;
  readonly kind: 'loseAnswer' | 'fail' | 'failRetryably' | 'hang' | 'rewrite';
  remaining: number;
  readonly rewrite?: (result: unknown) => unknown;
}

/** `{ name: times }` for each of `names`: what `FaultPlan.callsOf` answers when each was called `times` times. */
export const timesEach = (names: readonly Name[], times: number): Record<string, number> =>
  Object.fromEntries(names.map((name) => [name, times]));

export class FaultPlan {
  private readonly rules: Rule[] = [];
  private readonly log: { name: Name; input: unknown; attempt: number }[] = [];

  /** The next `times` matching calls run for real, then throw a retryable error as if the reply was lost. */
  loseAnswer(name: Name, match: Match, times = 1): this {
    this.rules.push({ name, match, kind: 'loseAnswer', remaining: times });
    return this;
  }

  /** The next matching call of each of `names` loses its answer (see loseAnswer). */
  loseAnswers(names: readonly Name[], match: Match): this {
    for (const name of names) this.loseAnswer(name, match);
    return this;
  }

  /** The next `times` matching calls fail, non-retryably, before doing anything. */
  fail(name: Name, match: Match, times = 1): this {
    this.rules.push({ name, match, kind: 'fail', remaining: times });
    return this;
  }

  /** The next `times` matching calls fail retryably before doing anything (AWS throttling, say). */
  failRetryably(name: Name, match: Match, times = 1): this {
    this.rules.push({ name, match, kind: 'failRetryably', remaining: times });
    return this;
  }

  /** The next `times` matching calls run for real and answer `rewrite(their result)` (a stale or partial read). */
  rewriteAnswer<N extends Name>(
    name: N,
    match: Match,
    rewrite: (result: Awaited<ReturnType<Activities[N]>>) => Awaited<ReturnType<Activities[N]>>,
    times = 1,
  ): this {
    this.rules.push({ name, match, kind: 'rewrite', remaining: times, rewrite: rewrite as (result: unknown) => unknown });
    return this;
  }

  /** Drops every fault not yet used up (the outage is over). */
  clear(): void {
    for (const r of this.rules) r.remaining = 0;
  }

  /**
   * The next `times` matching calls hang, heartbeating, until the workflow cancels them or
   * `release()` is called (heartbeats are throttled, so a cancellation can reach the activity late).
   * A test that must see its task still running after the attempt's timeout hangs its retries too.
   */
  hang(name: Name, match: Match, times = 1): this {
    this.rules.push({ name, match, kind: 'hang', remaining: times });
    return this;
  }

  /** Ends every hanging call. */
  release(): void {
    this.released = true;
  }

  private released = false;

  /** How many times a matching call of `name` was made (every attempt counts). */
  calls(name: Name, match: Match = () => true): number {
    return this.log.filter((c) => c.name === name && match(c.input)).length;
  }

  /** How many matching calls of each of `names` were made, by name: one assertion over several activities. */
  callsOf(names: readonly Name[], match: Match): Record<string, number> {
    return Object.fromEntries(names.map((name) => [name, this.calls(name, match)]));
  }

  /** Waits (polling every 100 ms, for up to 10 s) until `name` has been called on an input that `match`es. */
  async untilCalled(name: Name, match: Match): Promise<void> {
    for (let i = 0; i < 100 && this.calls(name, match) === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  wrap(real: Activities): Activities {
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(real) as [Name, (input: unknown) => Promise<unknown>][]) {
      wrapped[name] = async (input: unknown) => {
        this.log.push({ name, input, attempt: Context.current().info.attempt });
        const rule = this.rules.find((r) => r.name === name && r.remaining > 0 && r.match(input));
        if (rule) rule.remaining--;
        if (rule?.kind === 'hang') {
          const ctx = Context.current();
          this.released = false;
          while (!this.released) {
            ctx.heartbeat('hanging (injected)');
            await ctx.sleep(100);
          }
          throw ApplicationFailure.nonRetryable(`injected hang in ${name} released`, 'InjectedHangReleased');
        }
        if (rule?.kind === 'failRetryably') {
          throw ApplicationFailure.retryable(`injected: ${name} throttled`, 'Throttling');
        }
        if (rule?.kind === 'fail') {
          throw ApplicationFailure.nonRetryable(`injected failure in ${name}`, 'InjectedFailure');
        }
        const result = await fn(input);
        if (rule?.kind === 'rewrite' && rule.rewrite) return rule.rewrite(result);
        if (rule?.kind === 'loseAnswer') {
          throw ApplicationFailure.retryable(`injected: the answer of ${name} was lost`, 'InjectedLostAnswer');
        }
        return result;
      };
    }
    return wrapped as Activities;
  }
}
