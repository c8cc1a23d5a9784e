import { asgProcessesSchema } from './asg-processes';

test('process descriptions name each group once and each process once, in the order given', () => {
  const d = asgProcessesSchema.parse({
    credentials: 'test',
    asgName: 'app-v001',
    regions: ['us-east-1', 'us-west-2'],
    asgs: [{ serverGroupName: 'app-v001', region: 'us-east-1' }],
    processes: ['Terminate', 'Launch', 'Terminate'],
    cloudProvider: 'aws',
  });
  expect(d).toEqual({
    account: 'test',
    targets: [
      { serverGroupName: 'app-v001', region: 'us-east-1' },
      { serverGroupName: 'app-v001', region: 'us-west-2' },
    ],
    processes: ['Terminate', 'Launch'],
    application: undefined,
  });
});

test('process names are case-sensitive, as AWS reads them', () => {
  const r = asgProcessesSchema.safeParse({ credentials: 'test', serverGroupName: 'app-v001', region: 'us-east-1', processes: ['launch'] });
  expect(r.success).toBe(false);
  expect(r.error?.issues[0]?.message).toMatch(/^'launch' is not an Auto Scaling process/);
});
