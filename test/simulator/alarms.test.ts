import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_TIME, call, startTestSimulator, tokenFor, walkPages, type TestSimulator } from './simulator.fixture.js';

const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isSorted(alarms: any[], field: 'timestamp_occured' | 'timestamp_received', direction: 'asc' | 'desc'): boolean {
  for (let i = 1; i < alarms.length; i++) {
    const a = Number(alarms[i - 1][field]);
    const b = Number(alarms[i][field]);
    if (a === b ? alarms[i - 1].uuid >= alarms[i].uuid : direction === 'asc' ? a > b : a < b) return false;
  }
  return true;
}

describe('simulator Anywhere alarms', () => {
  let t: TestSimulator;
  let url: string;
  let token: string;
  let all: any[];
  const get = (path: string) => call(`${url}${path}`, { token });

  before(async () => {
    // 230 alarms: pages of 7, 20 and 500 all end on a partial page.
    t = await startTestSimulator({ alarmsPerDeployment: 230 }, 50);
    url = t.sim.deployments[0]!.url;
    token = await tokenFor(t.sim);
    all = (await get('/alarms?size=500')).body._embedded.alarms;
  });
  after(async () => {
    await t.sim.stop();
  });

  describe('HAL paging', () => {
    for (const size of [7, 20, 500]) {
      it(`visits every alarm exactly once following next links with size ${size}`, async () => {
        const pages = await walkPages(`${url}/alarms?size=${size}`, token);
        assert.equal(pages.length, Math.ceil(230 / size));
        const seen = pages.flatMap((p) => p._embedded.alarms.map((a: any) => a.uuid));
        assert.equal(seen.length, 230);
        assert.equal(new Set(seen).size, 230);
        assert.deepEqual(seen, all.map((a) => a.uuid));
        pages.forEach((page, number) => {
          assert.deepEqual(page.page, { size, totalElements: 230, totalPages: Math.ceil(230 / size), number });
          assert.equal(page._links.prev === undefined, number === 0);
          assert.equal(page._links.next === undefined, number === pages.length - 1);
        });
      });
    }

    it('walks back from the last page to the first following prev links', async () => {
      const first = (await get('/alarms?size=20&sort=timestamp_received,asc&status=open')).body;
      const backwards = await walkPages(first._links.last.href, token, 'prev');
      const forwards = await walkPages(first._links.first.href, token);
      assert.deepEqual(
        backwards.reverse().flatMap((p) => p._embedded.alarms.map((a: any) => a.uuid)),
        forwards.flatMap((p) => p._embedded.alarms.map((a: any) => a.uuid)),
      );
    });

    it('builds absolute links from the Host header that keep filters, size and sort', async () => {
      const query = 'status=open&status=in_review&rule_intent=Delivery%20%26%20Attack&bogus=1';
      const page = (await get(`/alarms?page=1&size=5&sort=timestamp_received,asc&${query}`)).body;
      const base = `${url}/alarms?`;
      const filters = 'status=open&status=in_review&rule_intent=Delivery%20%26%20Attack';
      assert.equal(page._links.self.href, `${base}page=1&size=5&sort=timestamp_received,asc&${filters}`);
      assert.equal(page._links.first.href, `${base}page=0&size=5&sort=timestamp_received,asc&${filters}`);
      assert.equal(page._links.prev.href, `${base}page=0&size=5&sort=timestamp_received,asc&${filters}`);
      assert.equal(page._links.next.href, `${base}page=2&size=5&sort=timestamp_received,asc&${filters}`);
      assert.deepEqual(Object.keys(page._links), ['self', 'first', 'prev', 'next', 'last']);
      assert.deepEqual(Object.keys(page), ['_links', 'page', '_embedded']);
    });

    it('omits _embedded past the last page and keeps prev pointing one back, like real empty pages', async () => {
      const page = (await get('/alarms?size=2&page=400')).body;
      assert.deepEqual(page, {
        _links: {
          self: { href: `${url}/alarms?page=400&size=2&sort=timestamp_occured,desc` },
          first: { href: `${url}/alarms?page=0&size=2&sort=timestamp_occured,desc` },
          prev: { href: `${url}/alarms?page=399&size=2&sort=timestamp_occured,desc` },
          last: { href: `${url}/alarms?page=114&size=2&sort=timestamp_occured,desc` },
        },
        page: { size: 2, totalElements: 230, totalPages: 115, number: 400 },
      });
    });

    it('answers an empty result with page 0 as last and no _embedded', async () => {
      const page = (await get('/alarms?timestamp_occured_gte=99999999999999')).body;
      assert.equal(page._embedded, undefined);
      assert.deepEqual(page.page, { size: 20, totalElements: 0, totalPages: 0, number: 0 });
      assert.equal(page._links.last.href, page._links.first.href);
      assert.equal(page._links.next, undefined);
    });

    it('accepts size 500 and refuses 501, 0, negative and non-integer sizes with 400', async () => {
      assert.equal((await get('/alarms?size=500')).status, 200);
      for (const size of ['501', '0', '-1', '2.5', 'ten', '']) {
        const response = await get(`/alarms?size=${size}`);
        assert.equal(response.status, 400, `size=${size}`);
        assert.match(response.body.error, /size must be an integer from 1 to 500/);
        assert.equal(response.body.location, '/alarms');
      }
    });

    it('refuses a bad page number with 400', async () => {
      for (const page of ['-1', 'x', '1.5', '99999999999']) {
        assert.equal((await get(`/alarms?page=${page}`)).status, 400, `page=${page}`);
      }
    });
  });

  describe('sorting', () => {
    it('defaults to timestamp_occured,desc', () => {
      assert.ok(isSorted(all, 'timestamp_occured', 'desc'));
    });

    for (const field of ['timestamp_occured', 'timestamp_received'] as const) {
      for (const direction of ['asc', 'desc'] as const) {
        it(`sorts by ${field},${direction} with ties broken by uuid ascending`, async () => {
          const alarms = (await get(`/alarms?size=500&sort=${field},${direction}`)).body._embedded.alarms;
          assert.equal(alarms.length, 230);
          assert.ok(isSorted(alarms, field, direction));
        });
      }
    }

    it('sorts ascending when the direction is left out, as Spring does', async () => {
      const alarms = (await get('/alarms?size=500&sort=timestamp_received')).body._embedded.alarms;
      assert.ok(isSorted(alarms, 'timestamp_received', 'asc'));
    });

    it('refuses an unknown sort field or direction with 400', async () => {
      for (const sort of ['priority,desc', 'timestamp_occured,up', 'timestamp_occurred,desc', '']) {
        const response = await get(`/alarms?sort=${sort}`);
        assert.equal(response.status, 400, `sort=${sort}`);
        assert.match(response.body.error, /sort must be timestamp_occured or timestamp_received/);
      }
    });
  });

  describe('filters', () => {
    const uuids = async (query: string) =>
      ((await get(`/alarms?size=500&${query}`)).body._embedded?.alarms ?? []).map((a: any) => a.uuid);
    const expected = (keep: (a: any) => boolean) => all.filter(keep).map((a) => a.uuid);

    it('filters by status, repeated or as a comma list', async () => {
      assert.deepEqual(await uuids('status=open'), expected((a) => a.status === 'open'));
      const either = expected((a) => a.status === 'open' || a.status === 'closed');
      assert.deepEqual(await uuids('status=open&status=closed'), either);
      assert.deepEqual(await uuids('status=open,closed'), either);
      assert.ok(either.length > 0 && either.length < 230);
    });

    it('filters by priority_label, suppressed and the rule fields', async () => {
      assert.deepEqual(await uuids('priority_label=high&priority_label=low'), expected((a) => a.priority_label !== 'medium'));
      assert.deepEqual(await uuids('suppressed=true'), expected((a) => a.suppressed));
      assert.deepEqual(await uuids('suppressed=false'), expected((a) => !a.suppressed));
      const sample = all[0];
      const rule = ['rule_intent', 'rule_method', 'rule_strategy'];
      assert.deepEqual(
        await uuids(rule.map((f) => `${f}=${encodeURIComponent(sample[f])}`).join('&')),
        expected((a) => rule.every((f) => a[f] === sample[f])),
      );
      assert.deepEqual(await uuids('rule_intent=Nothing%20Like%20This'), []);
    });

    it('filters by sensor', async () => {
      const sensor = all[0].alarm_sensor_sources[0];
      const matching = expected((a) => a.alarm_sensor_sources.includes(sensor));
      assert.deepEqual(await uuids(`alarm_sensor_sources=${sensor}`), matching);
      assert.ok(matching.length < 230);
    });

    it('filters by occurred and received time, both bounds inclusive', async () => {
      const pivot = all[100];
      const occurred = Number(pivot.timestamp_occured);
      assert.deepEqual(await uuids(`timestamp_occured_gte=${occurred}`), expected((a) => Number(a.timestamp_occured) >= occurred));
      assert.deepEqual(await uuids(`timestamp_occured_lte=${occurred}`), expected((a) => Number(a.timestamp_occured) <= occurred));
      const received = Number(pivot.timestamp_received);
      assert.deepEqual(
        await uuids(`timestamp_received_gte=${received}&timestamp_received_lte=${received}`),
        expected((a) => Number(a.timestamp_received) === received),
      );
    });

    it('refuses invalid filter values with 400 and says what is allowed', async () => {
      const cases: Array<[string, RegExp]> = [
        ['status=opened', /status must be one of open, closed, in_review; got 'opened'/],
        ['status=open,nope', /status must be one of/],
        ['priority_label=urgent', /priority_label must be one of low, medium, high/],
        ['suppressed=yes', /suppressed must be true or false/],
        ['timestamp_occured_gte=2024-01-01', /timestamp_occured_gte must be an integer of epoch milliseconds/],
        ['timestamp_received_lte=1.5', /timestamp_received_lte must be an integer/],
        ['timestamp_occured_lte=99999999999999999999', /timestamp_occured_lte must be an integer/],
        ['alarm_sensor_sources=abc', /alarm_sensor_sources must be a UUID/],
        ['rule_intent=', /rule_intent must not be empty/],
        ['suppressed=true&suppressed=false', /suppressed may be given only once/],
      ];
      for (const [query, message] of cases) {
        const response = await get(`/alarms?${query}`);
        assert.equal(response.status, 400, query);
        assert.equal(response.body.result, 'error');
        assert.match(response.body.error, message, query);
      }
    });

    it('ignores unknown query parameters', async () => {
      assert.deepEqual(await uuids('colour=blue'), all.map((a) => a.uuid));
    });
  });

  describe('alarm documents', () => {
    it('returns the same full document in lists and in the detail', async () => {
      for (const alarm of all.slice(0, 25)) {
        const detail = await get(`/alarms/${alarm.uuid}`);
        assert.equal(detail.status, 200);
        assert.deepEqual(detail.body, alarm);
      }
    });

    it('answers 404 for an unknown alarm, UUID-shaped or not', async () => {
      for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '%E0%A4%A']) {
        const response = await get(`/alarms/${id}`);
        assert.equal(response.status, 404, id);
        assert.equal(response.body.result, 'error');
      }
    });

    it('carries the fields real alarms have, with consistent priority labels and timestamps', () => {
      for (const a of all) {
        assert.match(a.uuid, UUID);
        assert.equal(a.has_alarm, false);
        assert.equal(a.packet_type, 'alarm');
        assert.equal(typeof a.needs_enrichment, 'boolean');
        assert.equal(a.priority_label, a.priority < 40 ? 'low' : a.priority < 60 ? 'medium' : 'high');
        assert.ok(['open', 'closed', 'in_review'].includes(a.status));
        assert.equal(a.rule_dictionary, 'DetectionRules');
        assert.ok(Array.isArray(a.rule_attack_tactic) && a.rule_attack_tactic.length > 0);
        const texts = ['rule_id', 'rule_intent', 'rule_method', 'rule_strategy', 'rule_attack_id', 'rule_attack_technique'];
        for (const field of [...texts, 'source_username', 'x_att_tenantid']) {
          assert.equal(typeof a[field], 'string', field);
        }
        assert.match(a.timestamp_occured, /^\d{13}$/);
        assert.match(a.timestamp_received, /^\d{13}$/);
        const occurred = Number(a.timestamp_occured);
        const received = Number(a.timestamp_received);
        assert.ok(received >= occurred && received - occurred <= 30 * 60_000);
        assert.ok(occurred >= BASE_TIME - 14 * DAY && received <= BASE_TIME);
        if (a.timestamp_occured_iso8601 !== undefined) {
          assert.equal(a.timestamp_occured_iso8601, new Date(occurred).toISOString());
          assert.equal(a.timestamp_received_iso8601, new Date(received).toISOString());
        }
        assert.equal(a.alarm_events_count, a.events.length);
        assert.ok(a.events.length >= 1 && a.events.length <= 5);
        assert.equal(a._links.self.href, `${url}/alarms/${a.uuid}`);
        assert.ok(a.alarm_sources.length >= 1 && a.alarm_destinations.length >= 1);
        if (a.sources !== undefined) {
          assert.deepEqual(a.sources.map((s: any) => s.address), a.alarm_sources);
          for (const s of a.sources) assert.equal(typeof s.event_count, 'number');
        }
      }
    });

    it('plays the quirks of real responses on some alarms but not all', () => {
      const some = (test: (a: any) => boolean) => all.some(test) && !all.every(test);
      assert.ok(some((a) => a.timestamp_occured_iso8601 === undefined), 'iso8601 twins missing on some');
      assert.ok(some((a) => a.sources === undefined), 'only address strings on some');
      assert.ok(some((a) => 'message' in a.events[0]), 'wrapped events on some');
      assert.ok(some((a) => a.alarm_labels.length > 0), 'labels on some');
      assert.ok(some((a) => Number(a.timestamp_received) - Number(a.timestamp_occured) > 60_000), 'late arrivals');
    });

    it('shapes events flat as in the vendor spec or wrapped under message as real alarms do', () => {
      for (const alarm of all) {
        for (const event of alarm.events) {
          if ('message' in event) {
            assert.deepEqual(event._links.self, { href: `${url}/events/{eventId}`, templated: true });
            assert.equal(event.message._links.self.href, `${url}/events/${event.message.uuid}`);
            assert.equal(event.message.packet_type, 'log');
          } else {
            assert.equal(event.has_alarm, true);
            assert.equal(typeof event.needs_enrichment, 'boolean');
            assert.equal(event.priority, alarm.priority);
            assert.equal(event.packet_type, 'log');
            assert.equal(typeof event.source_address, 'string');
            assert.equal(event._links.self.href, `${url}/events/${event.uuid}`);
          }
        }
      }
    });
  });

  it('generates the same ids and fields for the same seed, and different ones for another seed', async () => {
    const again = await startTestSimulator({ alarmsPerDeployment: 230 }, 50);
    const other = await startTestSimulator({ alarmsPerDeployment: 230, seed: 2 }, 50);
    try {
      const list = async (s: TestSimulator) =>
        (await call(`${s.sim.deployments[0]!.url}/alarms?size=500`, { token: await tokenFor(s.sim) })).body._embedded.alarms;
      const strip = (alarms: any[]) => JSON.parse(JSON.stringify(alarms).replaceAll(/http:\/\/127\.0\.0\.1:\d+/g, ''));
      assert.deepEqual(strip(await list(again)), strip(all));
      const otherIds = new Set((await list(other)).map((a: any) => a.uuid));
      assert.equal(all.filter((a) => otherIds.has(a.uuid)).length, 0);
    } finally {
      await again.sim.stop();
      await other.sim.stop();
    }
  });
});
