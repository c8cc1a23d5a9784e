/**
 * The app (client/facade/server.ts) over real HTTP: every path no route group claims goes,
 * unchanged, to the legacy Clouddriver, and without one is a 404. Its hardening, limits and
 * error handler are tested in attack.test.ts.
 */
import { useEnvWithoutLegacy, useRoutedEnv } from './setup';

const routed = useRoutedEnv({ withWorker: false });

test('Clouddriver read APIs Bosun does not implement are streamed through unchanged', async () => {
  const res = await fetch(`${routed.env.facadeUrl}/applications/${routed.legacyApp}/serverGroups?expand=true`, {
    headers: { 'x-spinnaker-user': 'ann' },
  });
  expect(res.status).toBe(203);
  expect(res.headers.get('x-upstream-custom')).toBe('kept');
  expect(await res.text()).toBe('[{"name":"sg-v001"}]');
  expect(routed.upstream.seen.at(-1)).toMatchObject({ method: 'GET', url: `/applications/${routed.legacyApp}/serverGroups?expand=true` });
  const missing = await fetch(`${routed.env.facadeUrl}/no/such/path`);
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as { message: string }).message).toBe('upstream has no /no/such/path');
});

describe('without a legacy Clouddriver', () => {
  const bare = useEnvWithoutLegacy(() => routed.router);

  test('an unknown task is a 404 and an unknown path a 404', async () => {
    expect((await fetch(`${bare.facadeUrl}/task/nope`)).status).toBe(404);
    expect((await fetch(`${bare.facadeUrl}/applications`)).status).toBe(404);
  });
});
