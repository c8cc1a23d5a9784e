import { authorize } from './authorization';

const strict = { requireUser: true, checkAccounts: true };

test('a user writing to granted accounts passes', () => {
  expect(authorize(strict, { user: 'u', accountsHeader: 'test, prod', accounts: ['prod'] })).toEqual({ ok: true });
});

test('a missing user is 401 when users are required', () => {
  expect(authorize(strict, { accountsHeader: 'test', accounts: ['test'] })).toMatchObject({ ok: false, status: 401 });
  expect(authorize({ requireUser: false, checkAccounts: true }, { accountsHeader: 'test', accounts: ['test'] })).toEqual({ ok: true });
});

test('an account outside the header is 403 naming it and what was granted', () => {
  expect(authorize(strict, { user: 'ann', accountsHeader: 'test', accounts: ['test', 'prod'] })).toEqual({
    ok: false,
    status: 403,
    message: 'ann may not write to account prod (X-SPINNAKER-ACCOUNTS grants: test)',
  });
  expect(authorize(strict, { user: 'ann', accounts: ['prod'] })).toMatchObject({
    message: 'ann may not write to account prod (X-SPINNAKER-ACCOUNTS grants: none (no X-SPINNAKER-ACCOUNTS header))',
  });
});

test('account checks can be turned off', () => {
  expect(authorize({ requireUser: true, checkAccounts: false }, { user: 'u', accounts: ['prod'] })).toEqual({ ok: true });
});
