/**
 * Who is asking, behind the proxies the operator trusts: `X-Forwarded-For` walked from the
 * right while the hop it came from is trusted, never further; without trusted proxies the
 * socket's peer, whatever the header says. Express's `req.ip` answers the same.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import { loadConfig } from '../../src/config/config.js';
import { clientAddresses, type AddressedRequest } from '../../src/server/client.address.js';
import type { TrustedProxies } from '../../src/server/server.settings.js';

/** A request from `socketAddress`, with `forwardedFor` as its X-Forwarded-For when given. */
const request = (socketAddress: string | undefined, forwardedFor?: string): AddressedRequest => ({
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  socket: { remoteAddress: socketAddress },
});

/** The client address `TRUSTED_PROXIES=<setting>` makes of a request, the setting read as the facade reads it. */
function clientOf(setting: string | undefined, socketAddress: string | undefined, forwardedFor?: string): string | undefined {
  const trusted = loadConfig(setting === undefined ? {} : { TRUSTED_PROXIES: setting }).trustedProxies;
  return clientAddresses(trusted).of(request(socketAddress, forwardedFor));
}

describe('the client address', () => {
  it('is the socket address without trusted proxies, whatever X-Forwarded-For says', () => {
    assert.equal(clientOf(undefined, '127.0.0.1', '203.0.113.9'), '127.0.0.1');
    assert.equal(clientOf(undefined, '198.51.100.4'), '198.51.100.4');
    assert.equal(clientOf(undefined, '::ffff:127.0.0.1', '203.0.113.9'), '::ffff:127.0.0.1');
  });

  it('is the entry the trusted hop appended, with a hop count: a forged leftmost entry beyond the hops is not believed', () => {
    // The client sent "X-Forwarded-For: 192.0.2.66"; the one proxy in front appended the peer it saw.
    assert.equal(clientOf('1', '10.0.0.5', '192.0.2.66, 203.0.113.9'), '203.0.113.9');
    // Two proxies: the second (the facade's peer) appended the first one's address.
    assert.equal(clientOf('2', '10.0.0.5', '192.0.2.66, 203.0.113.9, 10.0.0.7'), '203.0.113.9');
    // More hops trusted than entries: the leftmost entry is all there is.
    assert.equal(clientOf('3', '10.0.0.5', '203.0.113.9'), '203.0.113.9');
    // No header: the socket's peer.
    assert.equal(clientOf('1', '10.0.0.5'), '10.0.0.5');
  });

  it('walks X-Forwarded-For through the trusted CIDR and stops at the first address outside it', () => {
    assert.equal(clientOf('10.0.0.0/8', '10.0.0.5', '192.0.2.66, 203.0.113.9, 10.1.2.3'), '203.0.113.9');
    assert.equal(clientOf('10.0.0.0/8,192.168.0.0/16', '192.168.4.4', '203.0.113.9, 10.1.2.3'), '203.0.113.9');
    assert.equal(clientOf('uniquelocal', '172.20.0.3', '203.0.113.9'), '203.0.113.9');
    assert.equal(clientOf('2001:db8::/32', '2001:db8::7', '2001:db8:ffff::1, 203.0.113.9'), '203.0.113.9');
  });

  it('is the socket address when the peer is not a trusted proxy, even if it sends X-Forwarded-For', () => {
    assert.equal(clientOf('10.0.0.0/8', '203.0.113.50', '192.0.2.66'), '203.0.113.50');
    assert.equal(clientOf('10.0.0.5', '10.0.0.6', '192.0.2.66'), '10.0.0.6');
    assert.equal(clientOf('loopback', '::1', '192.0.2.66'), '192.0.2.66');
    assert.equal(clientOf('loopback', '10.0.0.5', '192.0.2.66'), '10.0.0.5');
  });

  it('trusts an IPv4-mapped IPv6 peer (::ffff:127.0.0.1, a dual-stack listener) as its IPv4 address', () => {
    assert.equal(clientOf('loopback', '::ffff:127.0.0.1', '203.0.113.9'), '203.0.113.9');
    assert.equal(clientOf('127.0.0.1', '::ffff:127.0.0.1', '203.0.113.9'), '203.0.113.9');
    assert.equal(clientOf('10.0.0.0/8', '::ffff:10.0.0.5', '192.0.2.66, 203.0.113.9'), '203.0.113.9');
    // And a mapped address forwarded by a trusted proxy is matched as IPv4 too, so the walk goes on past it.
    assert.equal(clientOf('10.0.0.0/8', '10.0.0.5', '203.0.113.9, ::ffff:10.0.0.7'), '203.0.113.9');
    assert.equal(clientOf('10.0.0.0/8', '::ffff:203.0.113.50', '192.0.2.66'), '::ffff:203.0.113.50');
  });

  it('is undefined when the socket has closed, however many hops are trusted', () => {
    assert.equal(clientOf('3', undefined, '192.0.2.66'), undefined);
    assert.equal(clientOf(undefined, undefined, '192.0.2.66'), undefined);
  });

  it('compiles every kind of value the setting accepts', () => {
    const accepted: Array<[string, TrustedProxies]> = [
      ['1', 1],
      [' 10 ', 10],
      ['loopback', ['loopback']],
      ['loopback, linklocal ,uniquelocal', ['loopback', 'linklocal', 'uniquelocal']],
      ['10.0.0.1', ['10.0.0.1']],
      ['10.0.0.0/8,172.16.0.0/12', ['10.0.0.0/8', '172.16.0.0/12']],
      ['::1,fd00::/8,::ffff:10.0.0.0/104', ['::1', 'fd00::/8', '::ffff:10.0.0.0/104']],
      ['0.0.0.0/1,128.0.0.0/32', ['0.0.0.0/1', '128.0.0.0/32']],
    ];
    for (const [setting, expected] of accepted) {
      const trusted = loadConfig({ TRUSTED_PROXIES: setting }).trustedProxies;
      assert.deepEqual(trusted, expected, setting);
      assert.doesNotThrow(() => clientAddresses(trusted), setting);
    }
  });

  it('agrees with express: req.ip answers the same address, under the same trust', async () => {
    for (const setting of [undefined, '1', 'loopback', '10.0.0.0/8']) {
      const addresses = clientAddresses(setting === undefined ? undefined : loadConfig({ TRUSTED_PROXIES: setting }).trustedProxies);
      const app = express();
      app.set('trust proxy', addresses.trust);
      app.get('/', (req, res) => {
        res.json({ ip: req.ip, client: addresses.of(req) });
      });
      const server = await new Promise<http.Server>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      try {
        const { port } = server.address() as AddressInfo;
        for (const forwardedFor of [undefined, '203.0.113.9', '192.0.2.66, 203.0.113.9']) {
          const response = await fetch(`http://127.0.0.1:${port}/`, { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });
          const { ip, client } = (await response.json()) as { ip: string; client: string };
          assert.equal(ip, client, `TRUSTED_PROXIES=${setting}, X-Forwarded-For: ${forwardedFor}`);
        }
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });
});

describe('TRUSTED_PROXIES', () => {
  it('is unset by default: no proxy is trusted', () => {
    assert.equal(loadConfig({}).trustedProxies, undefined);
  });

  it('refuses what proxy-addr would not read, or a hop count out of range, saying what is allowed', () => {
    for (const value of ['0', '11', 'true', 'loopback,', '10.0.0.0/33', '10.0.0.0/0', 'fe80::/129', '10.0.0.0/255.0.0.0', 'fe80::1%eth0', 'localhost', '10.0.0.1/8/8', '']) {
      try {
        loadConfig({ TRUSTED_PROXIES: value });
        assert.fail(`TRUSTED_PROXIES=${value} was accepted`);
      } catch (error) {
        assert.deepEqual((error as { problems?: string[] }).problems, [
          'TRUSTED_PROXIES: must be a hop count from 1 to 10, or a comma-separated list of proxy addresses and CIDRs (e.g. 10.0.0.0/8) ' +
            'and the names loopback, linklocal, uniquelocal; unset, no proxy is trusted',
        ], value);
      }
    }
  });
});
