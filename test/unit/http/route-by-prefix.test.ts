import Router from '@koa/router';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { routeByPrefix } from '../../../src/http/route-by-prefix.js';

function answering(name: string, paths: readonly string[]): Router {
  const router = new Router();
  for (const path of paths) router.get(path, (ctx) => { ctx.body = name; });
  return router;
}

describe('routeByPrefix', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = new Koa();
    app.use(routeByPrefix([
      { prefixes: ['/account'], router: answering('account', ['/account', '/account/passkeys']) },
      { prefixes: ['/admin/v1'], router: answering('admin', ['/admin/v1/clients']) },
      { prefixes: ['/admin/v2'], router: answering('admin v2', ['/admin/v2/clients']) },
      { prefixes: ['/'], router: answering('home', ['/']) },
      { prefixes: ['/healthz', '/readyz'], router: answering('health', ['/healthz', '/readyz']) },
    ]));
    app.use((ctx) => { ctx.body = `next ${ctx.path}`; });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const answer = async (path: string): Promise<string> => (await fetch(`${url}${path}`)).text();

  it('gives a path under a prefix, or the prefix itself, to that router', async () => {
    expect(await answer('/account')).toBe('account');
    expect(await answer('/account/passkeys')).toBe('account');
    expect(await answer('/admin/v1/clients')).toBe('admin');
    expect(await answer('/admin/v2/clients')).toBe('admin v2');
    expect(await answer('/')).toBe('home');
    expect(await answer('/healthz')).toBe('health');
    expect(await answer('/readyz')).toBe('health');
  });

  it('passes on a path that only starts with the same letters, or shares only a first segment', async () => {
    expect(await answer('/accounts')).toBe('next /accounts');
    expect(await answer('/admin/v10/clients')).toBe('next /admin/v10/clients');
    expect(await answer('/admin')).toBe('next /admin');
  });

  it("takes '/' for the root path only", async () => {
    expect(await answer('/token')).toBe('next /token');
    expect(await answer('/jwks')).toBe('next /jwks');
  });

  it('passes on a path under a prefix that its router has no route for', async () => {
    expect(await answer('/account/nothing-here')).toBe('next /account/nothing-here');
  });
});
