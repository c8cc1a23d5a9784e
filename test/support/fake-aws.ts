/**
 * A fake AWS client provider for unit tests of activities, for answers the emulator does not
 * give: every client of every account and region sends to `answers`, keyed by command name
 * (`DeleteSecurityGroupCommand`); a command without an answer fails the test. A list of answers
 * answers the first call with the first, and so on, its last one every call after. `sent` records
 * the command names in order, `calls` the commands with their inputs.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClientProvider, AwsClients } from '../../activities';

export type FakeAnswer = (input: Record<string, unknown>) => unknown;

/** One command the fake received. */
export interface FakeCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

export function fakeAwsProvider(answers: Record<string, FakeAnswer | readonly FakeAnswer[]>): {
  provider: AwsClientProvider;
  sent: string[];
  calls: FakeCall[];
} {
  const sent: string[] = [];
  const calls: FakeCall[] = [];
  const counts: Record<string, number> = {};
  const send = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const command = cmd.constructor.name;
    sent.push(command);
    calls.push({ command, input: cmd.input });
    const a = answers[command];
    if (!a) throw new Error(`unexpected ${command}`);
    const n = (counts[command] = (counts[command] ?? 0) + 1);
    const answer = typeof a === 'function' ? a : a[Math.min(n - 1, a.length - 1)]!;
    return answer(cmd.input);
  };
  const client = { send };
  const clients = { ec2: client, autoScaling: client, elbv2: client, elb: client, cloudWatch: client } as unknown as AwsClients;
  const provider: AwsClientProvider = { clientsFor: () => clients, account: () => undefined, destroy: () => undefined };
  return { provider, sent, calls };
}

/** An error as the SDK surfaces an AWS refusal: its code as `name`, a client fault. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** An answer that refuses with `name`. */
export const raise = (name: string, message: string) => (): never => {
  throw awsError(name, message);
};

/** Runs one activity in Temporal's mock activity environment. */
export const runActivity = <I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> => new MockActivityEnvironment().run(fn, input);
