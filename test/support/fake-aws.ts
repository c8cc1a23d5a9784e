/**
 * A fake AWS client provider for unit tests of activities, for answers the emulator does not
 * give: every client of every account and region sends to `answers`, keyed by command name
 * (`DeleteSecurityGroupCommand`); a command without an answer fails the test. `sent` records the
 * command names in order.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AwsClientProvider, AwsClients } from '../../activities';

export type FakeAnswer = (input: Record<string, unknown>) => unknown;

export function fakeAwsProvider(answers: Record<string, FakeAnswer>): { provider: AwsClientProvider; sent: string[] } {
  const sent: string[] = [];
  const send = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push(cmd.constructor.name);
    const answer = answers[cmd.constructor.name];
    if (!answer) throw new Error(`unexpected ${cmd.constructor.name}`);
    return answer(cmd.input);
  };
  const client = { send };
  const clients = { ec2: client, autoScaling: client, elbv2: client, elb: client, cloudWatch: client } as unknown as AwsClients;
  const provider: AwsClientProvider = { clientsFor: () => clients, account: () => undefined, destroy: () => undefined };
  return { provider, sent };
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
